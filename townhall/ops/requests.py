"""The outermost middleware: a request id for every request, and its count and time in the metrics.

It wraps everything, the read path's fast path included, so a thread page answered from memory
is counted like any other. Requests are labelled by route *template* (``/api/v1/comments/{comment_id}``),
never by raw path, so the number of series stays bounded.
"""

from __future__ import annotations

import re
import time
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from townhall.ops.metrics import Metrics
from townhall.ops.rehearsal import is_rehearsal

REQUEST_ID: ContextVar[str] = ContextVar("townhall_request_id", default="-")
ROUTE_KEY = "townhall.route"  # set by handlers that answer before routing (the fast path)
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def request_id_from(headers: Headers) -> str:
    """The caller's X-Request-ID when it is a sensible token (a proxy's), else a new one."""
    sent = headers.get("x-request-id", "")
    return sent if _GOOD_ID.match(sent) else uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    if ROUTE_KEY in scope:
        return str(scope[ROUTE_KEY])
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    # Inside a mount, root_path holds the mount's prefix (after any the server itself was given).
    prefix = str(scope.get("root_path", ""))[len(str(scope.get("app_root_path", ""))) :]
    template = prefix + path
    return template + "/{path}" if isinstance(route, Mount) else template


class ObservedRequests:
    def __init__(self, app: ASGIApp, metrics: Metrics | None):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope))
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the server sends when the app raises before answering

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            if self.metrics is not None and not is_rehearsal(scope):
                seconds = time.perf_counter() - started
                self.metrics.request(scope["method"], route_template(scope), status, seconds)
            REQUEST_ID.reset(token)

"""ASGI middleware for the API: CORS for sites' allowed origins only, and a request-body cap."""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_HEADERS = (
    "Content-Type, X-Townhall-Reader, X-Townhall-Edit-Token, X-Townhall-SSO, Authorization, If-None-Match"
)
ALLOW_METHODS = "GET, POST, PATCH, PUT, DELETE, OPTIONS"


async def _send_error(
    send: Send, status: int, code: str, message: str, extra: dict[str, str] | None = None
) -> None:
    body = orjson.dumps({"error": {"code": code, "message": message, "fields": {}}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SiteCors:
    """Answer CORS for any origin some site allows; routes still check the origin against *their* site."""

    def __init__(
        self,
        app: ASGIApp,
        origins: Callable[[], set[str]],
        ttl: float = 2.0,
        changes: Callable[[], int] = lambda: 0,
    ):
        self.app = app
        self._origins = origins
        self._ttl = ttl
        self._changes = changes  # a count this process bumps when it changes a site's origins
        self._cached: tuple[float, int, set[str]] = (0.0, -1, set())

    def allowed(self, origin: str) -> bool:
        stamp, seen, origins = self._cached
        changes = self._changes()
        if time.monotonic() - stamp > self._ttl or changes != seen:
            origins = self._origins()
            self._cached = (time.monotonic(), changes, origins)
        return origin in origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = await run_in_threadpool(self.allowed, origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            if not allowed:
                await _send_error(send, 403, "origin_not_allowed", "this origin is not allowed by any site")
                return
            cors = {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            }
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(k.lower().encode(), v.encode()) for k, v in cors.items()],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allowed:
                response_headers = MutableHeaders(scope=message)
                response_headers["Access-Control-Allow-Origin"] = origin
                response_headers["Access-Control-Expose-Headers"] = "ETag"
                response_headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        message = f"request body is larger than {self.limit} bytes"
        if declared and declared.isdigit() and int(declared) > self.limit:
            await _send_error(send, 413, "too_large", message)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            incoming = await receive()
            if incoming["type"] == "http.request":
                seen += len(incoming.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(message)
            return incoming

        try:
            await self.app(scope, counted, send)
        except _TooLarge:  # raised where nothing turned it into a response yet
            await _send_error(send, 413, "too_large", message)


class _TooLarge(HTTPException):
    """An HTTPException, so FastAPI's body reading passes it on as a 413 instead of a 400."""

    def __init__(self, message: str):
        super().__init__(413, message)

"""Cache hits on the thread read, answered before FastAPI's routing and validation.

It runs outermost, before routing and compression. Only a request the slow path has already
answered (same site, URL, sort, cursor and limit; its story seen within the story TTL; its site
fresh in the cache) is served here, from memory, on the event loop. Everything else, every
error included, goes on to the FastAPI route.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from townhall.api.state import ApiState
from townhall.api.threads import page_key, page_response
from townhall.ops.requests import ROUTE_KEY
from townhall.types import SortOrder

_SORTS = {sort.value for sort in SortOrder}


class ThreadFastPath:
    def __init__(self, app: ASGIApp, state: ApiState, path: str = "/api/v1/threads"):
        self.app = app
        self.state = state
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == self.path:
            response = self._hit(scope)
            if response is not None:
                scope[ROUTE_KEY] = self.path  # counted in the metrics like a routed read
                if self.state.metrics is not None:
                    self.state.metrics.cache_result(hit=True)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _hit(self, scope: Scope) -> Response | None:
        params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        site_id, url = params.get("site"), params.get("url")
        sort = params.get("sort", SortOrder.NEWEST.value)
        limit_text = params.get("limit")
        if (
            not site_id
            or not url
            or sort not in _SORTS
            or (limit_text is not None and not limit_text.isdigit())
        ):
            return None
        site = self.state.cached_site(site_id)
        entry = self.state.threads.story(site_id, url)
        if site is None or entry is None:
            return None
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and origin not in site.origins:
            return None  # the slow path explains the refusal
        now = self.state.services.comments.clock()
        limit = int(limit_text) if limit_text is not None else None
        page = self.state.threads.page(page_key(entry, now, sort, params.get("cursor"), limit))
        if page is None:
            return None
        response = page_response(page, headers)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "ETag"
            response.headers.append("Vary", "Origin")
        return response

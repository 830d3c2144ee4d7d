"""build_dashboard(services): the moderators' and editors' web UI, mounted at /admin."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from townhall.dashboard import (
    auth,
    authors,
    digest,
    queue,
    readers,
    settings,
    stats,
    stories,
    users,
    webhooks,
)
from townhall.services import Services

# Everything the dashboard loads comes from this server: no CDN, fonts or analytics.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def build_dashboard(services: Services) -> Starlette:
    routes: list[BaseRoute] = []
    for module in (auth, queue, authors, stories, settings, stats, users, readers, webhooks, digest):
        routes += module.routes()
    routes.append(
        Mount("/static", app=StaticFiles(packages=[("townhall.dashboard", "static")]), name="static")
    )
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeaders)
    app.state.services = services
    return app

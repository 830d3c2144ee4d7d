"""The pages behind the links in e-mails: confirm reply notifications, unsubscribe.

Opening a link (GET) only shows a button: mail scanners open links by themselves, and must not
confirm or unsubscribe anyone. The button POSTs. A POST to the unsubscribe link is also the
one-click unsubscribe of RFC 8058 that mail programs send (``List-Unsubscribe=One-Click``).
"""

from __future__ import annotations

from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from townhall.api.errors import status_for
from townhall.errors import TownhallError
from townhall.services import Services

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}
button{{font:inherit;padding:.5rem 1rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(PAGE.format(title=escape(title), body=body), status_code=status, headers=headers)


def _button(label: str) -> str:
    return f'<form method="post"><button type="submit">{escape(label)}</button></form>'


def _problem(exc: TownhallError) -> HTMLResponse:
    return _page("This link does not work", f"<p>{escape(exc.message)}</p>", status_for(exc))


def mail_routes(services: Services) -> list[BaseRoute]:
    notices = services.notices

    async def confirm_page(request: Request) -> HTMLResponse:
        return _page(
            "Confirm reply notifications",
            "<p>Press the button to receive an e-mail when someone replies to your comment.</p>"
            + _button("Confirm"),
        )

    async def confirm(request: Request) -> HTMLResponse:
        try:
            sub = await run_in_threadpool(notices.confirm, request.path_params["token"])
        except TownhallError as exc:
            return _problem(exc)
        return _page(
            "Reply notifications confirmed",
            f"<p>{escape(sub['email'])} will be told about replies. "
            "Every e-mail has a link to stop them.</p>",
        )

    async def unsubscribe_page(request: Request) -> HTMLResponse:
        return _page(
            "Stop reply notifications",
            "<p>Press the button to stop all reply notifications to this address from this site.</p>"
            + _button("Unsubscribe"),
        )

    async def unsubscribe(request: Request) -> HTMLResponse:
        try:
            sub = await run_in_threadpool(notices.unsubscribe, request.path_params["token"])
        except TownhallError as exc:
            return _problem(exc)
        return _page("Unsubscribed", f"<p>{escape(sub['email'])} will get no more reply notifications.</p>")

    return [
        Route("/mail/confirm/{token:str}", confirm_page, methods=["GET"]),
        Route("/mail/confirm/{token:str}", confirm, methods=["POST"]),
        Route("/mail/unsubscribe/{token:str}", unsubscribe_page, methods=["GET"]),
        Route("/mail/unsubscribe/{token:str}", unsubscribe, methods=["POST"]),
    ]

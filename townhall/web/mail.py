"""The pages behind the links in e-mails: confirm reply notifications, unsubscribe.

Opening a link (GET) only shows a button: mail scanners open links by themselves, and must not
confirm or unsubscribe anyone. The button POSTs. A POST to the unsubscribe link is also the
one-click unsubscribe of RFC 8058 that mail programs send (``List-Unsubscribe=One-Click``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from townhall import i18n
from townhall.api.errors import status_for
from townhall.api.language import language
from townhall.errors import TownhallError
from townhall.i18n import N_
from townhall.services import Services

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}
button{{font:inherit;padding:.5rem 1rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


class _Words:
    """The page's words in the reader's language (Accept-Language, or ?lang=)."""

    def __init__(self, request: Request):
        self.lang = language(request)
        self.gettext = i18n.translations(self.lang).gettext

    def __call__(self, message: str, **values: str) -> str:
        return escape(self.gettext(message).format(**values))

    def page(self, title: str, body: str, status: int = 200) -> HTMLResponse:
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "Vary": "Accept-Language"}
        html = PAGE.format(lang=self.lang, title=self(title), body=body)
        return HTMLResponse(html, status_code=status, headers=headers)

    def ask(self, title: str, text: str, label: str) -> HTMLResponse:
        """A page that only offers a button: opening a link must not act by itself."""
        button = f'<form method="post"><button type="submit">{self(label)}</button></form>'
        return self.page(title, f"<p>{self(text)}</p>{button}")

    def problem(self, exc: TownhallError) -> HTMLResponse:
        message = escape(self.gettext(exc.template).format(**exc.params))
        return self.page(N_("This link does not work"), f"<p>{message}</p>", status_for(exc))


def _token_action(
    action: Callable[[str], dict[str, str]], title: str, done: str
) -> Callable[[Request], Awaitable[HTMLResponse]]:
    """A button's POST: run ``action`` on the link's token, then say ``done`` (or why not)."""

    async def handler(request: Request) -> HTMLResponse:
        say = _Words(request)
        try:
            sub = await run_in_threadpool(action, request.path_params["token"])
        except TownhallError as exc:
            return say.problem(exc)
        return say.page(title, f"<p>{say(done, email=sub['email'])}</p>")

    return handler


def mail_routes(services: Services) -> list[BaseRoute]:
    notices = services.notices

    async def confirm_page(request: Request) -> HTMLResponse:
        return _Words(request).ask(
            N_("Confirm reply notifications"),
            N_("Press the button to receive an e-mail when someone replies to your comment."),
            N_("Confirm"),
        )

    confirm = _token_action(
        notices.confirm,
        N_("Reply notifications confirmed"),
        N_("{email} will be told about replies. Every e-mail has a link to stop them."),
    )

    async def unsubscribe_page(request: Request) -> HTMLResponse:
        return _Words(request).ask(
            N_("Stop reply notifications"),
            N_("Press the button to stop all reply notifications to this address from this site."),
            N_("Unsubscribe"),
        )

    unsubscribe = _token_action(
        notices.unsubscribe, N_("Unsubscribed"), N_("{email} will get no more reply notifications.")
    )

    return [
        Route("/mail/confirm/{token:str}", confirm_page, methods=["GET"]),
        Route("/mail/confirm/{token:str}", confirm, methods=["POST"]),
        Route("/mail/unsubscribe/{token:str}", unsubscribe_page, methods=["GET"]),
        Route("/mail/unsubscribe/{token:str}", unsubscribe, methods=["POST"]),
    ]

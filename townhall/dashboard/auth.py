"""Signing in and out.

The sign-in form has no session to hold its CSRF token yet, so it uses a double-submit token:
a random value in an HTTP-only, SameSite=Strict cookie that the form must echo.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall import i18n
from townhall.dashboard.access import (
    ALL_STAFF,
    LOGIN_COOKIE,
    PREFIX,
    QUEUE,
    SESSION_COOKIE,
    Refusal,
    clear_cookie,
    guarded,
    read_body,
    safe_next,
    services_of,
    session_of,
    set_cookie,
)
from townhall.dashboard.render import lang_of, page
from townhall.dashboard.say import translate
from townhall.errors import RateLimited, Unauthorized
from townhall.i18n import N_


def _wait_message(request: Request, exc: RateLimited) -> str:
    """How long the address must wait, in minutes, with the language's plural form."""
    retry = exc.fields.get("retry_after", "")
    seconds = int(retry) if retry.isdigit() else 60
    minutes = max(1, -(-seconds // 60))
    text = i18n.translations(lang_of(request), "dashboard").ngettext(
        "Too many failed sign-ins from your network: try again in %(num)s minute.",
        "Too many failed sign-ins from your network: try again in %(num)s minutes.",
        minutes,
    )
    return str(text) % {"num": minutes}


def _login_page(
    request: Request, error: str = "", status: int = 200, name: str = "", target: str = ""
) -> Response:
    # Reuse the browser's token, so two sign-in tabs do not invalidate each other.
    existing = request.cookies.get(LOGIN_COOKIE, "")
    token = existing if 20 <= len(existing) <= 64 else secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        status_code=status,
        title="Sign in",
        login_token=token,
        error=error,
        name=name,
        target=safe_next(target or request.query_params.get("next")),
    )
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
    return response


async def login_form(request: Request) -> Response:
    services = services_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    session = await run_in_threadpool(services.accounts.resolve, token)
    if session is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return await run_in_threadpool(_login_page, request)


async def login(request: Request) -> Response:
    services = services_of(request)
    try:
        body = await read_body(request, api=False)
    except Refusal as refusal:
        return await run_in_threadpool(_login_page, request, refusal.said(request), refusal.status)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    sent = str(body.get("login_token", ""))
    name, password, code, target = (
        str(body.get("name", ""))[:200],
        str(body.get("password", "")),
        str(body.get("code", ""))[:20],
        str(body.get("next", "")),
    )
    # The connecting address, or the reader's as given by a proxy listed in `trusted_proxies`.
    address = request.client.host if request.client else "unknown"
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        message = translate(lang_of(request), N_("The sign-in form expired. Please try again."))
        return await run_in_threadpool(_login_page, request, message, 403, name, target)
    try:
        session = await run_in_threadpool(services.accounts.login, name, password, address, code)
    except RateLimited as exc:
        message = _wait_message(request, exc)
        return await run_in_threadpool(_login_page, request, message, 429, name, target)
    except Unauthorized:
        message = translate(
            lang_of(request),
            N_("That name, password and one-time code (if you use one) do not match an account."),
        )
        return await run_in_threadpool(_login_page, request, message, 401, name, target)
    response = RedirectResponse(safe_next(target), status_code=303)
    set_cookie(
        response,
        request,
        SESSION_COOKIE,
        session.token,
        int(services.accounts.session_length.total_seconds()),
    )
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


@guarded(ALL_STAFF)
def logout(request: Request) -> Response:
    services_of(request).accounts.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(f"{PREFIX}/login?done=signed_out", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response


@guarded(ALL_STAFF)
def home(request: Request) -> Response:
    """Moderators start at the held queue, editors at their stories."""
    start = "queue/held" if session_of(request).user.role in QUEUE else "stories"
    return RedirectResponse(f"{PREFIX}/{start}", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/", home),
        Route("/login", login_form),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]

"""Who may do what in the dashboard, and the guard every route goes through.

The guard resolves the session cookie, checks the route's roles, checks the CSRF token on
every POST, reads the form or JSON body, then runs the route's (synchronous) handler in a
worker thread, turning domain errors into a page or a JSON error.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from townhall import errors
from townhall.dashboard import say
from townhall.dashboard.context import (
    ADMIN,
    ALL_STAFF,
    FEATURE,
    PREFIX,
    QUEUE,
    SETTINGS,
    STORIES,
    STORY_EDIT,
    services_of,
    session_of,
)
from townhall.dashboard.render import ROLE_WORDS, lang_of, page
from townhall.i18n import N_
from townhall.services.accounts import Session
from townhall.types import Role

# Re-exported: the page modules take everything about access from here.
__all__ = [
    "ADMIN",
    "ALL_STAFF",
    "FEATURE",
    "PREFIX",
    "QUEUE",
    "SETTINGS",
    "STORIES",
    "STORY_EDIT",
    "guarded",
    "services_of",
    "session_of",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "townhall_admin"
LOGIN_COOKIE = "townhall_login"  # double-submit token for the sign-in form, which has no session yet
MAX_BODY = 256_000

Handler = Callable[[Request], Response]

_STATUS: list[tuple[type[errors.TownhallError], int]] = [
    (errors.Invalid, 422),
    (errors.NotFound, 404),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.Conflict, 409),
    (errors.TooLarge, 413),
    (errors.RateLimited, 429),
]


def status_for(exc: errors.TownhallError) -> int:
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 400)


class Refusal(Exception):
    """Stop a request with this status and message (401, 403, 413, 400): a msgid, said in the
    staff member's language with its ``{name}`` placeholders filled in from ``params``."""

    def __init__(self, status: int, code: str, message: str, **params: object):
        super().__init__(message.format(**params) if params else message)
        self.status = status
        self.code = code
        self.template = message
        self.params = params
        self.message = str(self)

    def said(self, request: Request) -> str:
        return say.translate(lang_of(request), self.template, self.params)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    """HTTP-only, SameSite=Strict, scoped to the dashboard; Secure whenever the page came over https."""
    response.set_cookie(
        name, value, max_age=max_age, path=PREFIX, httponly=True, samesite="strict", secure=is_https(request)
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path=PREFIX, httponly=True, samesite="strict", secure=is_https(request))


def error_json(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status_code=status
    )


def safe_next(target: str | None, default: str = PREFIX + "/") -> str:
    """Only dashboard paths are followed after a form (no open redirects)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{PREFIX}/login?next={quote(here, safe='')}", status_code=303)


def check_csrf(request: Request, session: Session, form: dict[str, Any] | None) -> None:
    sent = request.headers.get("x-csrf-token") or (form or {}).get("csrf") or ""
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Refusal(
            403,
            "csrf",
            N_("This form has expired or did not come from the dashboard. Reload the page and try again."),
        )


async def read_body(request: Request, api: bool) -> dict[str, Any]:
    """The POST body as a dict: JSON for the API, the form otherwise (repeated fields become lists)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise Refusal(413, "too_large", N_("The request is too large."))
    try:
        if api and request.headers.get("content-type", "").startswith("application/json"):
            try:
                data = json.loads(await request.body() or b"{}")
            except ValueError as exc:
                raise Refusal(400, "bad_json", N_("The request body is not valid JSON.")) from exc
            if not isinstance(data, dict):
                raise Refusal(400, "bad_json", N_("The request body must be a JSON object."))
            return data
        form = await request.form()
    except HTTPException as exc:  # the app's streaming body cap stopped an undeclared (chunked) body
        if exc.status_code == 413:
            raise Refusal(413, "too_large", N_("The request is too large.")) from exc
        raise
    body: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        body[key] = values if len(values) > 1 or key.endswith("[]") else (values[0] if values else "")
    return body


def guarded(
    roles: frozenset[Role], *, api: bool = False, every_site: bool = False
) -> Callable[[Handler], Callable[[Request], Any]]:
    """Wrap a route handler: signed in, one of ``roles``, CSRF checked on POST, only the account's
    sites (``every_site``: only accounts not limited to some); errors shaped."""

    def wrap(handler: Handler) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            services = services_of(request)
            token = request.cookies.get(SESSION_COOKIE, "")
            session = await run_in_threadpool(services.accounts.resolve, token) if token else None
            try:
                if session is None:
                    if request.method in ("GET", "HEAD") and not api:
                        return login_redirect(request)
                    raise Refusal(401, "unauthorized", N_("Sign in to the dashboard first."))
                if session.user.role not in roles:
                    raise Refusal(
                        403,
                        "forbidden",
                        N_("Your role ({role}) cannot use this page."),
                        role=say.translate(lang_of(request), ROLE_WORDS[session.user.role.value]),
                    )
                if every_site and session.user.sites:
                    raise Refusal(403, "forbidden", N_("Only an account for every site can use this page."))
                request.state.session = session
                request.state.body = {}
                if request.method == "POST":
                    request.state.body = await read_body(request, api)
                    check_csrf(request, session, request.state.body)
                return await run_in_threadpool(_within_scope, handler, request)
            except Refusal as refusal:
                return _refused(request, refusal, api)
            except errors.TownhallError as exc:
                lang = lang_of(request)
                if api:
                    message = say.translate(lang, exc.template, exc.params)
                    return error_json(status_for(exc), exc.code, message, say.field_notes(lang, exc))
                return _error_page(request, status_for(exc), say.refusal(lang, exc))

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        endpoint.roles = roles  # type: ignore[attr-defined]  # read by the access tests
        return endpoint

    return wrap


def _within_scope(handler: Handler, request: Request) -> Response:
    from townhall.dashboard import scope  # noqa: PLC0415 - scope imports this module

    scope.check(request)
    return handler(request)


def _refused(request: Request, refusal: Refusal, api: bool) -> Response:
    if api or "application/json" in request.headers.get("accept", ""):
        return error_json(refusal.status, refusal.code, refusal.said(request))
    return _error_page(request, refusal.status, refusal.said(request))


def _error_page(request: Request, status: int, message: str) -> Response:
    return page(
        request,
        "error.html",
        status_code=status,
        title=_TITLES.get(status, N_("Something went wrong")),
        message=message,
    )


_TITLES = {
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Already done"),
    413: N_("Too large"),
    422: N_("Please check the form"),
    429: N_("Slow down"),
}

"""Staff accounts: admins add, disable and reset users; everyone changes their own password."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import (
    ADMIN,
    ALL_STAFF,
    PREFIX,
    SESSION_COOKIE,
    guarded,
    services_of,
    session_of,
)
from townhall.dashboard.access import set_cookie as set_session_cookie
from townhall.dashboard.digest import digest_context
from townhall.dashboard.render import lang_of, page
from townhall.dashboard.say import refusal, translate
from townhall.errors import Invalid, NotFound, TownhallError
from townhall.i18n import N_
from townhall.types import Role


def _users_page(
    request: Request,
    errors: dict[str, str] | None = None,
    status: int = 200,
    message: str = "",
    values: dict[str, str] | None = None,
) -> Response:
    return page(
        request,
        "users.html",
        status_code=status,
        title="Users",
        section="users",
        users=services_of(request).accounts.list(),
        roles=list(Role),
        sites=services_of(request).sites.list(),
        errors=errors or {},
        message=message,
        values=values or {},
    )


@guarded(ADMIN, every_site=True)
def users_page(request: Request) -> Response:
    return _users_page(request)


@guarded(ADMIN, every_site=True)
def add_user(request: Request) -> Response:
    body = request.state.body
    name, role, password = (str(body.get(k, "")) for k in ("name", "role", "password"))
    try:
        services_of(request).accounts.add(name, role, password, _sites(body.get("sites")))
    except Invalid as exc:
        field = next(iter(exc.fields), "name")
        return _users_page(
            request,
            {field: refusal(lang_of(request), exc)},
            422,
            values={"name": name, "role": role, "sites": str(body.get("sites") or "")},
        )
    except TownhallError as exc:
        return _users_page(
            request,
            {"name": refusal(lang_of(request), exc)},
            409,
            values={"name": name, "role": role, "sites": str(body.get("sites") or "")},
        )
    return RedirectResponse(f"{PREFIX}/users?done=user_added", status_code=303)


USER_ACTIONS = ("disable", "enable", "role", "password", "sites", "logout-everywhere")


def _sites(value: object) -> list[str]:
    """Site ids from a form: a comma- or space-separated text, or repeated fields."""
    values = value if isinstance(value, list) else [value or ""]
    return [site for text in values for site in str(text).replace(",", " ").split()]


def _change(request: Request) -> Response:
    accounts = services_of(request).accounts
    name = request.path_params["name"]
    action = request.path_params["action"]
    body = request.state.body
    if action not in USER_ACTIONS:
        raise NotFound("no such action '{action}'", code="unknown_action", params={"action": action})
    if name == session_of(request).user.name and action in ("disable", "role"):
        raise Invalid("you cannot disable yourself or change your own role", code="own_account")
    if action == "disable":
        accounts.disable(name)
    elif action == "enable":
        accounts.enable(name)
    elif action == "role":
        accounts.set_role(name, str(body.get("role", "")))
    elif action == "password":
        accounts.reset_password(name, str(body.get("password", "")))
    elif action == "sites":
        accounts.set_sites(name, _sites(body.get("sites")))
    elif action == "logout-everywhere":
        accounts.logout_everywhere(name)
    return RedirectResponse(f"{PREFIX}/users?done=user_changed", status_code=303)


@guarded(ADMIN, every_site=True)
def change_user(request: Request) -> Response:
    try:
        return _change(request)
    except Invalid as exc:
        return _users_page(request, {f"{request.path_params['name']}": refusal(lang_of(request), exc)}, 422)


@guarded(ALL_STAFF)
def account_page(request: Request) -> Response:
    return _account_page(request)


def account_with_errors(request: Request, errors: dict[str, str]) -> Response:
    """The account page with a refused change's messages (422): for the panels other modules add."""
    return _account_page(request, errors)


def _account_page(request: Request, errors: dict[str, str] | None = None, totp_secret: str = "") -> Response:
    """The account page; with errors, the refused change (422)."""
    accounts = services_of(request).accounts
    user = accounts.get(session_of(request).user.name)
    # A secret offered for enrolment stays the same across a mistyped code.
    secret = "" if user.totp else (totp_secret or accounts.new_totp_secret())
    return page(
        request,
        "account.html",
        status_code=422 if errors else 200,
        title="Your account",
        section="account",
        sessions=accounts.session_count(user.name),
        errors=errors or {},
        totp_on=user.totp,
        totp_secret=secret,
        totp_uri=accounts.totp_uri(user.name, secret) if secret else "",
        **digest_context(request, user),
    )


@guarded(ALL_STAFF)
def enrol_totp(request: Request) -> Response:
    """Turn on one-time codes: the code from the app proves it holds the secret shown."""
    accounts = services_of(request).accounts
    body = request.state.body
    secret = str(body.get("secret", ""))[:64]
    try:
        accounts.enable_totp(session_of(request).user.name, secret, str(body.get("code", ""))[:20])
    except Invalid as exc:
        return _account_page(request, {"code": refusal(lang_of(request), exc)}, totp_secret=secret)
    return _fresh_session(request, "totp_on")


@guarded(ALL_STAFF)
def drop_totp(request: Request) -> Response:
    accounts = services_of(request).accounts
    user = session_of(request).user
    if not accounts.verify_password(user.name, str(request.state.body.get("current", ""))):
        return _account_page(request, {"totp_current": _not_yours(request)})
    accounts.disable_totp(user.name)
    return _fresh_session(request, "totp_off")


@guarded(ALL_STAFF)
def change_own_password(request: Request) -> Response:
    accounts = services_of(request).accounts
    user = session_of(request).user
    body = request.state.body
    if not accounts.verify_password(user.name, str(body.get("current", ""))):
        return _account_page(request, {"current": _not_yours(request)})
    try:
        accounts.reset_password(user.name, str(body.get("password", "")))
    except Invalid as exc:
        return _account_page(request, {"password": refusal(lang_of(request), exc)})
    return _fresh_session(request, "password")


def _not_yours(request: Request) -> str:
    return translate(lang_of(request), N_("That is not your current password."))


@guarded(ALL_STAFF)
def logout_everywhere(request: Request) -> Response:
    """End every session of this user, then sign this browser in again."""
    services_of(request).accounts.logout_everywhere(session_of(request).user.name)
    return _fresh_session(request, "logged_out_all")


def _fresh_session(request: Request, done: str) -> Response:
    accounts = services_of(request).accounts
    session = accounts.start_session(session_of(request).user)
    response = RedirectResponse(f"{PREFIX}/account?done={quote(done)}", status_code=303)
    set_session_cookie(
        response, request, SESSION_COOKIE, session.token, int(accounts.session_length.total_seconds())
    )
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/users", users_page),
        Route("/users", add_user, methods=["POST"]),
        Route("/users/{name:str}/{action:str}", change_user, methods=["POST"]),
        Route("/account", account_page),
        Route("/account/password", change_own_password, methods=["POST"]),
        Route("/account/totp", enrol_totp, methods=["POST"]),
        Route("/account/totp/off", drop_totp, methods=["POST"]),
        Route("/account/logout-everywhere", logout_everywhere, methods=["POST"]),
    ]

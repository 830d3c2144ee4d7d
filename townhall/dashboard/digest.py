"""The digest of held comments on the account page (admins and moderators opt in)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import PREFIX, QUEUE, guarded, services_of, session_of
from townhall.dashboard.render import lang_of
from townhall.dashboard.say import refusal
from townhall.errors import Forbidden, Invalid
from townhall.i18n import N_
from townhall.services.accounts import User
from townhall.services.digest import DIGEST_ROLES, PERIODS


def digest_context(request: Request, user: User) -> dict[str, Any]:
    """What the account page shows of the user's digest."""
    services = services_of(request)
    return {
        "digest_allowed": user.role in DIGEST_ROLES,
        "digest": services.digests.get(user.id),
        "digest_periods": PERIODS,
        "mail_on": services.outbox.enabled,
    }


@guarded(QUEUE)
def save_digest(request: Request) -> Response:
    from townhall.dashboard.users import account_with_errors  # noqa: PLC0415 - users imports this module

    user = session_of(request).user
    body = request.state.body
    period = str(body.get("period_hours", ""))
    try:
        if not period.isdigit():
            raise Invalid(N_("choose how often"), fields={"period_hours": "required"})
        services_of(request).digests.choose(user.id, user.role, str(body.get("email", "")), int(period))
    except (Invalid, Forbidden) as exc:
        return account_with_errors(request, {"digest_email": refusal(lang_of(request), exc)})
    return RedirectResponse(f"{PREFIX}/account?done=digest_on#digest", status_code=303)


@guarded(QUEUE)
def stop_digest(request: Request) -> Response:
    services_of(request).digests.stop(session_of(request).user.id)
    return RedirectResponse(f"{PREFIX}/account?done=digest_off", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/account/digest", save_digest, methods=["POST"]),
        Route("/account/digest/off", stop_digest, methods=["POST"]),
    ]

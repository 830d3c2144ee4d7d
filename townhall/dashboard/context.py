"""What every dashboard module shares: the URL prefix, who may do what, and the request's
services and session. Both the guard (access.py) and the templates (render.py) read these, so
they live below both and neither imports the other's caller."""

from __future__ import annotations

from starlette.requests import Request

from townhall.services import Services
from townhall.services.accounts import Session
from townhall.types import Role

PREFIX = "/admin"

ALL_STAFF = frozenset(Role)
QUEUE = frozenset({Role.ADMIN, Role.MODERATOR})  # queues, decisions, authors, bans
FEATURE = frozenset(Role)  # staff picks: editors, and moderators working the queue
STORIES = frozenset(Role)  # reading stories and their threads
STORY_EDIT = frozenset({Role.ADMIN, Role.EDITOR})  # close, reopen, auto-close
SETTINGS = frozenset({Role.ADMIN, Role.EDITOR})
ADMIN = frozenset({Role.ADMIN})  # users, SSO secrets


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session

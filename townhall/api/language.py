"""The language a request's reader messages are written in: `?lang=`, else Accept-Language, else English.

The widget sends the page's language as Accept-Language; other clients may pass `lang` instead.
Only what Townhall itself says is translated (errors, moderation notes); codes stay as they are.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from townhall import i18n


def language(request: Request) -> str:
    return i18n.negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def say(request: Request, message: str, **params: Any) -> str:
    """``message`` (an English msgid) in the request's language, placeholders filled in."""
    return i18n.gettext(language(request), message, **params)

"""Domain errors. They carry a machine code and a human message, and know nothing of HTTP.

TownhallError
├── Invalid          bad input (a field, a body, a token's shape)
├── NotFound         no such site, story or comment
├── Unauthorized     missing or bad credentials (API key, SSO token, edit token)
├── Forbidden        known caller, not allowed (origin, banned author, edit window over)
├── Conflict         the state forbids it (already voted, already deleted)
│   └── Closed       the story's comments are closed
├── TooLarge         the request body is over the limit
└── RateLimited      too many requests from one reader
"""

from __future__ import annotations

from collections.abc import Mapping

from townhall.i18n import N_


class TownhallError(Exception):
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, str] | None = None,
        params: Mapping[str, object] | None = None,
    ):
        # ``message`` is an English msgid; with ``params`` it has ``{name}`` placeholders, filled in
        # here for English and after translating by whoever shows it in another language.
        self.template = message
        self.params = dict(params or {})
        self.message = message.format(**self.params) if self.params else message
        super().__init__(self.message)
        if code:
            self.code = code
        self.fields = dict(fields or {})


class Invalid(TownhallError):
    code = "invalid"


class NotFound(TownhallError):
    code = "not_found"


class Unauthorized(TownhallError):
    code = "unauthorized"


class Forbidden(TownhallError):
    code = "forbidden"


class Conflict(TownhallError):
    code = "conflict"


class Closed(Conflict):
    code = "comments_closed"

    def __init__(self) -> None:
        super().__init__(N_("Comments are closed."))


class TooLarge(TownhallError):
    code = "too_large"


class RateLimited(TownhallError):
    code = "rate_limited"

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


class TownhallError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, fields: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
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
        super().__init__("Comments are closed.")


class TooLarge(TownhallError):
    code = "too_large"


class RateLimited(TownhallError):
    code = "rate_limited"

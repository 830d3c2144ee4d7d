"""Story URLs: normalised so one article is one story, and checked against a site's origins."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from townhall.errors import Forbidden, Invalid

_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _has_control(text: str) -> bool:
    """NUL and other control characters: never part of a real URL, and PostgreSQL cannot store NUL."""
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets, or the origin reads as host:port
    port = parts.port
    if port and port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def normalise_origin(origin: str) -> str:
    if _has_control(origin):
        raise Invalid(
            "origins: an origin must not contain control characters", fields={"origins": "bad origin"}
        )
    try:
        parts = urlsplit(origin.strip())
        valid = parts.scheme in _DEFAULT_PORTS and parts.hostname and not parts.path.strip("/")
    except ValueError:
        valid = False
    if not valid:
        raise Invalid(
            "origins: '{origin}' is not an origin like https://news.example",
            params={"origin": origin},
            fields={"origins": "bad origin"},
        )
    return origin_of(origin.strip())


def normalise(url: str, keep: Iterable[str] | None = None) -> str:
    """Drop the fragment, default ports and the query parameters that do not tell stories apart:
    all but ``keep`` (a site's ``query_params``), or with ``keep=None`` the tracking ones."""
    if _has_control(url):
        raise Invalid("url must not contain control characters", fields={"url": "not a URL"})
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise Invalid("url is not a valid URL", fields={"url": "not a URL"}) from exc
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise Invalid("url must be an absolute http(s) URL", fields={"url": "not an absolute http(s) URL"})
    kept = None if keep is None else set(keep)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if (k in kept if kept is not None else not k.lower().startswith(_TRACKING))
    ]
    path = parts.path or "/"
    return urlunsplit((parts.scheme, origin_of(url).split("://", 1)[1], path, urlencode(query), ""))


def check_allowed(url: str, origins: tuple[str, ...]) -> None:
    if origin_of(url) not in origins:
        raise Forbidden("this page's origin is not allowed for this site", code="origin_not_allowed")

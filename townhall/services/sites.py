"""Sites: create, configure, and the API keys publishers use for the admin API."""

from __future__ import annotations

import builtins
import hashlib
import ipaddress
import re
import secrets
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from townhall import i18n
from townhall.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from townhall.models import Site, SiteSettings
from townhall.services.clock import Clock, utcnow
from townhall.services.netsafety import allowed_address
from townhall.services.urls import normalise_origin
from townhall.storage import Storage
from townhall.types import ModerationMode

_SITE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
KEY_PREFIX = "th_"
ERASURE_MODES = ("remove", "anonymise")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _check_thresholds(thresholds: Any) -> dict[str, dict[str, float]]:
    if not isinstance(thresholds, dict):
        raise Invalid("thresholds must be an object", fields={"thresholds": "must be an object"})
    clean: dict[str, dict[str, float]] = {}
    for signal, pair in thresholds.items():
        if not isinstance(pair, dict) or set(pair) - {"hold", "reject"}:
            raise Invalid(
                "thresholds.{signal} takes hold and reject",
                params={"signal": signal},
                fields={f"thresholds.{signal}": "bad shape"},
            )
        for key, value in pair.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise Invalid(
                    "thresholds.{signal}.{key} must be a number from 0 to 1",
                    params={"signal": signal, "key": key},
                    fields={f"thresholds.{signal}.{key}": "must be between 0 and 1"},
                )
        if "hold" in pair and "reject" in pair and pair["hold"] > pair["reject"]:
            raise Invalid(
                "thresholds.{signal}: hold must not be above reject",
                params={"signal": signal},
                fields={f"thresholds.{signal}": "hold > reject"},
            )
        clean[str(signal)] = {k: float(v) for k, v in pair.items()}
    return clean


def _word_list(name: str, words: Any) -> tuple[str, ...]:
    if not isinstance(words, list | tuple) or not all(isinstance(w, str) for w in words):
        raise Invalid(
            "{name} must be a list of strings",
            params={"name": name},
            fields={name: "must be a list of strings"},
        )
    cleaned = tuple(dict.fromkeys(w.strip() for w in words if w.strip()))
    if any(len(w) > 100 for w in cleaned) or len(cleaned) > 5000:
        raise Invalid(
            "{name}: at most {count} entries of {length} characters",
            params={"name": name, "count": 5000, "length": 100},
            fields={name: "too long"},
        )
    return cleaned


def apply_settings(current: SiteSettings, changes: dict[str, Any]) -> SiteSettings:
    """Validate a partial settings change; every problem names its field."""
    known = set(SiteSettings.__dataclass_fields__)
    unknown = set(changes) - known
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(
            "unknown site setting '{name}'", params={"name": name}, fields={name: "unknown setting"}
        )
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "moderation_mode":
            try:
                values[name] = ModerationMode(value)
            except ValueError as exc:
                raise Invalid(
                    "moderation_mode must be 'pre' or 'post'", fields={name: "must be pre or post"}
                ) from exc
        elif name == "thresholds":
            values[name] = _check_thresholds(value)
        elif name in ("banned_words", "suspect_words", "links_allowlist", "query_params"):
            values[name] = _word_list(name, value)
        elif name == "nudge":
            if not isinstance(value, bool):
                raise Invalid("nudge must be true or false", fields={name: "must be true or false"})
            values[name] = value
        elif name == "language":
            if value not in i18n.LANGUAGES:
                raise Invalid(
                    "language must be one of {languages}",
                    fields={name: "unknown language"},
                    params={"languages": ", ".join(i18n.LANGUAGES)},
                )
            values[name] = value
        elif name == "unknown_language":
            if value not in ("publish", "hold"):
                raise Invalid(
                    "unknown_language must be 'publish' or 'hold'",
                    fields={name: "must be publish or hold"},
                )
            values[name] = value
        elif name == "erasure_mode":
            if value not in ERASURE_MODES:
                raise Invalid(
                    "erasure_mode must be 'remove' or 'anonymise'",
                    fields={name: "must be remove or anonymise"},
                )
            values[name] = value
        else:
            limits = {"auto_close_days": 3650, "edit_window_minutes": 1440, "trusted_after_approved": 1000}
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limits[name]:
                raise Invalid(
                    "{name} must be a whole number from 0 to {limit}",
                    params={"name": name, "limit": limits[name]},
                    fields={name: f"must be 0 to {limits[name]}"},
                )
            values[name] = value
    return replace(current, **values)


def is_private_origin(origin: str) -> bool:
    """Loopback, private, link-local (cloud metadata), reserved or unspecified: an IP literal in
    those ranges, or a localhost name. (Names resolving there are the article fetcher's to refuse.)"""
    host = (urlsplit(origin).hostname or "").strip("[]").lower()
    if host == "localhost" or host.endswith((".localhost", ".localdomain")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not allowed_address(address)


class SiteService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock = utcnow,
        default_settings: SiteSettings | None = None,
        allow_private_origins: bool = False,
    ):
        self.storage = storage
        self.clock = clock
        self.default_settings = default_settings or SiteSettings()
        self.allow_private_origins = allow_private_origins
        # Bumped whenever this process adds a site or changes origins, so caches of every site's
        # origins (the API's CORS answer) see the change at once; other processes' changes reach
        # them within the caches' short lifetimes.
        self.origins_changed = 0

    def get(self, site_id: str) -> Site:
        site = None
        if _SITE_ID.fullmatch(site_id):  # anything else cannot name a site (nor reach the database)
            with self.storage.read() as tx:
                site = tx.sites.get(site_id)
        if site is None:
            raise NotFound("no site '{site}'", code="unknown_site", params={"site": site_id})
        return site

    def list(self) -> list[Site]:
        with self.storage.read() as tx:
            return tx.sites.list()

    def add(self, site_id: str, name: str, origins: builtins.list[str]) -> Site:
        if not _SITE_ID.fullmatch(site_id):
            raise Invalid(
                "site id: lowercase letters, digits and '-', up to 63", fields={"id": "bad site id"}
            )
        if not name.strip():
            raise Invalid("site name must not be empty", fields={"name": "required"})
        if not origins:
            raise Invalid("a site needs at least one allowed origin", fields={"origins": "required"})
        clean = [normalise_origin(o) for o in origins]
        with self.storage.write() as tx:
            if tx.sites.get(site_id) is not None:
                raise Invalid(
                    "site '{site}' already exists", params={"site": site_id}, fields={"id": "taken"}
                )
            _unclaimed(tx.sites.list(), site_id, clean)
            tx.sites.insert(site_id, name.strip(), clean, self.default_settings, self.clock())
            site = tx.sites.get(site_id)
        assert site is not None
        self.origins_changed += 1
        return site

    def ensure(self, site_id: str, name: str, origins: builtins.list[str]) -> Site:
        """Create the site or bring its name and origins in line (sites declared in the config file)."""
        clean = [normalise_origin(o) for o in origins]
        with self.storage.write() as tx:
            _unclaimed(tx.sites.list(), site_id, clean)
            if tx.sites.get(site_id) is None:
                tx.sites.insert(site_id, name, clean, self.default_settings, self.clock())
            else:
                tx.sites.update(site_id, name=name, origins=clean)
            site = tx.sites.get(site_id)
        assert site is not None
        self.origins_changed += 1
        return site

    def set_origins(self, site_id: str, origins: builtins.list[str], operator: bool = False) -> Site:
        """Replace a site's origins. A site's key or an editor (``operator`` False) may not name a
        loopback or private host unless `allow_private_origins` is on; the operator's CLI may."""
        if not origins:
            raise Invalid("a site needs at least one allowed origin", fields={"origins": "required"})
        clean = [normalise_origin(o) for o in origins]
        if not operator and not self.allow_private_origins:
            private = [o for o in clean if is_private_origin(o)]
            if private:
                raise Forbidden(
                    "origins: {origin} is a local or private address; only the server's operator"
                    " can allow those (setting allow_private_origins)",
                    params={"origin": private[0]},
                    code="private_origin",
                    fields={"origins": "local or private address"},
                )
        with self.storage.write() as tx:
            self._require(tx.sites.get(site_id), site_id)
            _unclaimed(tx.sites.list(), site_id, clean)
            tx.sites.update(site_id, origins=clean)
        self.origins_changed += 1
        return self.get(site_id)

    def update_settings(self, site_id: str, changes: dict[str, Any]) -> Site:
        with self.storage.write() as tx:
            site = self._require(tx.sites.get(site_id), site_id)
            tx.sites.update(site_id, settings=apply_settings(site.settings, changes))
        return self.get(site_id)

    def rotate_sso_secret(self, site_id: str) -> str:
        """A new SSO secret; returned once and never shown again."""
        secret = secrets.token_urlsafe(32)
        with self.storage.write() as tx:
            self._require(tx.sites.get(site_id), site_id)
            tx.sites.update(site_id, sso_secret=secret)
        return secret

    def create_key(self, site_id: str, label: str = "") -> str:
        """A new admin API key for a site; only its hash is stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.storage.write() as tx:
            self._require(tx.sites.get(site_id), site_id)
            tx.sites.add_key(site_id, key[:10], hash_key(key), label, self.clock())
        return key

    def keys(self, site_id: str) -> builtins.list[dict[str, Any]]:
        with self.storage.read() as tx:
            self._require(tx.sites.get(site_id), site_id)
            return tx.sites.keys(site_id)

    def revoke_key(self, site_id: str, key_id: int) -> None:
        with self.storage.write() as tx:
            if not tx.sites.revoke_key(site_id, key_id, self.clock()):
                raise NotFound(f"no active key {key_id} for site {site_id!r}")

    def site_for_key(self, key: str) -> Site:
        """The site an admin API key belongs to; one message for every failure, so it leaks nothing."""
        if not key.startswith(KEY_PREFIX):
            raise Unauthorized("a valid API key is required")
        with self.storage.read() as tx:
            site_id = tx.sites.site_for_key(hash_key(key))
            site = tx.sites.get(site_id) if site_id else None
        if site is None:
            raise Unauthorized("a valid API key is required")
        return site

    @staticmethod
    def _require(site: Site | None, site_id: str) -> Site:
        if site is None:
            raise NotFound("no site '{site}'", code="unknown_site", params={"site": site_id})
        return site


def _unclaimed(existing: builtins.list[Site], site_id: str, origins: builtins.list[str]) -> None:
    """An origin belongs to one site: another site's threads under that paper's pages would be shadows."""
    for other in existing:
        if other.id == site_id:
            continue
        taken = sorted(set(origins) & set(other.origins))
        if taken:
            raise Conflict(
                "origins: {origin} already belongs to site '{site}'; remove it there first",
                params={"origin": taken[0], "site": other.id},
                code="origin_taken",
                fields={"origins": "belongs to another site"},
            )

"""What API routes share: the services, a short-lived site cache, the thread-page cache, limits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fastapi import Request

from townhall.api.limits import RateLimit
from townhall.api.threads import ThreadCache
from townhall.errors import Forbidden, Invalid
from townhall.live import MemoryBroker
from townhall.models import Site
from townhall.ops.metrics import Metrics
from townhall.services import Services
from townhall.services.identity import keyed_hash

SITE_TTL = 2.0  # seconds an edited origin list may take to apply


@dataclass
class ApiState:
    services: Services
    threads: ThreadCache = field(default_factory=ThreadCache)
    writes: RateLimit = field(default_factory=RateLimit)
    broker: MemoryBroker = field(default_factory=MemoryBroker)
    metrics: Metrics | None = None
    _sites: dict[str, tuple[float, Site]] = field(default_factory=dict)

    def site(self, site_id: str) -> Site:
        cached = self._sites.get(site_id)
        now = time.monotonic()
        if cached and now - cached[0] < SITE_TTL:
            return cached[1]
        site = self.services.sites.get(site_id)
        self._sites[site_id] = (now, site)
        return site

    def cached_site(self, site_id: str) -> Site | None:
        """The site if it was looked up within SITE_TTL, without asking the database."""
        cached = self._sites.get(site_id)
        return cached[1] if cached and time.monotonic() - cached[0] < SITE_TTL else None

    def forget_site(self, site_id: str) -> None:
        self._sites.pop(site_id, None)

    def all_origins(self) -> set[str]:
        return {origin for site in self.services.sites.list() for origin in site.origins}


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.townhall
    return state


def check_origin(request: Request, site: Site) -> None:
    """A browser says where a request comes from; it must be one of the site's origins."""
    origin = request.headers.get("origin")
    if origin is not None and origin not in site.origins:
        raise Forbidden("this page's origin is not allowed for this site", code="origin_not_allowed")


def client_ip(request: Request) -> str:
    """The reader's address: the connecting one, or what a trusted proxy forwarded.

    ``create_app`` wraps the app in uvicorn's ProxyHeadersMiddleware for the ``trusted_proxies``
    setting, which has already replaced the client address when a trusted proxy forwarded it.
    """
    return request.client.host if request.client else "unknown"


def reader_key(request: Request, secret: str, required: bool = True) -> str | None:
    """The pseudonymous reader a vote or report counts for (the widget keeps a random token)."""
    token = request.headers.get("x-townhall-reader", "")
    if not token:
        if required:
            raise Invalid(
                "a reader token (X-Townhall-Reader header) is required", fields={"reader": "required"}
            )
        return None
    if not 16 <= len(token) <= 128:
        raise Invalid("reader token must be 16 to 128 characters", fields={"reader": "bad length"})
    return keyed_hash(secret, f"reader:{token}")[:40]

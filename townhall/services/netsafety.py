"""Is an address safe for the server to connect to on someone's behalf? (SSRF guard)

Webhook URLs are given by site editors, and the server POSTs to them; without this check they
could point the server at its own loopback services or the private network behind it. Every
address the host name resolves to must be public, unless the operator allows private ones.
Shared: article fetching and anything else that connects to a URL it was given can use it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from townhall.errors import Invalid
from townhall.services.safe_fetch import allowed_address

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, multicast, …);
    an IPv4 address written as IPv6 (mapped, 6to4) is judged as the IPv4 one, as for article fetches."""
    return allowed_address(address)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to; Invalid when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Invalid(f"the host name {host!r} does not resolve", fields={"url": "unknown host"}) from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str, allow_private: bool = False, field: str = "url") -> str:
    """An http(s) URL whose host resolves only to public addresses (any address if allowed)."""
    return checked_target(url, allow_private, field).url


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the addresses its host resolved to when it was checked."""

    url: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]

    def pinned(self, address: IPAddress) -> str:
        """The URL with its host replaced by ``address``: connecting there cannot be redirected by
        a DNS answer that changed after the check (send the Host header and, for https, the
        server name for TLS, of the original host)."""
        parts = urlsplit(self.url)
        literal = f"[{address}]" if address.version == 6 else str(address)
        return urlunsplit((parts.scheme, f"{literal}:{self.port}", parts.path or "/", parts.query, ""))


def checked_target(url: str, allow_private: bool = False, field: str = "url") -> Target:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(
            "the URL must start with http:// or https:// and name a host", fields={field: "bad URL"}
        )
    if parts.username or parts.password:
        raise Invalid("the URL must not contain a user name or password", fields={field: "credentials"})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Invalid("the URL's port is not valid", fields={field: "bad port"}) from exc
    addresses = resolve(parts.hostname, port)
    if not allow_private and not all(is_public(address) for address in addresses):
        raise Invalid(
            "the URL points at a loopback or private network address, which is not allowed",
            fields={field: "not a public address"},
        )
    unique = tuple(dict.fromkeys(addresses))
    return Target(url.strip(), parts.hostname, port, unique)

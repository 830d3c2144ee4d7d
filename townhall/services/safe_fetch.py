"""Fetching a publisher's page without being turned against the server's own network.

The host is resolved first and every address it resolves to must be public (not loopback,
private, link-local — where cloud metadata services live —, shared, reserved or multicast),
unless the operator lists the network in ``fetch_allow_networks``. The request then goes to
the address that was checked (so a second DNS answer cannot swap it), with the real host name
for the Host header and TLS. Redirects are followed only within the same origin, each hop
checked again, and bodies are read only up to a cap.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from townhall.services.urls import origin_of

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_REDIRECTS = 3


class FetchRefused(Exception):
    """The page was not fetched: a refused address, a redirect off the origin, too large, …"""


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # where the page was finally read (same origin as asked)
    status: int
    content_type: str
    body: bytes
    location: str = ""  # of a redirect


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _plain(address: Address) -> Address:
    """An IPv4 address written as IPv6 (::ffff:127.0.0.1, 6to4, …) is judged as the IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def allowed_address(address: Address, allow: tuple[Network, ...] = ()) -> bool:
    address = _plain(address)
    if any(address in network for network in allow):
        return True
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, allow: tuple[Network, ...] = ()) -> Address:
    """The first address of ``host``, if every address it resolves to may be fetched."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"{host} does not resolve") from exc
    # getaddrinfo gives the host as a string (an IPv6 one may carry a %scope suffix)
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchRefused(f"{host} does not resolve")
    refused = [str(a) for a in addresses if not allowed_address(a, allow)]
    if refused:
        raise FetchRefused(f"{host} resolves to a non-public address ({', '.join(refused)})")
    return addresses[0]


class SafeFetcher:
    def __init__(
        self,
        timeout: float = 5.0,
        allow: Iterable[str] = (),
        max_bytes: int = 3_000_000,
        verify: ssl.SSLContext | bool = True,
    ):
        self.timeout = timeout
        self.allow = networks(allow)
        self.max_bytes = max_bytes
        self.verify = verify  # certificates are checked against the host name, not the pinned address

    def get(self, url: str, headers: dict[str, str] | None = None) -> Page:
        """GET ``url``; redirects followed within its origin only."""
        origin = origin_of(url)
        with httpx.Client(timeout=self.timeout, follow_redirects=False, verify=self.verify) as client:
            for _ in range(MAX_REDIRECTS + 1):
                page = self._one(client, url, headers or {})
                if not page.location:
                    return page
                url = urljoin(url, page.location)
                if origin_of(url) != origin:
                    raise FetchRefused(f"redirected off the origin, to {origin_of(url)}")
        raise FetchRefused("too many redirects")

    def _one(self, client: httpx.Client, url: str, headers: dict[str, str]) -> Page:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(host, port, self.allow)
        literal = f"[{address}]" if address.version == 6 else str(address)
        pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        request = client.build_request(
            "GET",
            pinned,
            headers={**headers, "Host": host_header},
            extensions={"sni_hostname": host},
        )
        try:
            response = client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise FetchRefused(f"could not fetch: {exc}") from exc
        try:
            if response.is_redirect:
                return Page(url, response.status_code, "", b"", response.headers.get("location", ""))
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise FetchRefused(f"page is larger than {self.max_bytes} bytes")
            return Page(url, response.status_code, response.headers.get("content-type", ""), bytes(body))
        except httpx.HTTPError as exc:
            raise FetchRefused(f"could not fetch: {exc}") from exc
        finally:
            response.close()

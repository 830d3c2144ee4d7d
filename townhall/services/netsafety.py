"""Connecting to an address someone else gave us, without being turned against our own network.

Site editors give webhook URLs and origins, and readers' pages name the articles the server
fetches; without a check these could point the server at its own loopback services or the
private network behind it (SSRF). One judgement, one resolver and one way of connecting serve
them all:

- every address a host resolves to must be public (not loopback, private, link-local — where
  cloud metadata services live —, shared, reserved or multicast), an IPv4 address written as
  IPv6 judged as the IPv4 one, unless the operator allows the network;
- the connection goes to an address that was just checked, with the real host name in the Host
  header and for TLS (so a second DNS answer cannot swap it: DNS rebinding), trying the next
  checked address when one refuses the connection;
- a page fetch follows redirects only within its origin, each hop checked again, and reads
  bodies only up to a cap.
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
ANYWHERE: tuple[Network, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
MAX_REDIRECTS = 3


class Refused(Exception):
    """The server will not connect there, or not read what came back: a bad URL, a host that does
    not resolve or resolves to a non-public address, a redirect off the origin, a body too large.
    ``note`` says which in a word or two, for a form field."""

    def __init__(self, message: str, note: str = "refused"):
        super().__init__(message)
        self.message = message
        self.note = note


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
    """A globally routable unicast address, or one in a network the operator allows."""
    address = _plain(address)
    if any(address in network for network in allow):
        return True
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> tuple[Address, ...]:
    """Every address ``host`` resolves to, in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"the host name {host!r} does not resolve", "unknown host") from exc
    # getaddrinfo gives the host as a string (an IPv6 one may carry a %scope suffix)
    addresses = tuple(dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%", 1)[0]) for i in infos))
    if not addresses:
        raise Refused(f"the host name {host!r} does not resolve", "unknown host")
    return addresses


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the addresses its host resolved to when it was checked."""

    url: str
    host: str
    port: int
    addresses: tuple[Address, ...]

    def pinned(self, address: Address) -> str:
        """The URL with its host replaced by ``address``."""
        parts = urlsplit(self.url)
        literal = f"[{address}]" if address.version == 6 else str(address)
        return urlunsplit((parts.scheme, f"{literal}:{self.port}", parts.path or "/", parts.query, ""))

    def send(
        self,
        client: httpx.Client,
        method: str,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """The request sent to the checked addresses in turn, the next one only if one refuses the
        connection; the Host header and the TLS server name (certificates are checked against it)
        are the original host's."""
        host_header = urlsplit(self.url).netloc
        error: httpx.ConnectError | None = None
        for address in self.addresses:
            request = client.build_request(
                method,
                self.pinned(address),
                headers={**(headers or {}), "Host": host_header},
                content=content,
                extensions={"sni_hostname": self.host},
            )
            try:
                return client.send(request, stream=stream)
            except httpx.ConnectError as exc:
                error = exc
        assert error is not None  # a Target always has an address
        raise error


def target(url: str, allow: tuple[Network, ...] = ()) -> Target:
    """An http(s) URL whose host resolves only to allowed addresses, with those addresses."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("the URL must start with http:// or https:// and name a host", "bad URL")
    if parts.username or parts.password:
        raise Refused("the URL must not contain a user name or password", "credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused("the URL's port is not valid", "bad port") from exc
    addresses = resolve(parts.hostname, port)
    if not all(allowed_address(address, allow) for address in addresses):
        raise Refused(
            "the URL points at a loopback or private network address, which is not allowed",
            "not a public address",
        )
    return Target(url.strip(), parts.hostname, port, addresses)


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # where the page was finally read (same origin as asked)
    status: int
    content_type: str
    body: bytes
    location: str = ""  # of a redirect


class SafeFetcher:
    """GETs publishers' pages (the article fetcher's transport)."""

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
                    raise Refused(f"redirected off the origin, to {origin_of(url)}", "redirected away")
        raise Refused("too many redirects", "too many redirects")

    def _one(self, client: httpx.Client, url: str, headers: dict[str, str]) -> Page:
        try:
            response = target(url, self.allow).send(client, "GET", headers, stream=True)
        except httpx.HTTPError as exc:
            raise Refused(f"could not fetch: {exc}", "unreachable") from exc
        try:
            if response.is_redirect:
                return Page(url, response.status_code, "", b"", response.headers.get("location", ""))
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise Refused(f"page is larger than {self.max_bytes} bytes", "too large")
            return Page(url, response.status_code, response.headers.get("content-type", ""), bytes(body))
        except httpx.HTTPError as exc:
            raise Refused(f"could not fetch: {exc}", "unreachable") from exc
        finally:
            response.close()

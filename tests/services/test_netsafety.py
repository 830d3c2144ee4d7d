"""One judgement of a public address, one resolver and one pinned connection for every caller
that connects where someone else points it: article fetches, webhook deliveries, site origins."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.conftest import FakeClock
from townhall.config import Settings
from townhall.errors import Forbidden, Invalid
from townhall.services import build_services
from townhall.services.netsafety import Refused, SafeFetcher, Target, target
from townhall.services.sites import is_private_origin
from townhall.storage import Storage


class _Echo(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self) -> None:
        self.seen.append(self.headers["Host"])
        body = f"host {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _serve(server: ThreadingHTTPServer) -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []
    server.RequestHandlerClass = type("Echo", (_Echo,), {"seen": seen})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1]), seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def echo() -> Iterator[tuple[int, list[str]]]:
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), _Echo))


@pytest.fixture
def echo6() -> Iterator[tuple[int, list[str]]]:
    yield from _serve(_Server6(("::1", 0), _Echo))


def test_the_next_checked_address_is_tried_when_one_refuses_the_connection(
    echo: tuple[int, list[str]],
) -> None:
    port, seen = echo
    # 127.0.0.2 is loopback too, but nothing listens there on this port: refused at once.
    addresses = (ipaddress.ip_address("127.0.0.2"), ipaddress.ip_address("127.0.0.1"))
    checked = Target(f"http://news.example:{port}/a", "news.example", port, addresses)
    with httpx.Client(timeout=5) as client:
        response = checked.send(client, "GET")
    assert response.status_code == 200
    assert seen == [f"news.example:{port}"]  # the original host's name, though the address was pinned


def test_a_pinned_ipv6_literal_keeps_its_brackets_in_the_host_header(echo6: tuple[int, list[str]]) -> None:
    port, seen = echo6
    page = SafeFetcher(5, ["::1/128"]).get(f"http://[::1]:{port}/story")
    assert page.status == 200
    assert seen == [f"[::1]:{port}"]  # was "::1:PORT", which no server reads as this host


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "[2002:7f00:1::]", "169.254.169.254"])
def test_every_caller_refuses_the_same_loopback_and_private_addresses(
    host: str, storage: Storage, config: Settings, clock: FakeClock, echo: tuple[int, list[str]]
) -> None:
    port, seen = echo
    url = f"http://{host}:{port}/hook"
    with pytest.raises(Refused, match="loopback or private"):
        target(url)
    with pytest.raises(Refused):
        SafeFetcher(5).get(url)
    services = build_services(config, storage, "secret", clock=clock)
    site = services.sites.add("ledger", "Ledger", ["https://news.example"])
    with pytest.raises(Invalid) as refused:
        services.webhooks.add(site.id, url)
    assert refused.value.fields == {"url": "not a public address"}
    assert is_private_origin(f"http://{host}")
    with pytest.raises(Forbidden):
        services.sites.set_origins(site.id, [f"http://{host}"])
    assert seen == []  # nothing reached the local server


def test_a_url_that_cannot_be_used_says_why_in_one_word() -> None:
    for url, note in [
        ("ftp://news.example/a", "bad URL"),
        ("http://user:pw@news.example/a", "credentials"),
        ("http://news.example:99999/a", "bad port"),
        ("http://news..example/a", "unknown host"),  # an empty label: refused before any DNS look-up
    ]:
        with pytest.raises(Refused) as refused:
            target(url)
        assert refused.value.note == note

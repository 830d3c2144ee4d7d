"""Which address a request counts for, on a real server process: `trusted_proxies` decides."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import servers
from townhall.config import ConfigError, load

ORIGIN = "https://news.example"
LIMIT = 3


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    yield servers.sqlite_site(tmp_path / "townhall.sqlite3", ORIGIN)


def _server(database: str, proxies: str) -> contextlib.AbstractContextManager[str]:
    return servers.serve(database, write_rate_limit=str(LIMIT), trusted_proxies=proxies)


def _accepted(url: str, forwarded: list[str], story: str) -> int:
    """Posts one comment per X-Forwarded-For value; how many the rate limit let through."""
    accepted = 0
    for i, value in enumerate(forwarded):
        body = {"site": "ledger", "url": f"{ORIGIN}/{story}", "body": f"Comment {i}", "author_name": "Ana"}
        response = httpx.post(f"{url}/api/v1/comments", json=body, headers={"X-Forwarded-For": value})
        assert response.status_code in (201, 429), response.text
        accepted += response.status_code == 201
    return accepted


def test_only_a_trusted_proxy_chooses_the_address_and_only_its_right_most_hop(database: str) -> None:
    spoofed = [f"198.51.100.{i}, 203.0.113.7" for i in range(8)]  # the client wrote the left part
    readers = [f"192.0.2.{i}" for i in range(8)]
    with _server(database, "127.0.0.1") as url:
        # nginx appended the real address at the right: the client's own entries change nothing.
        assert _accepted(url, spoofed, "spoofed") == LIMIT
        # Eight readers behind the proxy are eight addresses.
        assert _accepted(url, readers, "readers") == len(readers)
        # A chain of trusted proxies is skipped from the right.
        chained = [f"203.0.113.{100 + i}, 127.0.0.1" for i in range(5)]
        assert _accepted(url, chained, "chained") == 5


def test_forwarded_headers_from_an_untrusted_sender_are_ignored(database: str) -> None:
    readers = [f"203.0.113.{i}" for i in range(8)]
    # The proxy list names another host: the test's requests come from 127.0.0.1, one address.
    with _server(database, "10.0.0.0/8") as url:
        assert _accepted(url, readers, "untrusted") == LIMIT


def test_trusted_proxies_accepts_networks_and_names_a_bad_entry() -> None:
    config = load(environ={"TOWNHALL_TRUSTED_PROXIES": "10.0.0.0/8, ::1"})
    assert config.trusted_proxies == ("10.0.0.0/8", "::1")
    with pytest.raises(ConfigError, match="trusted_proxies.*nginx.local"):
        load(overrides={"trusted_proxies": ["nginx.local"]})

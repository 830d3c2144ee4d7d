"""Signing in on a real server process, over HTTP: guessing cannot lock staff out, names cannot be
enumerated, the session cookie is Secure behind a trusted proxy, and bodies are capped as they
stream in, chunked or not."""

from __future__ import annotations

import contextlib
import re
import select
import socket
import statistics
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests import servers
from tests.conftest import _truncate
from townhall.config import load
from townhall.services import build_services
from townhall.storage import Storage
from townhall.types import Role

PASSWORD = "a moderator's long password"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('signin') / 'townhall.sqlite3'}"
    storage = Storage(url)
    storage.migrate()
    config = load(overrides={"database_url": url, "fetch_articles": False, "moderation_enabled": False})
    build_services(config, storage, "secret").accounts.add("mod", Role.MODERATOR, PASSWORD)
    storage.close()
    return url


@pytest.fixture(scope="module")
def behind_proxy(database: str) -> Iterator[str]:
    """The test plays the proxy on 127.0.0.1 and says which reader each request is from."""
    with servers.serve(database, trusted_proxies="127.0.0.1") as url:
        yield url


def _sign_in(url: str, name: str, password: str, reader: str, proto: str = "http") -> httpx.Response:
    headers = {"X-Forwarded-For": reader, "X-Forwarded-Proto": proto}
    with httpx.Client(base_url=url, headers=headers) as client:
        form = client.get("/admin/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text)
        assert token is not None
        # Sent by hand: a Secure cookie (the proxy said https) is not sent back over plain http.
        cookie = {"Cookie": f"townhall_login={token.group(1)}"}
        client.cookies.clear()
        data = {"name": name, "password": password, "login_token": token.group(1)}
        return client.post("/admin/login", data=data, headers=cookie)


def _error(response: httpx.Response) -> str:
    found = re.search(r'<p class="error"[^>]*>([^<]+)</p>', response.text)
    return found.group(1) if found else ""


def test_guessing_from_one_address_never_locks_the_moderator_out(behind_proxy: str) -> None:
    for _ in range(5):
        assert _sign_in(behind_proxy, "mod", "wrong guess", "203.0.113.9").status_code == 401
    slowed = _sign_in(behind_proxy, "mod", PASSWORD, "203.0.113.9")
    assert slowed.status_code == 429 and "try again in" in _error(slowed)
    # The moderator, from their own network, signs in at once.
    own = _sign_in(behind_proxy, "mod", PASSWORD, "198.51.100.4")
    assert own.status_code == 303
    assert any(c.startswith("townhall_admin=") for c in own.headers.get_list("set-cookie"))


def test_unknown_and_known_names_get_the_same_answers_and_take_as_long(behind_proxy: str) -> None:
    def answers(name: str, reader: str) -> list[tuple[int, str]]:
        said = [_sign_in(behind_proxy, name, "wrong guess", reader) for _ in range(6)]
        return [(response.status_code, _error(response)) for response in said]

    known = answers("mod", "192.0.2.10")
    assert known == answers("nobody-here", "192.0.2.11")
    assert [status for status, _ in known] == [401] * 5 + [429]

    # Both verify one argon2 hash; a name that exists must not answer measurably slower or faster.
    # Known and unknown alternate, each from a fresh address (never slowed), so a busy machine
    # slows both alike.
    def timed(name: str, reader: str) -> float:
        started = time.perf_counter()
        assert _sign_in(behind_proxy, name, "wrong guess", reader).status_code == 401
        return time.perf_counter() - started

    times: dict[str, list[float]] = {"mod": [], "nobody-here": []}
    for round_ in range(8):
        names = ("mod", "nobody-here") if round_ % 2 else ("nobody-here", "mod")
        for i, name in enumerate(names):
            times[name].append(timed(name, f"198.18.{round_}.{i + 1}"))
    known_time, unknown_time = (statistics.median(times[name]) for name in ("mod", "nobody-here"))
    assert 0.5 < known_time / unknown_time < 2.0, times


def test_session_cookie_is_secure_when_a_trusted_proxy_says_https(database: str, behind_proxy: str) -> None:
    def cookie(url: str) -> str:
        response = _sign_in(url, "mod", PASSWORD, "192.0.2.20", proto="https")
        assert response.status_code == 303
        return next(c for c in response.headers.get_list("set-cookie") if c.startswith("townhall_admin="))

    assert "secure" in cookie(behind_proxy).lower()
    # The same header from a host that is not a listed proxy is ignored: plain http, no Secure.
    with servers.serve(database, trusted_proxies="10.0.0.0/8") as untrusted:
        assert "secure" not in cookie(untrusted).lower()


def _chunked_post(url: str, path: str, content_type: str, total: int) -> tuple[int, int]:
    """POST up to ``total`` bytes in 64 KiB chunks over a raw socket, stopping once the server has
    answered; (status, bytes sent by then)."""
    parts = urlsplit(url)
    sent = 0
    chunk = b"a=" + b"x" * (65536 - 2)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        sock.sendall(head.encode())
        with contextlib.suppress(OSError):  # the server may close as soon as it has answered
            # Stop sending as soon as an answer is waiting: it came before the body was read whole.
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
        reply = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in reply:
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0
    return status, sent


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/admin/login", "application/x-www-form-urlencoded"), ("/api/v1/comments", "application/json")],
)
def test_a_chunked_body_is_cut_off_at_the_cap(behind_proxy: str, path: str, content_type: str) -> None:
    status, sent = _chunked_post(behind_proxy, path, content_type, total=200 * 1024 * 1024)
    assert status == 413
    assert sent < 32 * 1024 * 1024  # answered long before 200 MiB arrived, not after reading it all
    assert httpx.get(behind_proxy + "/healthz").status_code == 200


@pytest.mark.parametrize("counted_in", ["database", "redis"])
def test_failed_sign_ins_are_counted_across_server_processes(
    counted_in: str, request: pytest.FixtureRequest
) -> None:
    """Five wrong guesses spread over two processes slow the address down in both (each used to
    count only its own, so the guesser got 5 tries per process)."""
    url: str = request.getfixturevalue("postgres_url")
    storage = Storage(url)
    _truncate(storage)
    config = load(overrides={"database_url": url, "fetch_articles": False, "moderation_enabled": False})
    build_services(config, storage, "secret").accounts.add("mod", Role.MODERATOR, PASSWORD)
    storage.close()
    settings = {"trusted_proxies": "127.0.0.1"}
    if counted_in == "redis":
        settings["redis_url"] = request.getfixturevalue("redis_url")
    guesser = "203.0.113.50" if counted_in == "database" else "203.0.113.51"
    with servers.serve(url, **settings) as one, servers.serve(url, **settings) as two:
        wrong = [
            _sign_in(server, "mod", "wrong guess", guesser).status_code for server in (one, two) * 2 + (one,)
        ]
        assert wrong == [401] * 5
        for server in (one, two):
            slowed = _sign_in(server, "mod", PASSWORD, guesser)
            assert slowed.status_code == 429 and "try again in" in _error(slowed)
        assert _sign_in(two, "mod", PASSWORD, "198.51.100.50").status_code == 303  # the moderator is not

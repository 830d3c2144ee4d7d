"""Real PostgreSQL, Redis and Townhall processes for tests: temp dirs, free loopback ports, stopped after."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


class MissingBinary(RuntimeError):
    pass


def early_in_a_minute(seconds_needed: float = 10) -> None:
    """Wait, if need be, so that a burst against a per-minute limit starts early in a minute: across
    a minute's end the sliding window lets a share of the last minute's count lapse, which is
    right, but would make a count depend on the clock."""
    if time.time() % 60 > 60 - seconds_needed:
        time.sleep(61 - time.time() % 60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise MissingBinary(
        f"PostgreSQL's {name} was not found: install the Debian package 'postgresql' (`make system-deps`)"
    )


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root; CI runs as root, so run it as the 'postgres' user there."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise MissingBinary(
            "running as root needs the 'postgres' user that Debian's postgresql creates"
        ) from exc
    return ["runuser", "-u", "postgres", "--"]


@contextlib.contextmanager
def postgres(settings: dict[str, str] | None = None) -> Iterator[str]:
    """Start a throwaway PostgreSQL cluster; yields a SQLAlchemy URL for database 'townhall'.

    Tests run it without fsync; ``settings`` (``-c name=value``, the last one wins) can put that
    back, as bench/run.py does to measure PostgreSQL as installed."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    prefix = _as_postgres_user()
    # Its own directory outside pytest's (which is private to root), so the postgres user can use it.
    base = Path(tempfile.mkdtemp(prefix="townhall-pg-"))
    data = base / "pgdata"
    if prefix:
        shutil.chown(base, "postgres")
    port = free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "townhall", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
    log = base / "postgres.log"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [*prefix, _pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "townhall", "townhall"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://townhall@127.0.0.1:{port}/townhall"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def redis(base: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise MissingBinary(
            "redis-server was not found: install the Debian package 'redis-server' (`make system-deps`)"
        )
    port = free_port()
    base.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def townhall(
    args: list[str], port: int, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[str]:
    """Run the real CLI in a subprocess; on failure, show what it printed (kept in ``log`` if given)."""
    output = log.open("w+", encoding="utf-8") if log is not None else subprocess.PIPE
    process = subprocess.Popen(
        [sys.executable, "-m", "townhall", *args],
        stdout=output,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                printed = process.stdout.read() if process.stdout else log.read_text() if log else ""
                raise RuntimeError(f"townhall {' '.join(args)} exited with {process.returncode}:\n{printed}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"townhall {' '.join(args)} did not answer on {url}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log is not None and not isinstance(output, int):
            output.close()


def sqlite_site(path: Path, origin: str = "https://news.example") -> str:
    """A migrated SQLite file at ``path`` with the site "ledger" on ``origin``; its URL."""
    from townhall.config import load  # noqa: PLC0415 - kept out of the helpers that start binaries
    from townhall.services import build_services  # noqa: PLC0415
    from townhall.storage import Storage  # noqa: PLC0415

    url = f"sqlite:///{path}"
    storage = Storage(url)
    storage.migrate()
    config = load(overrides={"database_url": url, "fetch_articles": False, "moderation_enabled": False})
    build_services(config, storage, "setup").sites.ensure("ledger", "The Ledger", [origin])
    storage.close()
    return url


def serve(
    database_url: str, log: Path | None = None, **settings: str
) -> contextlib.AbstractContextManager[str]:
    """`townhall serve` on a free port over an existing database, models and fetching off;
    ``settings`` become TOWNHALL_* variables (trusted_proxies="127.0.0.1", …)."""
    port = free_port()
    env = {
        "TOWNHALL_DATABASE_URL": database_url,
        "TOWNHALL_SECRET_KEY": "test-server-secret",
        "TOWNHALL_FETCH_ARTICLES": "false",
        "TOWNHALL_MODERATION_ENABLED": "false",
    }
    env.update({f"TOWNHALL_{name.upper()}": value for name, value in settings.items()})
    return townhall(["serve", "--port", str(port)], port, env, log)

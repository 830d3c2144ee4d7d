"""Schemathesis over the OpenAPI document against a real server on 127.0.0.1: no input gets a 5xx.

Bounded so it stays well under a minute: a few examples per operation, a fixed seed (the same
cases each run; change it to explore), a timeout per request. Every operation is tried, public
and admin (with a real API key and a reader token), in positive and negative modes, through
schemathesis' coverage, fuzzing and stateful phases.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests import servers
from tests.conftest import ORIGIN

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SEED = "20261204"
MAX_EXAMPLES = "6"


def _cli(database: str, *args: str) -> str:
    command = [sys.executable, "-m", "townhall", "--database-url", database, *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def test_no_generated_request_gets_a_server_error(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"
    _cli(database, "migrate")
    _cli(database, "site", "add", "ledger", "--name", "The Ledger", "--origin", ORIGIN)
    key = re.search(r"th_[A-Za-z0-9_-]+", _cli(database, "key", "create", "ledger", "--label", "fuzz"))
    assert key is not None
    port = servers.free_port()
    env = {
        "TOWNHALL_SECRET_KEY": "fuzz-secret",
        "TOWNHALL_MODERATION_ENABLED": "false",
        "TOWNHALL_FETCH_ARTICLES": "false",
        "TOWNHALL_WRITE_RATE_LIMIT": "0",  # the fuzzer is one address posting hundreds of times
    }
    serve = ["--database-url", database, "serve", "--port", str(port)]
    with servers.townhall(serve, port, env=env, log=tmp_path / "server.log") as url:  # a pipe would fill
        # Something for the id-taking routes to find: a story with a comment and a reply.
        first = {
            "site": "ledger",
            "url": f"{ORIGIN}/fuzzed",
            "body": "A first comment.",
            "author_name": "Ana",
        }
        made = httpx.post(url + "/api/v1/comments", json=first).json()["comment"]["id"]
        httpx.post(url + "/api/v1/comments", json={**first, "body": "A reply.", "parent_id": made})
        schemathesis = Path(sys.executable).with_name("schemathesis")
        run = subprocess.run(
            [
                str(schemathesis), "run", f"{url}/api/v1/openapi.json", "--url", f"{url}/api/v1",
                "--checks", "not_a_server_error", "--max-examples", MAX_EXAMPLES, "--seed", SEED,
                "--workers", "2", "--request-timeout", "20", "--generation-database", "none",
                # Adding a webhook resolves its host name: fuzzed names would send hundreds of DNS
                # look-ups off this machine. Webhooks have their own tests against a local receiver.
                "--exclude-path-regex", "/webhooks",
                "-H", f"Authorization: Bearer {key.group()}",
                "-H", "X-Townhall-Reader: fuzz-reader-0123456789",
            ],
            capture_output=True, text=True, cwd=tmp_path, timeout=240,
        )  # fmt: skip
    summary = re.search(r"(\d+) generated, (\d+) passed(?:, (\d+) failed)?", run.stdout)
    print("\nschemathesis:", summary.group(0) if summary else run.stdout[-2000:])
    assert run.returncode == 0, run.stdout[-6000:]
    assert summary is not None and int(summary.group(1)) >= 500, run.stdout[-2000:]
    operations = re.search(r"Tested: (\d+)", run.stdout)
    assert operations is not None and int(operations.group(1)) >= 30

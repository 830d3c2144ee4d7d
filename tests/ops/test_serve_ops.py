"""The real `townhall serve`: JSON logs with request ids, and metrics summed over two worker processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import servers
from tests.conftest import ORIGIN

pytestmark = pytest.mark.timeout(240)

SITES = json.dumps([{"id": "ledger", "name": "The Ledger", "origins": [ORIGIN]}])
QUIET = {
    "TOWNHALL_SECRET_KEY": "ops-test-secret",
    "TOWNHALL_MODERATION_ENABLED": "false",
    "TOWNHALL_FETCH_ARTICLES": "false",
    "TOWNHALL_SITES": SITES,
}


def _healthz_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "townhall_http_requests_total" and labels.get("route") == "/healthz":
                return sample.value
    return 0.0


def test_json_logs_carry_the_request_id(tmp_path: Path) -> None:
    port = servers.free_port()
    log = tmp_path / "server.log"
    env = {**QUIET, "TOWNHALL_LOG_FORMAT": "json"}
    args = [
        sys.executable,
        "-m",
        "townhall",
        "--database-url",
        f"sqlite:///{tmp_path / 'th.sqlite3'}",
        "migrate",
    ]
    subprocess.run(args, check=True, capture_output=True)
    serve = ["--database-url", f"sqlite:///{tmp_path / 'th.sqlite3'}", "serve", "--port", str(port)]
    with servers.townhall(serve, port, env=env, log=log) as url:
        answered = httpx.get(url + "/api/v1/sites/ledger/config", headers={"X-Request-ID": "trace-abc-123"})
        assert answered.headers["x-request-id"] == "trace-abc-123"
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert lines, log.read_text()
    access = [line for line in lines if line.get("request_id") == "trace-abc-123"]
    assert access and "/api/v1/sites/ledger/config" in access[0]["message"]
    assert {"time", "level", "logger", "message", "request_id"} <= set(access[0])


def test_two_workers_report_the_same_totals(tmp_path: Path, postgres_url: str) -> None:
    """Every scrape, whichever worker answers it, counts the requests both workers served."""
    port = servers.free_port()
    shared = tmp_path / "metrics"
    env = {**QUIET, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    serve = ["--database-url", postgres_url, "serve", "--workers", "2", "--port", str(port)]
    with servers.townhall(serve, port, env=env) as url:
        before = _healthz_count(httpx.get(url + "/metrics").text)
        sent = 0
        # A new connection each time, until both workers have answered some (each keeps its own file).
        while sent < 40 or (len(list(shared.glob("counter_*.db"))) < 2 and sent < 1000):
            assert httpx.get(url + "/healthz").status_code == 200
            sent += 1
        assert len(list(shared.glob("counter_*.db"))) == 2, "both workers answered and wrote counters"
        scrapes = [_healthz_count(httpx.get(url + "/metrics").text) for _ in range(10)]
    assert scrapes == [before + sent] * 10

"""`townhall demo` as a newcomer starts it, as a real process: the port is taken before the URL is
printed, a busy port is refused naming PORT=, the temporary data goes when it stops, and the
sample comments carry their own times."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx

from tests import servers


def _demo(port: int, tmp: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOWNHALL_")}
    env["TMPDIR"] = str(tmp)
    return subprocess.Popen(
        [sys.executable, "-m", "townhall", "demo", "--port", str(port), "--no-models"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )


def test_a_busy_port_is_refused_with_a_message_naming_port(tmp_path: Path) -> None:
    port = servers.free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        process = _demo(port, tmp_path)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert f"port {port}" in output and "PORT=" in output and "already in use" in output
    assert "open http" not in output  # never a URL that belongs to something else
    assert list(tmp_path.iterdir()) == []


def test_the_printed_url_answers_and_the_temporary_data_goes_on_ctrl_c(tmp_path: Path) -> None:
    port = servers.free_port()
    process = _demo(port, tmp_path)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Townhall demo: open" in line:
                break
        else:
            raise AssertionError("the demo never printed its URL")
        assert f"http://127.0.0.1:{port}/" in line
        # Printed after the port was taken: the first request waits for the server, never fails.
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("townhall-demo-")]
        thread = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/threads",
            params={"site": "demo", "url": f"http://127.0.0.1:{port}/news/night-bus-pilot", "sort": "oldest"},
        ).json()
        times = [datetime.fromisoformat(c["created_at"]) for c in thread["comments"]]
        assert len(times) >= 2 and len(set(times)) == len(times)
        assert times == sorted(times)
        assert (max(times) - min(times)).total_seconds() > 3600  # spread over hours, not "just now"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    assert process.returncode == 0
    assert list(tmp_path.iterdir()) == []

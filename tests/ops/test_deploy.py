"""The files in deploy/: the nginx site proxies a real server (TLS, unbuffered live updates), the
systemd unit passes `systemd-analyze verify`, and compose/Dockerfile name only real settings.
Docker itself cannot run here, so the image and compose file are checked, not built."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests import servers
from tests.conftest import ORIGIN
from townhall.config import setting_names

DEPLOY = Path(__file__).parent.parent.parent / "deploy"
SITES = json.dumps([{"id": "ledger", "name": "The Ledger", "origins": [ORIGIN]}])
URL = f"{ORIGIN}/politics/bridge-vote"


def _townhall_env() -> dict[str, str]:
    return {
        "TOWNHALL_SECRET_KEY": "deploy-test-secret",
        "TOWNHALL_MODERATION_ENABLED": "false",
        "TOWNHALL_FETCH_ARTICLES": "false",
        "TOWNHALL_TRUSTED_PROXIES": "127.0.0.1",
        "TOWNHALL_SITES": SITES,
    }


def _certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _nginx_site(upstream: int, http_port: int, tls_port: int, cert: Path, key: Path) -> str:
    site = (DEPLOY / "nginx-townhall.conf").read_text()
    site = site.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream};")
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)  # no IPv6 on every test machine
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{tls_port} ssl")
    site = site.replace("/etc/letsencrypt/live/comments.news.example/fullchain.pem", str(cert))
    return site.replace("/etc/letsencrypt/live/comments.news.example/privkey.pem", str(key))


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[str]:
    """Townhall behind nginx configured with deploy/nginx-townhall.conf; yields the https URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise servers.MissingBinary("nginx was not found: install the Debian package 'nginx-light'")
    database = f"sqlite:///{tmp_path / 'th.sqlite3'}"
    subprocess.run([sys.executable, "-m", "townhall", "--database-url", database, "migrate"], check=True)
    port, http_port, tls_port = servers.free_port(), servers.free_port(), servers.free_port()
    # nginx's workers run as an unprivileged user when started as root: a directory they can read.
    base = Path(tempfile.mkdtemp(prefix="townhall-nginx-"))
    base.chmod(0o755)
    cert, key = _certificate(base)
    (base / "site.conf").write_text(_nginx_site(port, http_port, tls_port, cert, key))
    (base / "nginx.conf").write_text(
        f"pid {base}/nginx.pid;\nerror_log {base}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {base}/body;\n"
        f"  proxy_temp_path {base}/proxy;\n  include {base}/site.conf;\n}}\n"
    )
    command = [nginx, "-p", str(base), "-c", str(base / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    serve = ["--database-url", database, "serve", "--port", str(port)]
    with servers.townhall(serve, port, env=_townhall_env()):
        process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
        try:
            url = f"https://127.0.0.1:{tls_port}"
            deadline = time.monotonic() + 10
            while True:
                try:
                    httpx.get(url + "/healthz", verify=False, timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            redirect = httpx.get(f"http://127.0.0.1:{http_port}/healthz")
            assert redirect.status_code == 301 and redirect.headers["location"].startswith("https://")
            yield url
        finally:
            process.terminate()
            process.wait(10)
            shutil.rmtree(base, ignore_errors=True)


def test_nginx_serves_townhall_over_tls_with_live_updates_unbuffered(proxied: str) -> None:
    with httpx.Client(base_url=proxied, verify=False, timeout=10) as client:
        assert client.get("/healthz").json() == {"ok": True}
        assert client.get("/metrics").status_code == 200  # from 127.0.0.1, which the site allows
        first = {"site": "ledger", "url": URL, "body": "First word on the bridge.", "author_name": "Ana"}
        assert client.post("/api/v1/comments", json=first).status_code == 201
        request_id = client.get("/healthz").headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id), "nginx's $request_id reaches Townhall"
        heard = threading.Event()

        def listen() -> None:
            params = {"site": "ledger", "url": URL}
            with client.stream("GET", "/api/v1/threads/live", params=params) as stream:
                for line in stream.iter_lines():
                    if line == "event: changed":
                        heard.set()
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(0.5)  # the stream is open; nginx must not hold the event in a buffer
        reply = {**first, "body": "A second word, live."}
        assert client.post("/api/v1/comments", json=reply).status_code == 201
        assert heard.wait(5), "the live update did not come through nginx"


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (it comes with systemd)")
    unit = (DEPLOY / "townhall.service").read_text()
    townhall = Path(sys.executable).with_name("townhall")
    unit = unit.replace("/opt/townhall/.venv/bin/townhall", str(townhall))
    unit = unit.replace("/etc/townhall/env", str(tmp_path / "env"))
    (tmp_path / "env").write_text((DEPLOY / "townhall.env.example").read_text())
    (tmp_path / "townhall.service").write_text(unit)
    verified = subprocess.run(
        [analyze, "verify", str(tmp_path / "townhall.service")], capture_output=True, text=True
    )
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    assert "ExecStartPre=" in unit and "migrate" in unit.split("ExecStartPre=")[1].splitlines()[0]


def test_deploy_files_name_only_real_settings_and_migrate_first() -> None:
    known = set(setting_names())
    for path in DEPLOY.iterdir():
        for name in re.findall(r"TOWNHALL_([A-Z_]+)", path.read_text()):
            assert name.lower() in known, f"{path.name}: TOWNHALL_{name} is not a setting"
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "townhall"} <= set(services)
    assert services["migrate"]["command"] == ["migrate"]
    waits = services["townhall"]["depends_on"]
    assert waits["migrate"]["condition"] == "service_completed_successfully"
    assert "TOWNHALL_REDIS_URL" in services["townhall"]["environment"]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["townhall"]' in dockerfile and "/readyz" in dockerfile

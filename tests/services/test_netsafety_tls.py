"""HTTPS through the pinned address: the certificate is still checked against the host name."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from townhall.services.netsafety import Refused, SafeFetcher

LOOPBACK = ["127.0.0.0/8"]


def _certificate(base: Path, name: str) -> tuple[Path, Path]:
    cert, key = base / f"{name}.pem", base / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)]
        + ["-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
        check=True,
        capture_output=True,
    )
    return cert, key


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"<html><body>host {self.headers['Host']}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(params=["localhost", "news.example"], ids=["right-name", "wrong-name"])
def tls_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, Path, str]]:
    cert, key = _certificate(tmp_path, request.param)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1]), cert, request.param
    server.shutdown()


def test_a_pinned_https_fetch_checks_the_certificate_against_the_host_name(
    tls_site: tuple[int, Path, str],
) -> None:
    port, cert, name = tls_site
    fetcher = SafeFetcher(5, LOOPBACK, verify=ssl.create_default_context(cafile=str(cert)))
    url = f"https://localhost:{port}/news/flood"
    if name == "localhost":
        page = fetcher.get(url)
        assert page.status == 200 and f"host localhost:{port}".encode() in page.body
    else:  # a certificate for another name is refused, though the address is the one asked for
        with pytest.raises(Refused):
            fetcher.get(url)

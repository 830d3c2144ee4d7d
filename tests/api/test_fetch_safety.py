"""Issue #11's walk-around, over HTTP: a site's key points an origin at a local admin page, and an
anonymous thread request must neither fetch it nor publish its title, unless the operator allows
that network.

Setting such an origin through the API is refused by itself now (`allow_private_origins`); these
tests switch that on to show that the fetcher holds on its own — it is what stops a public-looking
host name that resolves to a local address."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from tests.api.conftest import SITE, assert_error
from tests.conftest import FakeClock
from townhall.app import create_app
from townhall.config import Settings

ADMIN_PAGE = (
    b"<html><head><title>Sign in</title></head><body><article><h1>Sign in</h1>"
    + (b"<p>Router administration. Enter the password to change the network settings.</p>" * 5)
    + b"</article></body></html>"
)


class _LocalAdmin(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        _LocalAdmin.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(ADMIN_PAGE)))
        self.end_headers()
        self.wfile.write(ADMIN_PAGE)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def local_admin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LocalAdmin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _LocalAdmin.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _client(config: Settings, clock: FakeClock, migrated_sqlite: Path, **changes: object) -> TestClient:
    config = config.model_copy(update={"fetch_articles": True, "allow_private_origins": True, **changes})
    database = make_url(config.database_url).database
    assert database is not None
    shutil.copyfile(migrated_sqlite, database)
    app = create_app(config, clock=clock)
    app.state.services.sites.add(SITE, "The Ledger", ["https://news.example"])
    return TestClient(app, base_url="http://townhall.test")


def _point_at(client: TestClient, origin: str) -> None:
    key = client.app.state.services.sites.create_key(SITE, "cms")  # type: ignore[attr-defined]
    response = client.patch(
        "/api/v1/admin/site", json={"origins": [origin]}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text


def test_a_loopback_origin_is_not_fetched_and_nothing_is_published(
    config: Settings, clock: FakeClock, migrated_sqlite: Path, local_admin: str
) -> None:
    with _client(config, clock, migrated_sqlite) as client:
        _point_at(client, local_admin)
        response = client.get("/api/v1/threads", params={"site": SITE, "url": f"{local_admin}/admin"})
        assert_error(response, 404, "no_article")
        assert "Sign in" not in response.text
        assert client.app.state.services.stories.list() == []  # type: ignore[attr-defined]
    assert _LocalAdmin.seen == []  # the request never left for the local address


def test_an_operator_may_allow_the_network(
    config: Settings, clock: FakeClock, migrated_sqlite: Path, local_admin: str
) -> None:
    with _client(config, clock, migrated_sqlite, fetch_allow_networks=("127.0.0.0/8",)) as client:
        _point_at(client, local_admin)
        response = client.get("/api/v1/threads", params={"site": SITE, "url": f"{local_admin}/admin"})
        assert response.status_code == 200, response.text
        assert response.json()["story"]["title"] == "Sign in"
    assert _LocalAdmin.seen == ["/admin"]

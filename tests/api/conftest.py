"""The `client` rung of the fixture ladder: the app in process, with a site, an API key and an SSO secret."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import ORIGIN, FakeClock, _truncate
from townhall.app import create_app
from townhall.config import Settings
from townhall.models import Site
from townhall.services import Services
from townhall.storage import Storage
from townhall.storage.schema import metadata

SITE = "ledger"
URL = f"{ORIGIN}/politics/bridge-vote"
READER = "reader-token-0123456789"


def _app(config: Settings, clock: FakeClock, storage: Storage | None = None) -> Starlette:
    return create_app(config, storage=storage, clock=clock)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test copies it (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "townhall.sqlite3"
    storage = Storage(f"sqlite:///{path}")
    storage.migrate()
    storage.close()
    return path


def _with_site(app: Starlette) -> Site:
    return app.state.services.sites.add(SITE, "The Ledger", [ORIGIN])


@pytest.fixture
def app(config: Settings, clock: FakeClock, migrated_sqlite: Path) -> Starlette:
    """create_app checks migrations, so the config's SQLite file starts as a migrated copy."""
    database = make_url(config.database_url).database
    assert database is not None
    shutil.copyfile(migrated_sqlite, database)
    return _app(config, clock)


@pytest.fixture
def api_services(app: Starlette) -> Services:
    """The app's own services, for setting up and for checking what a request wrote."""
    return app.state.services


@pytest.fixture
def ledger(app: Starlette) -> Site:
    return _with_site(app)


@pytest.fixture
def api_key(api_services: Services, ledger: Site) -> str:
    return api_services.sites.create_key(ledger.id, "tests")


@pytest.fixture
def sso_secret(api_services: Services, ledger: Site) -> str:
    return api_services.sites.rotate_sso_secret(ledger.id)


@pytest.fixture
def client(app: Starlette, ledger: Site, api_key: str, sso_secret: str) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://townhall.test") as test_client:
        yield test_client


@pytest.fixture
def api_postgres(config: Settings, clock: FakeClock, postgres_url: str) -> Iterator[TestClient]:
    """The same app over the session's PostgreSQL (emptied first), with the `ledger` site."""
    storage = Storage(postgres_url)
    _truncate(storage)
    app = _app(config.model_copy(update={"database_url": postgres_url}), clock, storage)
    _with_site(app)
    with TestClient(app, base_url="http://townhall.test") as test_client:
        yield test_client


def from_address(app: Starlette, address: str) -> TestClient:
    """A client connecting from another network address (one vote per address per comment)."""
    return TestClient(app, base_url="http://townhall.test", client=(address, 50000))


def row_counts(services: Services) -> dict[str, int]:
    """Rows in every table: compare before and after a refused request to prove it wrote nothing.

    Rate-limit counters are left out: a refused attempt still counts against its sender."""
    with services.storage.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table.name != "rate_counters"
        }


def sso_token(secret: str, **claims: Any) -> str:
    """A publisher's HS256 sign-in token; exp is checked against the real clock, as PyJWT does."""
    expires = datetime.now(UTC) + timedelta(hours=1)
    payload: dict[str, Any] = {"sub": "user-42", "name": "Maria Lopez", "exp": expires}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


def post_comment(client: TestClient, body: str = "A fair point about the bridge.", **fields: Any) -> Any:
    payload: dict[str, Any] = {"site": SITE, "url": URL, "body": body, "author_name": "Ana"}
    payload.update(fields)
    return client.post("/api/v1/comments", json=payload, headers={"X-Townhall-Reader": READER})


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape, with a readable message; returns the error object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and len(error["message"]) > 5
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error

"""/healthz says the process answers; /readyz checks the database, Redis and the schema, for real."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import text
from starlette.testclient import TestClient

from tests import servers
from tests.api.conftest import assert_error
from tests.conftest import FakeClock
from townhall.app import create_app
from townhall.config import Settings
from townhall.storage import Storage


def _client(config: Settings, clock: FakeClock, migrated_sqlite: Path, **changes: object) -> TestClient:
    config = config.model_copy(update=changes)
    if config.database_url.startswith("sqlite"):
        shutil.copyfile(migrated_sqlite, config.database_url.removeprefix("sqlite:///"))
    return TestClient(create_app(config, clock=clock), base_url="http://townhall.test")


def test_ready_when_the_database_answers_and_the_schema_is_current(
    config: Settings, clock: FakeClock, migrated_sqlite: Path
) -> None:
    with _client(config, clock, migrated_sqlite) as client:
        assert client.get("/healthz").json() == {"ok": True}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ok": True, "checks": {"database": "ok", "migrations": "ok"}}


def test_not_ready_when_migrations_are_behind(
    config: Settings, clock: FakeClock, migrated_sqlite: Path
) -> None:
    with _client(config, clock, migrated_sqlite) as client:
        storage: Storage = client.app.state.services.storage  # type: ignore[attr-defined]
        with storage.engine.begin() as connection:  # as if an older Townhall had migrated it
            connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        error = assert_error(client.get("/readyz"), 503, "not_ready")
        assert "townhall migrate" in error["fields"]["migrations"]
        assert "older" in error["message"]
        assert client.get("/healthz").status_code == 200  # the process itself is fine


def test_not_ready_when_postgresql_stops(config: Settings, clock: FakeClock, migrated_sqlite: Path) -> None:
    with servers.postgres() as url:
        storage = Storage(url)
        storage.migrate()
        client = _client(config, clock, migrated_sqlite, database_url=url)
        client.__enter__()
        assert client.get("/readyz").status_code == 200
    try:  # the cluster is stopped now
        error = assert_error(client.get("/readyz"), 503, "not_ready")
        assert error["fields"]["database"].startswith("the database does not answer")
        assert client.get("/healthz").status_code == 200
    finally:
        client.__exit__(None, None, None)
        storage.close()


def test_redis_is_checked_but_its_absence_only_degrades(
    config: Settings, clock: FakeClock, migrated_sqlite: Path, redis_url: str
) -> None:
    with _client(config, clock, migrated_sqlite, redis_url=redis_url) as client:
        assert client.get("/readyz").json()["checks"]["redis"] == "ok"
    nowhere = f"redis://127.0.0.1:{servers.free_port()}/0"
    with _client(config, clock, migrated_sqlite, redis_url=nowhere) as client:
        # still ready (limits fall back to the database), but the check says what is wrong
        answer = client.get("/readyz")
        assert answer.status_code == 200, answer.text
        assert answer.json()["degraded"] == {"redis": "Redis does not answer: ConnectionError"}
        assert answer.json()["checks"]["database"] == "ok"

"""The fixture ladder: config → storage[sqlite|postgres] → services → client → live_server → browser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests import servers
from townhall.config import Settings, load
from townhall.services import Services, build_services
from townhall.storage import Storage
from townhall.storage.schema import metadata

ORIGIN = "https://news.example"


class FakeClock:
    """A clock the test moves by hand (edit windows, auto-close, flooding)."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with servers.postgres() as url:
        storage = Storage(url)
        storage.migrate()
        storage.close()
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with servers.redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


def _truncate(storage: Storage) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with storage.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """Real storage on both backends: a fresh SQLite file, or the session's PostgreSQL emptied."""
    if request.param == "sqlite":
        storage = Storage(f"sqlite:///{tmp_path / 'townhall.sqlite3'}")
        storage.migrate()
    else:
        storage = Storage(request.getfixturevalue("postgres_url"))
        _truncate(storage)
    yield storage
    storage.close()


@pytest.fixture
def sqlite_storage(tmp_path: Path) -> Iterator[Storage]:
    storage = Storage(f"sqlite:///{tmp_path / 'townhall.sqlite3'}")
    storage.migrate()
    yield storage
    storage.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(tmp_path: Path) -> Settings:
    return load(
        overrides={
            "database_url": f"sqlite:///{tmp_path / 'townhall.sqlite3'}",
            "secret_key": "test-secret",
            "fetch_articles": False,
            "moderation_enabled": False,
        }
    )


@pytest.fixture
def services(storage: Storage, config: Settings, clock: FakeClock) -> Services:
    return build_services(config, storage, "test-secret", clock=clock)

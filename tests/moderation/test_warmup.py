"""A server with the models on says it is not ready until it has warmed them (in its lifespan,
before uvicorn accepts a connection)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import assert_error
from tests.conftest import FakeClock
from townhall.app import create_app
from townhall.config import Settings
from townhall.moderation.pipeline import Models, Pipeline
from townhall.ops.health import WARMING
from townhall.storage import Storage


def test_readyz_says_not_ready_until_the_models_are_warm(
    config: Settings, clock: FakeClock, models: Models
) -> None:
    Storage(config.database_url).migrate()
    pipeline = Pipeline(models)
    client = TestClient(create_app(config, moderator=pipeline, clock=clock), base_url="http://townhall.test")
    # No lifespan yet: the app exists but has not warmed its models.
    error = assert_error(client.get("/readyz"), 503, "not_ready")
    assert error["fields"] == {"models": WARMING}
    assert client.get("/healthz").status_code == 200
    with client:  # the lifespan runs the warm-up before the first request is taken
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["models"] == "ok"

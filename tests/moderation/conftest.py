"""The real models (loaded once per session) and a comment service that moderates with them."""

from __future__ import annotations

import pytest

from tests.conftest import FakeClock
from townhall.config import Settings
from townhall.moderation.pipeline import Models, Pipeline
from townhall.services import Services, build_services
from townhall.storage import Storage


@pytest.fixture(scope="session")
def models() -> Models:
    return Models.load()


@pytest.fixture
def moderated(storage: Storage, config: Settings, clock: FakeClock, models: Models) -> Services:
    return build_services(config, storage, "secret", moderator=Pipeline(models), clock=clock)

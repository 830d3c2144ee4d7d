"""The app in process with a site, a held comment and one signed-in session per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from tests.conftest import ORIGIN, FakeClock
from townhall.app import create_app
from townhall.config import load
from townhall.models import Comment
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.services import Services
from townhall.services.identity import guest
from townhall.storage import Storage
from townhall.types import Decision, Role

SECRET_TEXT = "Private words only moderators may read"
URL = f"{ORIGIN}/local/night-bus"
PASSWORD = "moderate-well-123"


class HoldEverything:
    def assess(self, request: ModerationRequest) -> Verdict:
        signals = {
            "off_topic": {
                "score": 0.9,
                "version": "test",
                "evidence": {"nearest_passage": "Buses run at night.", "similarity": 0.1},
            }
        }
        return Verdict(Decision.HOLD, ("off_topic 0.90 ≥ hold threshold 0.50",), "", signals, "post")


@dataclass
class Dashboard:
    client: TestClient
    services: Services
    comment: Comment
    sessions: dict[Role, tuple[str, str]]  # role → (session token, CSRF token)

    def cookie(self, role: Role) -> dict[str, str]:
        return {"Cookie": f"townhall_admin={self.sessions[role][0]}"}

    def csrf(self, role: Role) -> str:
        return self.sessions[role][1]


def make_dashboard(tmp_path: Path, clock: FakeClock, **settings: Any) -> Iterator[Dashboard]:
    config = load(
        overrides={
            "database_url": f"sqlite:///{tmp_path / 'townhall.sqlite3'}",
            "secret_key": "test-secret",
            "fetch_articles": False,
            "moderation_enabled": False,
            **settings,
        }
    )
    storage = Storage(config.database_url)
    storage.migrate()
    app = create_app(config, storage=storage, moderator=HoldEverything(), clock=clock)
    services: Services = app.state.services
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    comment = services.comments.post(site, URL, SECRET_TEXT, guest("Ana", None, "reader-ana", "s")).comment
    sessions = {}
    for role in Role:
        services.accounts.add(role.value, role, PASSWORD)
        session = services.accounts.start_session(services.accounts.get(role.value))
        sessions[role] = (session.token, session.csrf_token)
    with TestClient(app, base_url="http://townhall.test") as client:
        yield Dashboard(client, services, comment, sessions)


@pytest.fixture
def dashboard(tmp_path: Path, clock: FakeClock) -> Iterator[Dashboard]:
    yield from make_dashboard(tmp_path, clock)

"""The read path's cache: repeated reads skip the database, and no change is ever missed."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import SITE, URL, post_comment
from tests.conftest import ORIGIN, FakeClock
from townhall.services import Services
from townhall.types import ActorKind

PARAMS = {"site": SITE, "url": URL, "sort": "newest"}


def _fail(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the database was asked on a cache hit")


def test_a_repeated_read_is_answered_without_the_database(
    client: TestClient, api_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_comment(client)
    first = client.get("/api/v1/threads", params=PARAMS)
    monkeypatch.setattr(api_services.stories, "find", _fail)
    monkeypatch.setattr(api_services.comments, "thread", _fail)
    second = client.get("/api/v1/threads", params=PARAMS, headers={"Origin": ORIGIN})
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["access-control-allow-origin"] == ORIGIN
    assert (
        client.get(
            "/api/v1/threads", params=PARAMS, headers={"If-None-Match": first.headers["etag"]}
        ).status_code
        == 304
    )


def test_a_new_comment_is_seen_by_the_very_next_read(client: TestClient) -> None:
    post_comment(client, "First.")
    assert len(client.get("/api/v1/threads", params=PARAMS).json()["comments"]) == 1
    post_comment(client, "Second.")
    assert len(client.get("/api/v1/threads", params=PARAMS).json()["comments"]) == 2


def test_a_cached_page_from_a_foreign_origin_is_still_refused(client: TestClient) -> None:
    post_comment(client)
    client.get("/api/v1/threads", params=PARAMS)
    refused = client.get("/api/v1/threads", params=PARAMS, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"


def test_the_gzipped_page_decodes_to_the_same_json(client: TestClient) -> None:
    post_comment(client)
    plain = client.get("/api/v1/threads", params=PARAMS, headers={"Accept-Encoding": "identity"})
    raw = client.get("/api/v1/threads", params=PARAMS, headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert (
        json.loads(gzip.decompress(raw.read()) if raw.content[:2] == b"\x1f\x8b" else raw.content)
        == plain.json()
    )


def test_a_story_closing_by_date_shows_closed_even_from_the_cache(
    client: TestClient, api_services: Services, clock: FakeClock
) -> None:
    post_comment(client)
    story_id = client.get("/api/v1/threads", params=PARAMS).json()["story"]["id"]
    api_services.stories.schedule_close(story_id, clock.now + timedelta(hours=1), ActorKind.PUBLISHER, "test")
    assert client.get("/api/v1/threads", params=PARAMS).json()["story"]["closed"] is False
    clock.advance(hours=2)
    assert client.get("/api/v1/threads", params=PARAMS).json()["story"]["closed"] is True

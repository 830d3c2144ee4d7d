"""Atom feeds over HTTP: published comments only, sanitised HTML escaped, valid ids and dates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from tests.conftest import ORIGIN, FakeClock
from townhall.app import create_app
from townhall.config import Settings
from townhall.services import Services
from townhall.services.identity import guest
from townhall.storage import Storage
from townhall.types import ActorKind

A = "{http://www.w3.org/2005/Atom}"
URL = f"{ORIGIN}/politics/bridge-vote"


@pytest.fixture
def client(storage: Storage, config: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(
        config.model_copy(update={"public_url": "https://comments.news.example"}),
        storage=storage,
        clock=clock,
    )
    app.state.services.sites.add("ledger", "The Ledger & Co", [ORIGIN])
    with TestClient(app, base_url="http://townhall.test") as test_client:
        yield test_client


def post(services: Services, body: str, name: str = "Ana", url: str = URL, parent_id: int | None = None):
    site = services.sites.get("ledger")
    return services.comments.post(
        site, url, body, guest(name, None, f"reader-{name}-0123456789", "s"), parent_id=parent_id
    )


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)


def test_site_feed_lists_published_comments_newest_first_with_escaped_html(
    client: TestClient, clock: FakeClock
) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    first = post(services, "Plain **bold** <script>alert(1)</script>", name="Ana <b>").comment
    clock.advance(minutes=5)
    services.sites.update_settings("ledger", {"moderation_mode": "pre"})
    post(services, "Held, so not in the feed.")
    services.sites.update_settings("ledger", {"moderation_mode": "post"})
    clock.advance(minutes=5)
    second = post(services, "Second \x0b comment", url=f"{ORIGIN}/city/tram").comment
    feed = parse(client.get("/feeds/ledger.atom"))
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}id") == "tag:news.example,2026:townhall/ledger/comments"
    assert feed.findtext(f"{A}title") == "Comments on The Ledger & Co"
    assert datetime.fromisoformat(feed.findtext(f"{A}updated") or "") == second.created_at
    self_link = feed.find(f"{A}link[@rel='self']")
    assert (
        self_link is not None and self_link.get("href") == "https://comments.news.example/feeds/ledger.atom"
    )
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [
        f"tag:news.example,2026:townhall/ledger/comment/{second.id}",
        f"tag:news.example,2026:townhall/ledger/comment/{first.id}",
    ]
    content = entries[1].find(f"{A}content")
    assert content is not None and content.get("type") == "html"
    assert "<strong>bold</strong>" in (content.text or "")  # the stored, sanitised HTML, as escaped text
    assert "<script" not in (content.text or "")
    assert b"<script" not in client.get("/feeds/ledger.atom").content
    assert entries[1].findtext(f"{A}author/{A}name") == "Ana <b>"
    assert entries[0].findtext(f"{A}content") == "<p>Second  comment</p>"


def test_story_feed_by_id_and_by_url_and_deleted_or_rejected_comments_leave(client: TestClient) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    kept = post(services, "Kept.").comment
    gone = post(services, "Rejected later.").comment
    post(services, "Elsewhere.", url=f"{ORIGIN}/city/tram")
    services.queue.reject(gone.id, "mod")
    by_id = parse(client.get(f"/feeds/ledger/stories/{kept.story_id}.atom"))
    by_url = parse(client.get("/feeds/ledger/story.atom", params={"url": URL}))
    for feed in (by_id, by_url):
        assert feed.findtext(f"{A}id") == f"tag:news.example,2026:townhall/ledger/story/{kept.story_id}"
        assert [e.findtext(f"{A}content") for e in feed.findall(f"{A}entry")] == ["<p>Kept.</p>"]
    services.stories.close(kept.story_id, ActorKind.PUBLISHER, "editor")
    assert len(parse(client.get(f"/feeds/ledger/stories/{kept.story_id}.atom")).findall(f"{A}entry")) == 1


def test_unknown_sites_and_stories_are_404_in_the_error_shape(client: TestClient) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    services.sites.add("other", "Other", ["https://other.example"])
    other = post(services, "Hi.").comment
    for path in (
        "/feeds/nope.atom",
        "/feeds/ledger/stories/999.atom",
        "/feeds/ledger/stories/99999999999.atom",
        f"/feeds/other/stories/{other.story_id}.atom",
        "/feeds/ledger/story.atom?url=https://news.example/never",
        "/feeds/ledger/story.atom",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_an_empty_feed_is_still_valid_atom(client: TestClient) -> None:
    feed = parse(client.get("/feeds/ledger.atom"))
    assert feed.findtext(f"{A}updated") and feed.findall(f"{A}entry") == []

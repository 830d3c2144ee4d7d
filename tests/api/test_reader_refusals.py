"""What a reader is told when a write cannot be done: accurate codes and messages, nothing written."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import READER, SITE, URL, assert_error, post_comment, row_counts
from townhall.services import Services


@pytest.mark.parametrize("body", ["\u200b\u200b\u200b", "\u200d \ufeff", "\u202e\u202c", " \u2060 "])
def test_a_body_with_nothing_visible_is_refused(
    client: TestClient, api_services: Services, body: str
) -> None:
    before = row_counts(api_services)
    error = assert_error(post_comment(client, body), 422)
    assert error["fields"] == {"body": "no visible text"}
    assert row_counts(api_services) == before


def test_a_reader_cannot_vote_on_their_own_comment(client: TestClient) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    path = f"/api/v1/comments/{comment_id}/votes"
    error = assert_error(client.post(path, json={"value": 1}, headers={"X-Townhall-Reader": READER}), 403)
    assert error["code"] == "own_comment" and "own comment" in error["message"]
    other = client.post(path, json={"value": 1}, headers={"X-Townhall-Reader": "someone-else-0123456789"})
    assert other.json()["comment"]["upvotes"] == 1


def test_a_reply_to_a_held_comment_says_it_awaits_moderation(
    client: TestClient, api_services: Services, api_key: str
) -> None:
    changed = client.patch(
        "/api/v1/admin/site", json={"moderation_mode": "pre"}, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert changed.status_code == 200
    held = post_comment(client)
    assert held.json()["status"] == "held"
    before = row_counts(api_services)
    reply = post_comment(client, "A reply.", parent_id=held.json()["comment"]["id"])
    error = assert_error(reply, 409, "parent_not_published")
    assert "awaiting moderation" in error["message"] and "not in this thread" not in error["message"]
    assert row_counts(api_services) == before
    # A comment that does not exist is still "not in this thread".
    assert (
        "not in this thread" in assert_error(post_comment(client, "Reply.", parent_id=9999), 422)["message"]
    )


def test_a_closed_thread_says_when_and_why(client: TestClient, api_key: str) -> None:
    post_comment(client)
    thread = client.get("/api/v1/threads", params={"site": SITE, "url": URL}).json()
    assert thread["story"]["closed_at"] is None and thread["story"]["close_reason"] == ""
    closed = client.post(
        f"/api/v1/admin/stories/{thread['story']['id']}/close",
        json={"reason": "The trial has started; comments would prejudice it."},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert closed.status_code == 200, closed.text
    story = client.get("/api/v1/threads", params={"site": SITE, "url": URL}).json()["story"]
    assert story["closed"] is True and story["closed_at"] == "2026-11-20T12:00:00Z"
    assert story["close_reason"] == "The trial has started; comments would prejudice it."
    assert_error(post_comment(client, "Too late."), 409, "comments_closed")

"""Reading a thread: cursor pages, sorts, nesting, ETag/304, closed stories, and counts for a list of URLs."""

from __future__ import annotations

import base64

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.api.conftest import SITE, URL, assert_error, from_address, post_comment
from tests.conftest import ORIGIN, FakeClock
from townhall.services import Services
from townhall.types import ActorKind


def _read(client: TestClient, headers: dict[str, str] | None = None, **params: object):
    return client.get("/api/v1/threads", params={"site": SITE, "url": URL, **params}, headers=headers or {})


def _ids(page: dict) -> list[int]:
    return [c["id"] for c in page["comments"]]


def _post_many(client: TestClient, clock: FakeClock, count: int) -> list[int]:
    ids = []
    for i in range(count):
        ids.append(post_comment(client, f"Comment number {i}").json()["comment"]["id"])
        clock.advance(seconds=1)
    return ids


def test_empty_thread_for_a_page_seen_the_first_time(client: TestClient) -> None:
    page = _read(client).json()
    assert page["comments"] == [] and page["next_cursor"] is None and page["total"] == 0
    assert page["story"]["url"] == URL and page["story"]["closed"] is False and page["sort"] == "newest"


def test_pages_follow_next_cursor_to_the_end(client: TestClient, clock: FakeClock) -> None:
    ids = _post_many(client, clock, 5)
    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, object] = {"sort": "oldest", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = _read(client, **params).json()
        seen += _ids(page)
        pages += 1
        assert page["total"] == 5
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3


def test_default_page_size_comes_from_the_config(client: TestClient, api_services: Services, clock) -> None:
    _post_many(client, clock, 3)
    page = _read(client).json()
    assert len(page["comments"]) == 3 and api_services.config.page_size >= 3


def test_sorts_newest_oldest_best(client: TestClient, app: Starlette, clock: FakeClock) -> None:
    first, second, third = _post_many(client, clock, 3)
    for n, reader in enumerate(["reader-aaaaaaaaaaaaaaaa", "reader-bbbbbbbbbbbbbbbb"]):
        with from_address(app, f"192.0.2.{n + 1}") as voter:  # one vote per address
            headers = {"X-Townhall-Reader": reader}
            voter.post(f"/api/v1/comments/{second}/votes", json={"value": 1}, headers=headers)
            if n == 0:
                voter.post(f"/api/v1/comments/{first}/votes", json={"value": 1}, headers=headers)
    assert _ids(_read(client, sort="newest").json()) == [third, second, first]
    assert _ids(_read(client, sort="oldest").json()) == [first, second, third]
    best = _read(client, sort="best").json()
    assert _ids(best) == [second, first, third] and best["sort"] == "best"


def test_best_sort_pages_by_cursor_too(client: TestClient, clock: FakeClock) -> None:
    ids = _post_many(client, clock, 4)
    client.post(
        f"/api/v1/comments/{ids[2]}/votes", json={"value": 1}, headers={"X-Townhall-Reader": "r" * 20}
    )
    first = _read(client, sort="best", limit=2).json()
    second = _read(client, sort="best", limit=2, cursor=first["next_cursor"]).json()
    assert _ids(first)[0] == ids[2]
    assert sorted(_ids(first) + _ids(second)) == sorted(ids) and second["next_cursor"] is None


def test_replies_are_nested_in_the_json(client: TestClient) -> None:
    top = post_comment(client, "Top").json()["comment"]["id"]
    reply = post_comment(client, "Reply", parent_id=top).json()["comment"]["id"]
    deeper = post_comment(client, "Deeper", parent_id=reply).json()["comment"]["id"]
    (root,) = _read(client).json()["comments"]
    assert root["id"] == top
    (child,) = root["replies"]
    assert child["id"] == reply and child["depth"] == 1
    assert [c["id"] for c in child["replies"]] == [deeper] and child["replies"][0]["depth"] == 2


def test_deleted_comment_with_replies_stays_as_a_placeholder(client: TestClient) -> None:
    top = post_comment(client, "Top").json()
    post_comment(client, "Reply", parent_id=top["comment"]["id"])
    client.delete(
        f"/api/v1/comments/{top['comment']['id']}", headers={"X-Townhall-Edit-Token": top["edit_token"]}
    )
    (root,) = _read(client).json()["comments"]
    assert root["status"] == "deleted" and root["author"] is None and root["html"] == ""
    assert len(root["replies"]) == 1


def test_etag_and_if_none_match_give_304(client: TestClient) -> None:
    post_comment(client)
    first = _read(client)
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "no-cache"
    again = _read(client, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert _read(client, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_etag_changes_after_a_new_comment_a_vote_and_an_edit(client: TestClient) -> None:
    posted = post_comment(client).json()
    tags = [_read(client).headers["etag"]]
    post_comment(client, "Another")
    tags.append(_read(client).headers["etag"])
    client.post(
        f"/api/v1/comments/{posted['comment']['id']}/votes",
        json={"value": 1},
        headers={"X-Townhall-Reader": "v" * 20},
    )
    tags.append(_read(client).headers["etag"])
    client.patch(
        f"/api/v1/comments/{posted['comment']['id']}",
        json={"body": "Edited"},
        headers={"X-Townhall-Edit-Token": posted["edit_token"]},
    )
    tags.append(_read(client).headers["etag"])
    assert len(set(tags)) == 4
    assert _read(client, headers={"If-None-Match": tags[0]}).status_code == 200


def test_etag_differs_per_sort_and_page(client: TestClient, clock: FakeClock) -> None:
    _post_many(client, clock, 3)
    tags = {_read(client, sort=sort).headers["etag"] for sort in ("newest", "oldest")}
    tags.add(_read(client, limit=1).headers["etag"])
    assert len(tags) == 3


def test_closed_story_is_readable_and_refuses_comments(client: TestClient, api_services: Services) -> None:
    post_comment(client)
    first = _read(client)
    story_id, before = first.json()["story"]["id"], first.headers["etag"]
    api_services.stories.close(story_id, ActorKind.PUBLISHER, "editor")
    page = _read(client)
    assert page.json()["story"]["closed"] is True and len(page.json()["comments"]) == 1
    assert page.headers["etag"] != before
    error = assert_error(post_comment(client), 409, "comments_closed")
    assert error["message"] == "Comments are closed."


def test_story_closes_by_date_as_the_clock_moves(client: TestClient, api_services: Services, clock) -> None:
    api_services.sites.update_settings(SITE, {"auto_close_days": 1})
    post_comment(client)
    assert _read(client).json()["story"]["closed"] is False
    clock.advance(days=1, seconds=1)
    assert _read(client).json()["story"]["closed"] is True
    assert assert_error(post_comment(client), 409)["message"] == "Comments are closed."


def test_counts_for_a_list_of_urls(client: TestClient) -> None:
    post_comment(client)
    post_comment(client, "Second")
    other = f"{ORIGIN}/sport/derby"
    post_comment(client, url=other)
    unseen = f"{ORIGIN}/never/seen"
    tracked = f"{URL}?utm_source=newsletter#comments"
    response = client.get("/api/v1/counts", params={"site": SITE, "url": [URL, other, unseen, tracked]})
    assert response.status_code == 200
    assert response.json() == {"counts": {URL: 2, other: 1, unseen: 0, tracked: 2}}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"site": SITE}, 422),
        ({"site": "nowhere", "url": URL}, 404),
        ({"site": SITE, "url": "not a url"}, 422),
        ({"site": SITE, "url": [URL] * 201}, 422),
    ],
)
def test_bad_counts_requests_are_4xx(client: TestClient, params: dict, status: int) -> None:
    assert_error(client.get("/api/v1/counts", params=params), status)


def test_counts_from_a_foreign_origin_are_refused(client: TestClient) -> None:
    response = client.get(
        "/api/v1/counts", params={"site": SITE, "url": URL}, headers={"Origin": "https://x.example"}
    )
    assert_error(response, 403, "origin_not_allowed")


def test_forged_cursor_with_a_huge_id_is_422(client: TestClient) -> None:
    cursor = base64.urlsafe_b64encode(b"0:99999999999999999999").decode().rstrip("=")
    assert_error(_read(client, cursor=cursor), 422)

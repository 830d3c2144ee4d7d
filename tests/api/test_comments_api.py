"""Posting, replying, editing, deleting, voting and reporting over HTTP, as guests and as SSO readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import jwt
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.api.conftest import (
    READER,
    SITE,
    URL,
    assert_error,
    from_address,
    post_comment,
    row_counts,
    sso_token,
)
from tests.conftest import ORIGIN, FakeClock
from townhall.services import Services

READER_HEADERS = {"X-Townhall-Reader": READER}
EMAIL = "ana.private@example.org"


def _token_headers(token: str) -> dict[str, str]:
    return {"X-Townhall-Edit-Token": token}


def _thread(client: TestClient, **params: str) -> dict:
    response = client.get("/api/v1/threads", params={"site": SITE, "url": URL, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_guest_post_is_published_with_an_edit_token(client: TestClient) -> None:
    response = post_comment(client, "Hello **world**")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "published" and data["message"] == "Your comment is published."
    assert len(data["edit_token"]) >= 16
    comment = data["comment"]
    assert comment["author"] == {"name": "Ana", "avatar": None, "badge": None, "kind": "guest"}
    assert comment["html"] == "<p>Hello <strong>world</strong></p>"
    assert comment["parent_id"] is None and comment["depth"] == 0 and comment["replies"] == []
    assert _thread(client)["comments"][0]["id"] == comment["id"]


@pytest.mark.parametrize("name", [None, "", "   "])
def test_guest_name_is_required(client: TestClient, api_services: Services, name: str | None) -> None:
    before = row_counts(api_services)
    error = assert_error(post_comment(client, author_name=name), 422)
    assert "author_name" in error["fields"] and "name" in error["message"]
    assert row_counts(api_services) == before


def test_guest_name_longer_than_the_setting_is_refused(client: TestClient, api_services: Services) -> None:
    too_long = "n" * (api_services.config.max_name_chars + 1)
    assert "author_name" in assert_error(post_comment(client, author_name=too_long), 422)["fields"]


def test_email_is_optional_and_never_shown(client: TestClient, sso_secret: str) -> None:
    assert post_comment(client, "No e-mail given.").status_code == 201
    posted = post_comment(client, "With e-mail.", author_email=EMAIL)
    assert posted.status_code == 201
    token = sso_token(sso_secret, email="sso.private@example.org")
    sso = post_comment(client, "Signed in.", author_name=None, sso_token=token)
    comment_id, edit_token = posted.json()["comment"]["id"], posted.json()["edit_token"]
    responses = [
        posted,
        sso,
        client.get("/api/v1/threads", params={"site": SITE, "url": URL}),
        client.get(f"/api/v1/comments/{comment_id}", headers=_token_headers(edit_token)),
        client.patch(
            f"/api/v1/comments/{comment_id}", json={"body": "Edited."}, headers=_token_headers(edit_token)
        ),
        client.post(
            f"/api/v1/comments/{comment_id}/votes",
            json={"value": 1},
            headers={"X-Townhall-Reader": "another-reader-0123456789"},
        ),
    ]
    for response in responses:
        assert response.status_code < 300, response.text
        assert "private@example.org" not in response.text and "email" not in response.text


def test_bad_email_is_refused_naming_the_field(client: TestClient) -> None:
    assert "author_email" in assert_error(post_comment(client, author_email="not an address"), 422)["fields"]


class _Tags(HTMLParser):
    """The real elements and attributes in a piece of HTML (escaped text is not an element)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_html_is_sanitised(client: TestClient) -> None:
    body = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) "
        "<a href='https://a.example' onclick='alert(4)'>a</a> [ok](https://ok.example) "
        "[data](data:text/html;base64,PHNjcmlwdD4=)"
    )
    elements = _elements(post_comment(client, body).json()["comment"]["html"])
    assert {tag for tag, _ in elements} <= {"p", "a"}
    links = [attrs for tag, attrs in elements if tag == "a"]
    assert links == [{"href": "https://ok.example", "rel": "nofollow ugc noopener"}]
    assert not any(name.startswith("on") for _, attrs in elements for name in attrs)


def test_honeypot_field_is_accepted(client: TestClient) -> None:
    response = post_comment(client, website="https://cheap-pills.example")
    assert response.status_code == 201  # with moderation off it is published; the moderator reads it


def test_reply_nests_under_its_parent(client: TestClient) -> None:
    parent = post_comment(client, "Top").json()["comment"]
    reply = post_comment(client, "Reply", parent_id=parent["id"]).json()["comment"]
    assert reply["parent_id"] == parent["id"] and reply["depth"] == 1
    nested = _thread(client)["comments"]
    assert [c["id"] for c in nested] == [parent["id"]]
    assert [r["id"] for r in nested[0]["replies"]] == [reply["id"]]


def test_reply_to_a_comment_of_another_story_is_refused(client: TestClient) -> None:
    other = post_comment(client, url=f"{ORIGIN}/sport/derby").json()["comment"]
    error = assert_error(post_comment(client, parent_id=other["id"]), 422)
    assert "parent_id" in error["fields"]


def test_replies_stop_at_max_depth(client: TestClient, api_services: Services) -> None:
    parent_id = post_comment(client).json()["comment"]["id"]
    for _ in range(api_services.config.max_depth):
        parent_id = post_comment(client, "Deeper", parent_id=parent_id).json()["comment"]["id"]
    assert_error(post_comment(client, "Too deep", parent_id=parent_id), 422)


def test_edit_with_token_within_window(client: TestClient, clock: FakeClock) -> None:
    posted = post_comment(client).json()
    path = f"/api/v1/comments/{posted['comment']['id']}"
    response = client.patch(
        path, json={"body": "Changed *text*"}, headers=_token_headers(posted["edit_token"])
    )
    assert response.status_code == 200
    assert response.json()["comment"]["html"] == "<p>Changed <em>text</em></p>"
    assert response.json()["comment"]["edited_at"] is not None
    assert_error(client.patch(path, json={"body": "x"}, headers=_token_headers("wrong-token-123")), 401)
    assert_error(client.patch(path, json={"body": "x"}), 422)  # no token at all
    clock.advance(minutes=16)
    error = assert_error(
        client.patch(path, json={"body": "Late"}, headers=_token_headers(posted["edit_token"])), 403
    )
    assert error["code"] == "edit_window_over"


def test_delete_with_token_within_window(client: TestClient, clock: FakeClock) -> None:
    first, second = post_comment(client, "One").json(), post_comment(client, "Two").json()
    path = f"/api/v1/comments/{first['comment']['id']}"
    assert_error(client.delete(path, headers=_token_headers("wrong-token-123")), 401)
    response = client.delete(path, headers=_token_headers(first["edit_token"]))
    assert response.status_code == 204 and response.content == b""
    assert_error(client.delete(path, headers=_token_headers(first["edit_token"])), 404)
    thread = _thread(client)
    assert [c["id"] for c in thread["comments"]] == [second["comment"]["id"]]
    assert thread["story"]["comment_count"] == 1
    clock.advance(minutes=16)
    late = f"/api/v1/comments/{second['comment']['id']}"
    assert_error(client.delete(late, headers=_token_headers(second["edit_token"])), 403)


def test_own_comment_needs_its_edit_token(client: TestClient) -> None:
    posted = post_comment(client).json()
    path = f"/api/v1/comments/{posted['comment']['id']}"
    response = client.get(path, headers=_token_headers(posted["edit_token"]))
    assert response.status_code == 200 and response.json()["comment"]["id"] == posted["comment"]["id"]
    assert_error(client.get(path, headers=_token_headers("wrong-token-123")), 401)
    assert_error(client.get(path), 422)
    assert_error(client.get("/api/v1/comments/999", headers=_token_headers(posted["edit_token"])), 404)


def _by_another_reader(client: TestClient) -> int:
    payload = {"site": SITE, "url": URL, "body": "A fair point about the bridge.", "author_name": "Bo"}
    posted = client.post("/api/v1/comments", json=payload, headers={"X-Townhall-Reader": "author-0123456789"})
    return int(posted.json()["comment"]["id"])


def test_vote_once_per_reader_and_address_turn_and_undo(client: TestClient, app: Starlette) -> None:
    comment_id = _by_another_reader(client)
    path = f"/api/v1/comments/{comment_id}/votes"
    first = client.post(path, json={"value": 1}, headers=READER_HEADERS)
    assert first.status_code == 200
    assert first.json() == {"comment": {"id": comment_id, "upvotes": 1, "downvotes": 0}}
    assert_error(client.post(path, json={"value": 1}, headers=READER_HEADERS), 409, "already_voted")
    # Another reader token from the same address is not another vote.
    same_address = {"X-Townhall-Reader": "another-reader-0123456789"}
    assert_error(client.post(path, json={"value": -1}, headers=same_address), 409, "already_voted")
    with from_address(app, "192.0.2.20") as elsewhere:
        other = elsewhere.post(path, json={"value": -1}, headers=same_address)
    assert other.json()["comment"] == {"id": comment_id, "upvotes": 1, "downvotes": 1}
    # Voting the other way turns the vote; DELETE takes it back, and the reader may vote again.
    turned = client.post(path, json={"value": -1}, headers=READER_HEADERS)
    assert turned.json()["comment"] == {"id": comment_id, "upvotes": 0, "downvotes": 2}
    undone = client.delete(path, headers=READER_HEADERS)
    assert undone.json()["comment"] == {"id": comment_id, "upvotes": 0, "downvotes": 1}
    assert_error(client.delete(path, headers=READER_HEADERS), 404, "no_vote")
    assert client.post(path, json={"value": 1}, headers=READER_HEADERS).json()["comment"]["upvotes"] == 1


def test_one_address_with_many_reader_tokens_counts_once(client: TestClient) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    path = f"/api/v1/comments/{comment_id}/votes"
    answers = [
        client.post(
            path, json={"value": 1}, headers={"X-Townhall-Reader": f"fresh-reader-token-{i:04d}"}
        ).status_code
        for i in range(15)
    ]
    assert answers.count(200) == 1 and answers.count(409) == 14


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        ({}, 1),
        ({"X-Townhall-Reader": "short"}, 1),
        (READER_HEADERS, 0),
        (READER_HEADERS, True),
        (READER_HEADERS, 1.0),
    ],
)
def test_bad_votes_are_422(client: TestClient, headers: dict, value: object) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    assert_error(
        client.post(f"/api/v1/comments/{comment_id}/votes", json={"value": value}, headers=headers), 422
    )


def test_reports_take_a_known_reason_once_per_reader(client: TestClient, api_services: Services) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    path = f"/api/v1/comments/{comment_id}/reports"
    response = client.post(
        path, json={"reason": "abuse", "note": "Rude to another reader"}, headers=READER_HEADERS
    )
    assert response.status_code == 202 and "moderator" in response.json()["message"]
    assert_error(client.post(path, json={"reason": "spam"}, headers=READER_HEADERS), 409, "already_reported")
    error = assert_error(client.post(path, json={"reason": "boring"}, headers=READER_HEADERS), 422)
    assert "reason" in error["fields"]
    with api_services.storage.read() as tx:
        assert [r["reason"] for r in tx.feedback.reports_for(comment_id)] == ["abuse"]


@pytest.mark.parametrize("reason", ["spam", "abuse", "off_topic", "misinformation", "other"])
def test_every_report_reason_is_accepted(client: TestClient, reason: str) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    response = client.post(
        f"/api/v1/comments/{comment_id}/reports", json={"reason": reason}, headers=READER_HEADERS
    )
    assert response.status_code == 202


def test_sso_reader_posts_under_the_publishers_identity(client: TestClient, sso_secret: str) -> None:
    token = sso_token(sso_secret, avatar="https://cdn.news.example/maria.png", badge="Subscriber")
    response = post_comment(client, author_name=None, sso_token=token)
    assert response.status_code == 201, response.text
    author = response.json()["comment"]["author"]
    assert author == {
        "name": "Maria Lopez",
        "avatar": "https://cdn.news.example/maria.png",
        "badge": "Subscriber",
        "kind": "sso",
    }


def test_sso_avatar_that_is_not_https_is_dropped(client: TestClient, sso_secret: str) -> None:
    token = sso_token(sso_secret, avatar="javascript:alert(1)")
    assert post_comment(client, sso_token=token).json()["comment"]["author"]["avatar"] is None


def _expired(secret: str) -> str:
    return sso_token(secret, exp=datetime.now(UTC) - timedelta(minutes=5))


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (_expired, "token_expired"),
        (lambda secret: sso_token("not-the-site-secret-but-long-enough-0123"), "bad_token"),
        (lambda secret: sso_token(secret, name=None), "bad_token"),
        (lambda secret: sso_token(secret, sub=None), "bad_token"),
        (lambda secret: sso_token(secret, exp=None), "bad_token"),
        (lambda secret: sso_token(secret, name=""), "bad_token"),
        (lambda secret: sso_token(secret, name=["not", "text"]), "bad_token"),
        (lambda secret: sso_token(secret, name="Maria\x00"), "bad_token"),
        (
            lambda secret: jwt.encode({"sub": "1", "name": "M", "exp": 9999999999}, None, algorithm="none"),
            "bad_token",
        ),
        (lambda secret: "not-a-token", "bad_token"),
    ],
)
def test_bad_sso_tokens_are_401(
    client: TestClient, api_services: Services, sso_secret: str, make_token, code
) -> None:
    before = row_counts(api_services)
    assert_error(post_comment(client, author_name=None, sso_token=make_token(sso_secret)), 401, code)
    assert row_counts(api_services) == before


def test_sso_token_for_a_site_without_sso_is_401(client: TestClient, api_services: Services) -> None:
    api_services.sites.add("gazette", "The Gazette", ["https://gazette.example"])
    token = sso_token("whatever-secret-that-is-long-enough-012345")
    response = post_comment(client, site="gazette", url="https://gazette.example/a", sso_token=token)
    assert_error(response, 401, "sso_not_configured")


def test_sso_claims_of_the_wrong_type_do_not_break_the_write(client: TestClient, sso_secret: str) -> None:
    token = sso_token(sso_secret, email=12345, avatar=["x"], badge={"a": 1})
    response = post_comment(client, author_name=None, sso_token=token)
    assert response.status_code == 201
    assert response.json()["comment"]["author"]["avatar"] is None
    assert response.json()["comment"]["author"]["badge"] is None


def test_widget_config_for_the_site(client: TestClient, api_services: Services) -> None:
    response = client.get(f"/api/v1/sites/{SITE}/config", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    data = response.json()
    assert data["site"] == SITE and data["sso"] is True
    assert data["max_chars"] == api_services.config.max_comment_chars
    assert_error(client.get("/api/v1/sites/nowhere/config"), 404, "unknown_site")
    assert_error(client.get(f"/api/v1/sites/{SITE}/config", headers={"Origin": "https://evil.example"}), 403)


def test_posting_over_postgresql(api_postgres: TestClient) -> None:
    posted = post_comment(api_postgres, "Over **PostgreSQL**", author_email=EMAIL)
    assert posted.status_code == 201, posted.text
    reply = post_comment(api_postgres, "A reply", parent_id=posted.json()["comment"]["id"])
    assert reply.status_code == 201
    thread = api_postgres.get("/api/v1/threads", params={"site": SITE, "url": URL}).json()
    assert thread["comments"][0]["html"] == "<p>Over <strong>PostgreSQL</strong></p>"
    assert thread["comments"][0]["replies"][0]["id"] == reply.json()["comment"]["id"]
    assert EMAIL not in str(thread)

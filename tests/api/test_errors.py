"""Every bad input is a 4xx in the one error shape, with a readable message, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import READER, SITE, URL, assert_error, post_comment, row_counts
from townhall.services import Services

READER_HEADERS = {"X-Townhall-Reader": READER}
JSON = {"content-type": "application/json"}


def test_error_shape_is_exactly_code_message_fields(client: TestClient) -> None:
    response = client.get("/api/v1/threads", params={"site": "nowhere", "url": URL})
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "unknown_site", "message": "no site 'nowhere'", "fields": {}}
    }


def test_validation_errors_name_every_bad_field(client: TestClient) -> None:
    response = client.post("/api/v1/comments", json={"site": SITE, "url": URL, "body": 5, "parent_id": "x"})
    error = assert_error(response, 422, "invalid")
    assert set(error["fields"]) == {"body", "parent_id"}
    assert error["message"].startswith(("your comment:", "the comment you reply to:"))


def test_unexpected_failure_is_a_500_in_the_same_shape(app: Any, client: TestClient, monkeypatch) -> None:
    def broken(_site_id: str) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.state.services.sites, "get", broken)
    with TestClient(app, raise_server_exceptions=False) as quiet:
        response = quiet.get("/api/v1/threads", params={"site": SITE, "url": URL})
    assert_error(response, 500, "internal")
    assert "disk on fire" not in response.text


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post("/api/v1/comments", content=b'{"site": "ledger",', headers=JSON)
    assert_error(response, 400, "bad_json")


def test_body_that_is_not_utf8_is_400(client: TestClient) -> None:
    response = client.post("/api/v1/comments", content=b'{"site": "\xff\xfe"}', headers=JSON)
    assert_error(response, 400)


def test_json_nested_too_deep_to_parse_is_400(client: TestClient) -> None:
    response = client.post("/api/v1/comments", content=b"[" * 20_000 + b"]" * 20_000, headers=JSON)
    assert_error(response, 400)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"body": 12}, "body"),
        ({"body": ["a"]}, "body"),
        ({"site": None}, "site"),
        ({"parent_id": "one"}, "parent_id"),
        ({"parent_id": True}, "parent_id"),
        ({"parent_id": 0}, "parent_id"),
        ({"parent_id": 2**40}, "parent_id"),
        ({"author_email": {"a": 1}}, "author_email"),
        ({"colour": "red"}, "colour"),
        ({"body": "   "}, "body"),
        ({"body": "nul \x00 inside"}, "body"),
        ({"author_name": "A\x00na"}, "author_name"),
    ],
)
def test_wrong_types_and_values_are_422_naming_the_field(
    client: TestClient, change: dict, field: str
) -> None:
    error = assert_error(post_comment(client, **change), 422, "invalid")
    assert field in error["fields"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"null", b"42"])
def test_a_body_that_is_not_an_object_is_422(client: TestClient, body: bytes) -> None:
    assert_error(client.post("/api/v1/comments", content=body, headers=JSON), 422)


def test_missing_required_fields_are_listed(client: TestClient) -> None:
    error = assert_error(client.post("/api/v1/comments", json={}), 422)
    assert {"site", "url", "body"} <= set(error["fields"])


def test_declared_oversize_body_is_413(client: TestClient, api_services: Services) -> None:
    limit = api_services.config.max_body_bytes
    response = post_comment(client, body="x" * (limit + 10))
    error = assert_error(response, 413, "too_large")
    assert str(limit) in error["message"]


def test_streamed_oversize_body_is_413_not_400(client: TestClient, api_services: Services) -> None:
    chunk = b"x" * (api_services.config.max_body_bytes // 2 + 1)
    response = client.post("/api/v1/comments", content=iter([chunk, chunk, chunk]), headers=JSON)
    assert_error(response, 413, "too_large")


def test_unknown_route_is_404_in_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_in_the_error_shape(client: TestClient) -> None:
    assert_error(client.delete("/api/v1/threads"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"site": "nowhere", "url": URL}, 404, "unknown_site"),
        ({"site": "Not A Site!", "url": URL}, 404, "unknown_site"),
        ({"site": "led\x00ger", "url": URL}, 404, "unknown_site"),
        ({"site": SITE, "url": "not a url"}, 422, "invalid"),
        ({"site": SITE, "url": "ftp://news.example/x"}, 422, "invalid"),
        ({"site": SITE, "url": "https://news.example:99999/x"}, 422, "invalid"),
        ({"site": SITE, "url": URL + "\x00"}, 422, "invalid"),
        ({"site": SITE, "url": "https://elsewhere.example/story"}, 403, "origin_not_allowed"),
        ({"site": SITE, "url": URL, "sort": "loudest"}, 422, "invalid"),
        ({"site": SITE, "url": URL, "cursor": "%%%"}, 422, "invalid"),
        ({"site": SITE, "url": URL, "limit": 0}, 422, "invalid"),
        ({"site": SITE, "url": URL, "limit": 501}, 422, "invalid"),
        ({"site": SITE, "url": URL, "limit": 101}, 422, "invalid"),
        ({"site": SITE}, 422, "invalid"),
    ],
)
def test_bad_thread_reads_are_4xx(client: TestClient, params: dict, status: int, code: str) -> None:
    assert_error(client.get("/api/v1/threads", params=params), status, code)


@pytest.mark.parametrize("path", ["/api/v1/comments/0", "/api/v1/comments/abc", f"/api/v1/comments/{2**63}"])
def test_comment_ids_out_of_range_are_422(client: TestClient, path: str) -> None:
    assert_error(client.get(path, headers={"X-Townhall-Edit-Token": "abcdefghijkl"}), 422)


def test_unknown_comment_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/comments/999/votes", json={"value": 1}, headers=READER_HEADERS)
    assert_error(response, 404, "unknown_comment")


def test_bad_edit_token_is_401(client: TestClient) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    response = client.patch(
        f"/api/v1/comments/{comment_id}",
        json={"body": "Changed"},
        headers={"X-Townhall-Edit-Token": "not-the-token"},
    )
    assert_error(response, 401, "bad_edit_token")


# Each of these fails; none may leave a row behind (not a story, an author, a vote or an event).
BAD_WRITES: list[tuple[str, str, dict[str, Any], int]] = [
    ("post", "/api/v1/comments", {"json": {"site": SITE, "url": URL, "body": "Hi"}}, 422),  # no guest name
    ("post", "/api/v1/comments", {"json": {"site": SITE, "url": URL, "body": "Hi", "author_name": " "}}, 422),
    (
        "post",
        "/api/v1/comments",
        {"json": {"site": SITE, "url": URL, "body": "x" * 6000, "author_name": "A"}},
        422,
    ),
    (
        "post",
        "/api/v1/comments",
        {"json": {"site": "nowhere", "url": URL, "body": "Hi", "author_name": "A"}},
        404,
    ),
    (
        "post",
        "/api/v1/comments",
        {"json": {"site": SITE, "url": "https://evil.example/", "body": "Hi", "author_name": "A"}},
        403,
    ),
    (
        "post",
        "/api/v1/comments",
        {"json": {"site": SITE, "url": URL, "body": "Hi", "sso_token": "a.b.c"}},
        401,
    ),
    (
        "post",
        "/api/v1/comments",
        {
            "json": {
                "site": SITE,
                "url": URL,
                "body": "Hi",
                "author_name": "A",
                "author_email": "not-an-address",
            }
        },
        422,
    ),
    ("post", "/api/v1/comments", {"content": b'{"site": "ledger", "url": "', "headers": JSON}, 400),
    ("post", "/api/v1/comments", {"content": b"x" * 70_000, "headers": JSON}, 413),
    (
        "post",
        "/api/v1/comments",
        {
            "json": {"site": SITE, "url": URL, "body": "Hi", "author_name": "A"},
            "headers": {"Origin": "https://evil.example"},
        },
        403,
    ),
    ("post", "/api/v1/comments/1/votes", {"json": {"value": 1}}, 404),
    ("post", "/api/v1/comments/1/reports", {"json": {"reason": "spam"}}, 404),
    ("put", "/api/v1/admin/stories", {"json": {"url": URL, "text": "Article"}}, 401),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), BAD_WRITES)
def test_a_refused_write_writes_nothing(
    client: TestClient, api_services: Services, method: str, path: str, kwargs: dict, status: int
) -> None:
    before = row_counts(api_services)
    kwargs = {**kwargs, "headers": {**READER_HEADERS, **kwargs.get("headers", {})}}
    assert_error(client.request(method.upper(), path, **kwargs), status)
    assert row_counts(api_services) == before


def test_refused_reply_and_vote_on_an_existing_story_write_nothing(
    client: TestClient, api_services: Services
) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    before = row_counts(api_services)
    assert_error(post_comment(client, parent_id=comment_id + 100), 422)
    assert_error(
        client.post(f"/api/v1/comments/{comment_id}/votes", json={"value": 2}, headers=READER_HEADERS), 422
    )
    assert_error(
        client.post(f"/api/v1/comments/{comment_id}/votes", json={"value": 1}), 422
    )  # no reader token
    assert_error(
        client.post(
            f"/api/v1/comments/{comment_id}/reports", json={"reason": "boring"}, headers=READER_HEADERS
        ),
        422,
    )
    assert row_counts(api_services) == before


def test_refused_reply_on_a_new_page_creates_no_story(client: TestClient, api_services: Services) -> None:
    before = row_counts(api_services)
    assert_error(post_comment(client, url=f"{URL}-new", parent_id=1), 422)
    assert row_counts(api_services) == before


def test_postgres_refuses_what_it_cannot_store_with_4xx(api_postgres: TestClient) -> None:
    """NUL characters and ids beyond INTEGER would be database errors (500s) if they got that far."""
    assert_error(post_comment(api_postgres, body="a\x00b"), 422)
    assert_error(post_comment(api_postgres, author_name="A\x00"), 422)
    assert_error(post_comment(api_postgres, parent_id=2**31), 422)
    assert_error(api_postgres.get("/api/v1/threads", params={"site": "l\x00", "url": URL}), 404)
    assert_error(api_postgres.get("/api/v1/threads", params={"site": SITE, "url": URL + "\x00"}), 422)
    assert_error(
        api_postgres.post(f"/api/v1/comments/{2**31}/votes", json={"value": 1}, headers=READER_HEADERS), 422
    )

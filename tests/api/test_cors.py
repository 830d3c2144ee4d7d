"""CORS answers only for origins a site allows, and the routes check the origin against their own site."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import READER, SITE, URL, assert_error, post_comment, row_counts
from tests.conftest import ORIGIN
from townhall.services import Services

FOREIGN = "https://evil.example"


def _preflight(client: TestClient, origin: str, path: str = "/api/v1/comments", method: str = "POST"):
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type, x-townhall-reader",
    }
    return client.options(path, headers=headers)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/comments", "POST"),
        ("/api/v1/comments/1", "PATCH"),
        ("/api/v1/threads", "GET"),
        ("/api/v1/comments/1/votes", "POST"),
    ],
)
def test_preflight_from_an_allowed_origin_gets_cors_headers(
    client: TestClient, path: str, method: str
) -> None:
    response = _preflight(client, ORIGIN, path, method)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert method in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed_headers and "x-townhall-reader" in allowed_headers
    assert "x-townhall-edit-token" in allowed_headers
    assert "origin" in response.headers["vary"].lower()


@pytest.mark.parametrize(
    "origin", [FOREIGN, "https://news.example.evil.example", "http://news.example", "null"]
)
def test_preflight_from_another_origin_is_403_without_cors_headers(client: TestClient, origin: str) -> None:
    response = _preflight(client, origin)
    assert_error(response, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in response.headers


def test_read_from_an_allowed_origin_carries_cors_and_exposes_etag(client: TestClient) -> None:
    response = client.get("/api/v1/threads", params={"site": SITE, "url": URL}, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "etag" in response.headers["access-control-expose-headers"].lower()


def test_errors_for_an_allowed_origin_are_readable_by_the_page(
    client: TestClient, api_services: Services
) -> None:
    headers = {"Origin": ORIGIN}
    missing_name = client.post(
        "/api/v1/comments", json={"site": SITE, "url": URL, "body": "Hi"}, headers=headers
    )
    oversize = client.post(
        "/api/v1/comments",
        content=b"x" * (api_services.config.max_body_bytes + 1),
        headers={**headers, "content-type": "application/json"},
    )
    for response, status in ((missing_name, 422), (oversize, 413)):
        assert_error(response, status)
        assert response.headers["access-control-allow-origin"] == ORIGIN


def test_read_from_a_foreign_origin_is_403_without_cors_headers(client: TestClient) -> None:
    response = client.get("/api/v1/threads", params={"site": SITE, "url": URL}, headers={"Origin": FOREIGN})
    assert_error(response, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in response.headers


def test_post_with_a_foreign_origin_is_refused_and_writes_nothing(client: TestClient, api_services) -> None:
    before = row_counts(api_services)
    payload = {"site": SITE, "url": URL, "body": "From elsewhere", "author_name": "Mallory"}
    response = client.post(
        "/api/v1/comments", json=payload, headers={"Origin": FOREIGN, "X-Townhall-Reader": READER}
    )
    assert_error(response, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in response.headers
    assert row_counts(api_services) == before


def test_post_without_an_origin_header_is_allowed(client: TestClient) -> None:
    assert post_comment(client).status_code == 201  # servers and tests send none; browsers always do


def test_another_sites_origin_cannot_post_to_this_site(client: TestClient, api_services: Services) -> None:
    """CORS lets the Gazette's origin through (some site allows it); the route refuses it for the Ledger."""
    api_services.sites.add("gazette", "The Gazette", ["https://gazette.example"])
    assert _preflight(client, "https://gazette.example").status_code == 204
    payload = {"site": SITE, "url": URL, "body": "Hi", "author_name": "Gus"}
    response = client.post("/api/v1/comments", json=payload, headers={"Origin": "https://gazette.example"})
    assert_error(response, 403, "origin_not_allowed")


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "/votes", {"value": 1}),
        ("POST", "/reports", {"reason": "spam"}),
        ("PATCH", "", {"body": "Changed"}),
        ("DELETE", "", None),
        ("GET", "", None),
    ],
)
def test_acting_on_a_comment_from_a_foreign_origin_is_refused(
    client: TestClient, api_services: Services, method: str, suffix: str, body: dict | None
) -> None:
    posted = post_comment(client).json()
    before = row_counts(api_services)
    headers = {
        "Origin": FOREIGN,
        "X-Townhall-Reader": "other-reader-0123456789",
        "X-Townhall-Edit-Token": posted["edit_token"],
    }
    path = f"/api/v1/comments/{posted['comment']['id']}{suffix}"
    assert_error(client.request(method, path, json=body, headers=headers), 403, "origin_not_allowed")
    assert row_counts(api_services) == before


def test_acting_on_a_comment_from_its_sites_origin_works(client: TestClient) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    headers = {"Origin": ORIGIN, "X-Townhall-Reader": "other-reader-0123456789"}
    response = client.post(f"/api/v1/comments/{comment_id}/votes", json={"value": 1}, headers=headers)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == ORIGIN


def test_origins_come_from_the_sites_in_storage(client: TestClient, api_services: Services) -> None:
    api_services.sites.set_origins(SITE, [ORIGIN, "https://www.news.example"])
    assert _preflight(client, "https://www.news.example").status_code == 204
    response = client.get(
        "/api/v1/threads",
        params={"site": SITE, "url": "https://www.news.example/a"},
        headers={"Origin": "https://www.news.example"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://www.news.example"

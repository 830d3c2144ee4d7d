"""The admin API: a per-site key as a bearer token; without a valid one, 401 and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from tests.api.conftest import SITE, URL, assert_error, post_comment, row_counts
from tests.conftest import ORIGIN, FakeClock
from townhall.api import admin
from townhall.services import Services

ADMIN_ROUTES = [
    (method, "/api/v1" + route.path.replace("{story_id}", "1"))
    for route in admin.router.routes
    if isinstance(route, APIRoute)
    for method in sorted(route.methods)
]
UNAUTHORIZED = {"error": {"code": "unauthorized", "message": "a valid API key is required", "fields": {}}}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _push(client: TestClient, key: str, **fields: Any):
    return client.put("/api/v1/admin/stories", json={"url": URL, **fields}, headers=_auth(key))


def _bad_keys(api_services: Services, api_key: str) -> dict[str, dict[str, str]]:
    revoked = api_services.sites.create_key(SITE, "old")
    key_id = next(k["id"] for k in api_services.sites.keys(SITE) if k["label"] == "old")
    api_services.sites.revoke_key(SITE, key_id)
    return {
        "none": {},
        "empty bearer": {"Authorization": "Bearer "},
        "basic scheme": {"Authorization": f"Basic {api_key}"},
        "no scheme": {"Authorization": api_key},
        "wrong key": _auth("th_" + "x" * 43),
        "not our prefix": _auth("sk_live_1234567890"),
        "key with a typo": _auth(api_key[:-1] + ("A" if api_key[-1] != "A" else "B")),
        "revoked key": _auth(revoked),
    }


def test_admin_routes_are_all_covered() -> None:
    assert len(ADMIN_ROUTES) >= 7


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_without_a_valid_key_every_admin_route_is_401_with_one_message(
    client: TestClient, api_services: Services, api_key: str, method: str, path: str
) -> None:
    bad = _bad_keys(api_services, api_key)
    before = row_counts(api_services)
    for name, headers in bad.items():
        for body in ({"url": URL, "closes_at": None}, b"{not json", b"x" * 100):
            kwargs: dict[str, Any] = {"json": body} if isinstance(body, dict) else {"content": body}
            headers = {**headers, "content-type": "application/json"}
            response = client.request(method, path, headers=headers, **kwargs)
            assert response.status_code == 401, (name, response.text)
            assert response.json() == UNAUTHORIZED, name
    assert row_counts(api_services) == before


def test_get_site_shows_settings_but_not_secrets(client: TestClient, api_key: str, sso_secret: str) -> None:
    response = client.get("/api/v1/admin/site", headers=_auth(api_key))
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == SITE and data["origins"] == [ORIGIN]
    assert data["settings"]["edit_window_minutes"] == 15
    assert sso_secret not in response.text and api_key not in response.text


def test_key_is_accepted_with_any_case_of_bearer(client: TestClient, api_key: str) -> None:
    response = client.get("/api/v1/admin/site", headers={"Authorization": f"bearer {api_key}"})
    assert response.status_code == 200


def test_push_a_story_with_its_text_then_update_it(
    client: TestClient, api_services: Services, api_key: str
) -> None:
    published = "2026-11-19T08:00:00+00:00"
    response = _push(
        client,
        api_key,
        title="Bridge vote",
        author="J. Reporter",
        published_at=published,
        text="The council voted on the bridge.",
    )
    assert response.status_code == 200, response.text
    story = response.json()
    assert story["url"] == URL and story["title"] == "Bridge vote" and story["closed"] is False
    stored = api_services.stories.get(story["id"])
    assert stored.text == "The council voted on the bridge." and stored.author == "J. Reporter"
    again = _push(client, api_key, title="Bridge vote: the result", text="Updated text.")
    assert again.json()["id"] == story["id"] and again.json()["title"] == "Bridge vote: the result"
    assert api_services.stories.get(story["id"]).text == "Updated text."
    assert api_services.stories.get(story["id"]).author == "J. Reporter"  # untouched fields stay


def test_pushed_url_is_normalised_to_the_same_story_the_widget_uses(client: TestClient, api_key: str) -> None:
    pushed = _push(client, api_key, title="T").json()
    post_comment(client)
    thread = client.get("/api/v1/threads", params={"site": SITE, "url": URL + "?utm_medium=x#c"}).json()
    assert thread["story"]["id"] == pushed["id"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "not a url"}, "url"),
        ({"published_at": "2026-11-19T08:00:00"}, "published_at"),  # no time zone
        ({"published_at": "yesterday"}, "published_at"),
        ({"title": ["a"]}, "title"),
        ({"text": "a\x00b"}, "text"),
        ({"summary": "unknown field"}, "summary"),
    ],
)
def test_bad_story_pushes_are_422_and_write_nothing(
    client: TestClient, api_services: Services, api_key: str, fields: dict, field: str
) -> None:
    before = row_counts(api_services)
    error = assert_error(
        client.put("/api/v1/admin/stories", json={"url": URL, **fields}, headers=_auth(api_key)), 422
    )
    assert field in error["fields"]
    assert row_counts(api_services) == before


def test_push_for_an_origin_the_site_does_not_allow_is_403(client: TestClient, api_key: str) -> None:
    response = client.put(
        "/api/v1/admin/stories", json={"url": "https://elsewhere.example/a"}, headers=_auth(api_key)
    )
    assert_error(response, 403, "origin_not_allowed")


def test_close_and_reopen_a_story(client: TestClient, api_key: str) -> None:
    story_id = _push(client, api_key, title="T").json()["id"]
    closed = client.post(
        f"/api/v1/admin/stories/{story_id}/close", json={"reason": "Legal"}, headers=_auth(api_key)
    )
    assert closed.status_code == 200 and closed.json()["closed"] is True
    assert assert_error(post_comment(client), 409)["message"] == "Comments are closed."
    reopened = client.post(f"/api/v1/admin/stories/{story_id}/reopen", headers=_auth(api_key))
    assert reopened.status_code == 200 and reopened.json()["closed"] is False
    assert post_comment(client).status_code == 201


def test_set_and_clear_closes_at(client: TestClient, api_key: str, clock: FakeClock) -> None:
    story_id = _push(client, api_key, title="T").json()["id"]
    path = f"/api/v1/admin/stories/{story_id}/closes-at"
    when = clock.now + timedelta(hours=2)
    response = client.put(path, json={"closes_at": when.isoformat()}, headers=_auth(api_key))
    assert response.status_code == 200
    assert response.json()["closes_at"] == when.isoformat().replace("+00:00", "Z")
    assert response.json()["closed"] is False
    clock.advance(hours=2, seconds=1)
    assert client.get("/api/v1/admin/stories", headers=_auth(api_key)).json()["stories"][0]["closed"] is True
    assert_error(post_comment(client), 409, "comments_closed")
    cleared = client.put(path, json={"closes_at": None}, headers=_auth(api_key))
    assert cleared.json()["closes_at"] is None and cleared.json()["closed"] is False
    assert_error(client.put(path, json={"closes_at": "2026-12-01T00:00:00"}, headers=_auth(api_key)), 422)
    assert_error(client.put(path, json={}, headers=_auth(api_key)), 422)


def test_list_stories_pages(client: TestClient, api_key: str) -> None:
    for slug in ("a", "b", "c"):
        client.put("/api/v1/admin/stories", json={"url": f"{ORIGIN}/{slug}"}, headers=_auth(api_key))
    stories = client.get("/api/v1/admin/stories", params={"limit": 2}, headers=_auth(api_key)).json()[
        "stories"
    ]
    assert [s["url"] for s in stories] == [f"{ORIGIN}/c", f"{ORIGIN}/b"]
    rest = client.get(
        "/api/v1/admin/stories", params={"limit": 2, "offset": 2}, headers=_auth(api_key)
    ).json()
    assert [s["url"] for s in rest["stories"]] == [f"{ORIGIN}/a"]
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 2**40}):
        assert_error(client.get("/api/v1/admin/stories", params=params, headers=_auth(api_key)), 422)


@pytest.mark.parametrize("story_id", ["0", "abc", str(2**31), str(2**70)])
def test_story_ids_out_of_range_are_422(client: TestClient, api_key: str, story_id: str) -> None:
    assert_error(client.post(f"/api/v1/admin/stories/{story_id}/close", headers=_auth(api_key)), 422)


def test_unknown_story_is_404(client: TestClient, api_key: str) -> None:
    assert_error(
        client.post("/api/v1/admin/stories/4242/close", headers=_auth(api_key)), 404, "unknown_story"
    )


def test_a_key_of_one_site_cannot_touch_another_sites_story(
    client: TestClient, api_services: Services, api_key: str
) -> None:
    gazette = api_services.sites.add("gazette", "The Gazette", ["https://gazette.example"])
    gazette_key = api_services.sites.create_key(gazette.id)
    story_id = _push(client, gazette_key, url="https://gazette.example/local").json()["id"]
    before = row_counts(api_services)
    for path, body in (("close", {}), ("reopen", {}), ("closes-at", {"closes_at": None})):
        method = "PUT" if path == "closes-at" else "POST"
        response = client.request(
            method, f"/api/v1/admin/stories/{story_id}/{path}", json=body, headers=_auth(api_key)
        )
        error = assert_error(response, 404, "unknown_story")
        assert error["message"] == f"no story {story_id}"
    assert row_counts(api_services) == before
    listed = client.get("/api/v1/admin/stories", headers=_auth(api_key)).json()["stories"]
    assert story_id not in [s["id"] for s in listed]
    assert api_services.stories.get(story_id).closed is False


def test_change_site_settings(client: TestClient, api_services: Services, api_key: str) -> None:
    change = {
        "moderation_mode": "pre",
        "edit_window_minutes": 30,
        "auto_close_days": 7,
        "banned_words": ["scam", " scam ", "fraud"],
        "thresholds": {"toxicity": {"hold": 0.5, "reject": 0.9}},
        "origins": ["https://news.example", "https://www.news.example/"],
    }
    response = client.patch("/api/v1/admin/site", json=change, headers=_auth(api_key))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["origins"] == ["https://news.example", "https://www.news.example"]
    assert data["settings"]["moderation_mode"] == "pre" and data["settings"]["banned_words"] == [
        "scam",
        "fraud",
    ]
    site = api_services.sites.get(SITE)
    assert site.settings.edit_window_minutes == 30 and site.settings.auto_close_days == 7
    assert site.settings.thresholds == {"toxicity": {"hold": 0.5, "reject": 0.9}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"edit_window_minutes": -1}, "edit_window_minutes"),
        ({"edit_window_minutes": 1441}, "edit_window_minutes"),
        ({"edit_window_minutes": "ten"}, "edit_window_minutes"),
        ({"edit_window_minutes": True}, "edit_window_minutes"),
        ({"edit_window_minutes": None}, "edit_window_minutes"),
        ({"auto_close_days": 1.5}, "auto_close_days"),
        ({"moderation_mode": "sometimes"}, "moderation_mode"),
        ({"moderation_mode": None}, "moderation_mode"),
        ({"thresholds": {"toxicity": {"hold": 2}}}, "thresholds.toxicity.hold"),
        ({"thresholds": {"toxicity": {"hold": 0.9, "reject": 0.5}}}, "thresholds.toxicity"),
        ({"thresholds": {"toxicity": {"later": 0.5}}}, "thresholds.toxicity"),
        ({"banned_words": "scam"}, "banned_words"),
        ({"banned_words": ["x" * 101]}, "banned_words"),
        ({"banned_words": ["a\x00"]}, "banned_words"),
        ({"origins": []}, "origins"),
        ({"origins": ["not an origin"]}, "origins"),
        ({"origins": ["https://news.example/path"]}, "origins"),
        ({"sso_secret": "mine"}, "sso_secret"),
        ({"edit_window_minutes": 30, "origins": ["ftp://x"]}, "origins"),
        ({"origins": ["https://ok.example"], "auto_close_days": -5}, "auto_close_days"),
        (
            {"origins": ["https://ok.example"], "thresholds": {"spam": {"reject": 7}}},
            "thresholds.spam.reject",
        ),
    ],
)
def test_bad_site_settings_are_422_naming_the_field_and_change_nothing(
    client: TestClient, api_services: Services, api_key: str, change: dict, field: str
) -> None:
    before = api_services.sites.get(SITE)
    error = assert_error(client.patch("/api/v1/admin/site", json=change, headers=_auth(api_key)), 422)
    assert field in error["fields"], error
    assert field.split(".")[0] in error["message"]
    assert api_services.sites.get(SITE) == before


def test_settings_change_applies_to_the_keys_site_only(
    client: TestClient, api_services: Services, api_key
) -> None:
    api_services.sites.add("gazette", "The Gazette", ["https://gazette.example"])
    client.patch("/api/v1/admin/site", json={"edit_window_minutes": 60}, headers=_auth(api_key))
    assert api_services.sites.get("gazette").settings.edit_window_minutes == 15
    assert api_services.sites.get(SITE).settings.edit_window_minutes == 60


def test_admin_api_over_postgresql(api_postgres: TestClient) -> None:
    services = api_postgres.app.state.services  # type: ignore[attr-defined]
    key = services.sites.create_key(SITE)
    story = api_postgres.put("/api/v1/admin/stories", json={"url": URL, "text": "Text"}, headers=_auth(key))
    assert story.status_code == 200
    when = datetime(2027, 1, 1, tzinfo=UTC).isoformat()
    path = f"/api/v1/admin/stories/{story.json()['id']}/closes-at"
    assert (
        api_postgres.put(path, json={"closes_at": when}, headers=_auth(key)).json()["closes_at"]
        == "2027-01-01T00:00:00Z"
    )
    assert_error(api_postgres.get("/api/v1/admin/site", headers=_auth("th_\x7f")), 401)

"""The admin API's moderation routes: queues and decisions with a site's key, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import assert_error
from tests.conftest import ORIGIN, FakeClock
from townhall.app import create_app
from townhall.config import Settings
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.storage import Storage
from townhall.types import Decision

URL = f"{ORIGIN}/politics/bridge-vote"
OTHER_ORIGIN = "https://other.example"


class HoldsShouting:
    def assess(self, request: ModerationRequest) -> Verdict:
        if request.text.isupper():
            signals = {"toxicity": {"score": 0.97, "evidence": {"spans": []}, "version": "t"}}
            return Verdict(Decision.HOLD, ("toxicity 0.97",), "Waiting for a moderator.", signals)
        return Verdict(
            Decision.PUBLISH, (), "", {"toxicity": {"score": 0.02, "evidence": {}, "version": "t"}}
        )


class Admin:
    def __init__(self, client: TestClient, keys: dict[str, str]):
        self.client = client
        self.keys = keys

    def call(self, method: str, path: str, site: str = "ledger", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[site]}"}
        return self.client.request(method, "/api/v1/admin" + path, headers=headers, **kwargs)

    def post(
        self, body: str, site: str = "ledger", name: str = "Ana", reader: str = "reader-ana-0123456"
    ) -> Any:
        url = URL if site == "ledger" else f"{OTHER_ORIGIN}/a-story"
        payload = {"site": site, "url": url, "body": body, "author_name": name}
        return self.client.post("/api/v1/comments", json=payload, headers={"X-Townhall-Reader": reader})


def admin_author(admin: Admin, comment_id: int) -> int:
    return int(admin.call("GET", f"/comments/{comment_id}").json()["comment"]["author"]["id"])


@pytest.fixture
def admin(storage: Storage, config: Settings, clock: FakeClock) -> Iterator[Admin]:
    app = create_app(config, storage=storage, moderator=HoldsShouting(), clock=clock)
    services = app.state.services
    services.sites.add("ledger", "The Ledger", [ORIGIN])
    services.sites.add("other", "The Other", [OTHER_ORIGIN])
    keys = {site: services.sites.create_key(site, "cms") for site in ("ledger", "other")}
    with TestClient(app, base_url="http://townhall.test") as client:
        yield Admin(client, keys)


def test_list_the_held_queue_and_approve(admin: Admin) -> None:
    admin.post("A calm remark.")
    held = admin.post("THE COUNCIL LIED").json()
    assert held["status"] == "held"
    assert admin.call("GET", "/queues").json() == {"held": 1, "pending": 0, "reported": 0}
    listing = admin.call("GET", "/queues/held").json()
    assert listing["total"] == 1
    item = listing["items"][0]
    assert item["comment"]["id"] == held["comment"]["id"] and item["held_by"] == ["toxicity"]
    assert item["comment"]["body"] == "THE COUNCIL LIED" and item["story"]["url"] == URL

    approved = admin.call("POST", f"/comments/{item['comment']['id']}/approve", json={"reason": "fair anger"})
    assert approved.status_code == 200 and approved.json()["comment"]["status"] == "published"
    thread = admin.client.get("/api/v1/threads", params={"site": "ledger", "url": URL}).json()
    assert held["comment"]["id"] in [c["id"] for c in thread["comments"]]
    detail = admin.call("GET", f"/comments/{item['comment']['id']}").json()
    assert detail["events"][-1]["reason"] == "fair anger" and detail["events"][-1]["to"] == "published"
    assert detail["signals"][0]["name"] == "toxicity" and detail["signals"][0]["flagged"] is True
    assert_error(admin.call("POST", f"/comments/{item['comment']['id']}/approve"), 409, "no_change")


def test_reject_feature_ban_and_unban(admin: Admin, clock: FakeClock) -> None:
    calm = admin.post("A calm remark.").json()["comment"]
    shouted = admin.post("STOP THE BRIDGE").json()
    rejected = admin.call(
        "POST", f"/comments/{shouted['comment']['id']}/reject", json={"reason": "No shouting."}
    )
    assert rejected.json()["comment"]["status"] == "rejected"
    own = admin.client.get(
        f"/api/v1/comments/{shouted['comment']['id']}",
        headers={"X-Townhall-Edit-Token": shouted["edit_token"]},
    )
    assert own.json()["comment"]["message"] == "No shouting."

    featured = admin.call("POST", f"/comments/{calm['id']}/feature")
    assert featured.json()["comment"]["featured"] is True
    unfeatured = admin.call("POST", f"/comments/{calm['id']}/feature", json={"featured": False})
    assert unfeatured.json()["comment"]["featured"] is False

    author_id = rejected.json()["comment"]["author"]["id"]  # the admin API shows authors' ids
    waiting = admin.post("ONE MORE TIME").json()["comment"]
    until = (clock() + timedelta(days=2)).isoformat()
    banned = admin.call("POST", f"/authors/{author_id}/ban", json={"until": until, "reason": "shouting"})
    assert banned.status_code == 200, banned.text
    assert banned.json()["rejected"] == 1 and banned.json()["author"]["banned"] is True
    assert admin.call("GET", f"/comments/{waiting['id']}").json()["comment"]["status"] == "rejected"
    assert_error(admin.post("Let me back in."), 403, "author_banned")
    assert admin.call("DELETE", f"/authors/{author_id}/ban").status_code == 204
    assert admin.post("Thank you, calmly.").status_code == 201


def test_a_key_sees_and_acts_only_on_its_own_site(admin: Admin) -> None:
    mine = admin.post("MINE IS HELD").json()["comment"]
    theirs = admin.post("THEIRS IS HELD", site="other").json()["comment"]
    listing = admin.call("GET", "/queues/held").json()
    assert [i["comment"]["id"] for i in listing["items"]] == [mine["id"]]
    for method, path in [
        ("GET", f"/comments/{theirs['id']}"),
        ("POST", f"/comments/{theirs['id']}/approve"),
        ("POST", f"/comments/{theirs['id']}/reject"),
        ("POST", f"/comments/{theirs['id']}/feature"),
    ]:
        assert_error(admin.call(method, path), 404, "unknown_comment")
    other_author = admin.call("GET", f"/comments/{theirs['id']}", site="other").json()["comment"]["author"][
        "id"
    ]
    assert_error(admin.call("POST", f"/authors/{other_author}/ban", json={}), 404, "unknown_author")
    assert_error(admin.call("DELETE", f"/authors/{other_author}/ban"), 404, "unknown_author")
    assert admin.call("GET", f"/comments/{theirs['id']}", site="other").json()["comment"]["status"] == "held"


def test_without_a_key_nothing_is_listed_or_changed(admin: Admin) -> None:
    held = admin.post("HELD FOR NOW").json()["comment"]
    assert_error(admin.client.get("/api/v1/admin/queues/held"), 401)
    bad = {"Authorization": "Bearer th_not-a-key"}
    assert_error(admin.client.post(f"/api/v1/admin/comments/{held['id']}/approve", headers=bad), 401)
    assert admin.call("GET", f"/comments/{held['id']}").json()["comment"]["status"] == "held"
    assert_error(admin.call("GET", "/queues/nonsense"), 422, "invalid")
    assert_error(
        admin.call(
            "POST", f"/authors/{admin_author(admin, held['id'])}/ban", json={"until": "2020-01-01T00:00:00Z"}
        ),
        422,
    )

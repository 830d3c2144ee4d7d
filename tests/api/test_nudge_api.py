"""`POST /api/v1/comments/check` over HTTP: validated like a post, writes nothing, off by default."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import row_counts
from tests.conftest import ORIGIN
from townhall.models import Site
from townhall.services import Services

URL = f"{ORIGIN}/local/night-bus"


def test_check_is_validated_writes_nothing_and_follows_the_site_setting(
    client: TestClient, api_services: Services, ledger: Site
) -> None:
    headers = {"Origin": ORIGIN}
    assert client.get("/api/v1/sites/ledger/config", headers=headers).json()["nudge"] is False
    client.get("/api/v1/threads", params={"site": "ledger", "url": URL}, headers=headers)  # the story exists
    before = row_counts(api_services)
    body = {"site": "ledger", "url": URL, "body": "Is this about the story?"}
    answer = client.post("/api/v1/comments/check", json=body, headers=headers)
    assert answer.status_code == 200 and answer.json() == {
        "ask": False,
        "question": "",
        "evidence": [],
        "concerns": [],
    }

    api_services.sites.update_settings(ledger.id, {"nudge": True})
    empty = client.post("/api/v1/comments/check", json={**body, "body": "   "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["error"]["fields"]["body"]
    unknown = client.post("/api/v1/comments/check", json={**body, "site": "nope"}, headers=headers)
    assert unknown.status_code == 404
    assert client.post("/api/v1/comments/check", json=body, headers=headers).status_code == 200
    assert row_counts(api_services) == before

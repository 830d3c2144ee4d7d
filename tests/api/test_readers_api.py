"""A reader's data rights through the admin API: find, export, erase; another site's key sees nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import SITE, URL, assert_error, post_comment
from townhall.services import Services


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_find_export_and_erase_a_reader(client: TestClient, api_key: str, api_services: Services) -> None:
    posted = post_comment(client, "The bridge is late again.", author_email="ana@example.org").json()
    comment_id = posted["comment"]["id"]
    found = client.get("/api/v1/admin/readers", params={"email": "ANA@example.org"}, headers=_auth(api_key))
    assert found.status_code == 200, found.text
    readers = found.json()["readers"]
    assert [(r["name"], r["comments"], r["has_email"]) for r in readers] == [("Ana", 1, True)]
    reader_id = readers[0]["id"]
    assert (
        client.get("/api/v1/admin/readers", params={"comment_id": comment_id}, headers=_auth(api_key)).json()[
            "readers"
        ]
        == readers
    )

    data = client.get(f"/api/v1/admin/readers/{reader_id}/data", headers=_auth(api_key)).json()
    assert data["reader"]["email"] == "ana@example.org"
    assert [c["body"] for c in data["comments"]] == ["The bridge is late again."]

    erased = client.post(
        f"/api/v1/admin/readers/{reader_id}/erase",
        json={"reason": "request by e-mail"},
        headers=_auth(api_key),
    )
    assert erased.status_code == 200, erased.text
    record = erased.json()["erasure"]
    assert record["mode"] == "remove" and record["comments"] == 1 and record["actor"] == f"api-key:{SITE}"
    assert (
        client.get("/api/v1/admin/erasures", headers=_auth(api_key)).json()["erasures"][0]["id"]
        == record["id"]
    )
    assert client.get(
        "/api/v1/admin/readers", params={"email": "ana@example.org"}, headers=_auth(api_key)
    ).json() == {"readers": []}
    assert_error(
        client.get(f"/api/v1/admin/readers/{reader_id}/data", headers=_auth(api_key)), 404, "unknown_reader"
    )
    thread = client.get("/api/v1/threads", params={"site": SITE, "url": URL})
    assert thread.status_code == 200 and "The bridge is late again." not in thread.text


def test_reader_routes_refuse_bad_queries_and_other_sites(
    client: TestClient, api_key: str, api_services: Services
) -> None:
    post_comment(client, author_email="ana@example.org")
    assert_error(client.get("/api/v1/admin/readers", headers=_auth(api_key)), 422)
    both = {"email": "ana@example.org", "comment_id": 1}
    assert_error(client.get("/api/v1/admin/readers", params=both, headers=_auth(api_key)), 422)
    api_services.sites.add("other", "Other", ["https://other.example"])
    other_key = api_services.sites.create_key("other", "theirs")
    reader_id = api_services.readers.find(api_services.sites.get(SITE), email="ana@example.org")[0]["id"]
    assert client.get(
        "/api/v1/admin/readers", params={"email": "ana@example.org"}, headers=_auth(other_key)
    ).json() == {"readers": []}
    assert_error(client.get(f"/api/v1/admin/readers/{reader_id}/data", headers=_auth(other_key)), 404)
    assert_error(client.post(f"/api/v1/admin/readers/{reader_id}/erase", headers=_auth(other_key)), 404)
    assert api_services.readers.find(api_services.sites.get(SITE), email="ana@example.org")


def test_erasure_mode_is_a_site_setting(client: TestClient, api_key: str, api_services: Services) -> None:
    bad = client.patch("/api/v1/admin/site", json={"erasure_mode": "shred"}, headers=_auth(api_key))
    assert_error(bad, 422)
    assert api_services.sites.get(SITE).settings.erasure_mode == "remove"
    good = client.patch("/api/v1/admin/site", json={"erasure_mode": "anonymise"}, headers=_auth(api_key))
    assert good.status_code == 200 and good.json()["settings"]["erasure_mode"] == "anonymise"
    post_comment(client, "Kept, without my name.", author_email="ana@example.org")
    reader_id = api_services.readers.find(api_services.sites.get(SITE), email="ana@example.org")[0]["id"]
    erased = client.post(f"/api/v1/admin/readers/{reader_id}/erase", headers=_auth(api_key)).json()["erasure"]
    assert erased["mode"] == "anonymise"
    thread = client.get("/api/v1/threads", params={"site": SITE, "url": URL}).text
    assert "Kept, without my name." in thread and "[deleted]" in thread and "Ana" not in thread

"""On a real server: a banned reader is refused everywhere they could still act — votes, taking a
vote back, reports, edits and deletes of their own comments — with the one refusal posting
gives; and a signed-in author cannot vote on their own comment from another device."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import servers
from tests.api.conftest import sso_token
from townhall.config import load
from townhall.services import build_services
from townhall.storage import Storage

ORIGIN = "https://news.example"
URL = f"{ORIGIN}/politics/bridge-vote"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A server (behind a 'proxy' on 127.0.0.1, so each request says its reader's address) and
    the services of its database, for the moderator's side."""
    path: Path = tmp_path_factory.mktemp("banned") / "townhall.sqlite3"
    database = servers.sqlite_site(path, ORIGIN)
    storage = Storage(database)
    services = build_services(load(overrides={"database_url": database}), storage, "test-server-secret")
    sso_secret = services.sites.rotate_sso_secret("ledger")
    storage.close()
    mail = {  # mail on (reply notifications offered); nothing listens there, and nothing is sent
        "smtp_host": "127.0.0.1",
        "smtp_port": str(servers.free_port()),
        "smtp_security": "none",
        "public_url": "https://comments.news.example",
        "mail_from": "comments@news.example",
    }
    with servers.serve(database, trusted_proxies="127.0.0.1", **mail) as url:
        yield {"url": url, "database": database, "sso_secret": sso_secret}


def _reader(site: dict[str, str], token: str, address: str) -> httpx.Client:
    headers = {"X-Townhall-Reader": f"{token}-reader-token-0000", "X-Forwarded-For": address}
    return httpx.Client(base_url=site["url"] + "/api/v1", headers=headers, timeout=30)


def _post(reader: httpx.Client, body: str, **fields: Any) -> dict[str, Any]:
    payload = {"site": "ledger", "url": URL, "body": body, "author_name": "Ana", **fields}
    response = reader.post("/comments", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


def _ban(site: dict[str, str], comment_id: int) -> None:
    storage = Storage(site["database"])
    services = build_services(
        load(overrides={"database_url": site["database"]}), storage, "test-server-secret"
    )
    services.queue.ban(services.comments.get(comment_id).author.id, "mod", None, "abuse")
    storage.close()


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "author_banned"
    return str(error["message"])


def test_a_banned_guest_can_no_longer_vote_report_edit_or_delete(site: dict[str, str]) -> None:
    with _reader(site, "troll", "203.0.113.66") as troll, _reader(site, "other", "198.51.100.7") as other:
        mine = _post(troll, "My comment.")
        kept = _post(troll, "Another one.")
        theirs = _post(other, "Someone else's comment.")["comment"]["id"]
        assert troll.post(f"/comments/{theirs}/votes", json={"value": 1}).status_code == 200
        _ban(site, mine["comment"]["id"])

        asked = {"author_email": "troll@example.org", "notify_replies": True}
        # Asking for reply notifications comes only with a post, and the post is refused first.
        payload = {"site": "ledger", "url": URL, "body": "Back.", "author_name": "Ana", **asked}
        said = _refusal(troll.post("/comments", json=payload))
        votes = f"/comments/{theirs}/votes"
        refusals = [
            troll.post(votes, json={"value": -1}),
            troll.request("DELETE", votes),
            troll.post(f"/comments/{theirs}/reports", json={"reason": "spam"}),
            troll.patch(
                f"/comments/{kept['comment']['id']}",
                json={"body": "Edited."},
                headers={"X-Townhall-Edit-Token": kept["edit_token"]},
            ),
            troll.delete(
                f"/comments/{kept['comment']['id']}", headers={"X-Townhall-Edit-Token": kept["edit_token"]}
            ),
        ]
        assert [_refusal(r) for r in refusals] == [said] * 5
        assert said == "you can no longer comment on this site"
        # In the reader's language, like every refusal.
        german = troll.post(f"/comments/{theirs}/reports?lang=de", json={"reason": "spam"})
        assert _refusal(german) != said
        # Nothing changed: the vote still counts, the comment is as it was.
        thread = other.get("/threads", params={"site": "ledger", "url": URL}).json()
        shown = {c["id"]: c for c in thread["comments"]}
        assert shown[theirs]["upvotes"] == 1
        assert "Another one." in shown[kept["comment"]["id"]]["html"]
        assert shown[kept["comment"]["id"]]["edited_at"] is None
    storage = Storage(site["database"])
    with storage.read() as tx:
        asked_for = tx.connection.exec_driver_sql("SELECT count(*) FROM reply_subscriptions").scalar()
    storage.close()
    assert asked_for == 0


def test_a_banned_signed_in_reader_is_refused_on_a_new_device_and_address(site: dict[str, str]) -> None:
    token = sso_token(site["sso_secret"], sub="user-banned", name="Bo")
    with _reader(site, "bo-phone", "203.0.113.70") as phone:
        mine = _post(phone, "Signed in.", sso_token=token)["comment"]["id"]
    with _reader(site, "other-2", "198.51.100.8") as other:
        theirs = _post(other, "A comment to vote on.")["comment"]["id"]
    _ban(site, mine)
    with _reader(site, "bo-laptop", "192.0.2.70") as laptop:
        _refusal(laptop.post(f"/comments/{theirs}/votes", json={"value": 1, "sso_token": token}))
        report = {"reason": "abuse", "sso_token": token}
        _refusal(laptop.post(f"/comments/{theirs}/reports", json=report))
    # The same new device and address signed out is a stranger, and may report.
    with _reader(site, "bo-tablet", "192.0.2.71") as tablet:
        assert tablet.post(f"/comments/{theirs}/reports", json={"reason": "abuse"}).status_code == 202


def test_a_signed_in_author_cannot_vote_on_their_own_comment_from_another_device(
    site: dict[str, str],
) -> None:
    token = sso_token(site["sso_secret"], sub="user-self", name="Cy")
    with _reader(site, "cy-phone", "203.0.113.80") as phone:
        mine = _post(phone, "My own point.", sso_token=token)["comment"]["id"]
    with _reader(site, "cy-laptop", "192.0.2.80") as laptop:
        response = laptop.post(f"/comments/{mine}/votes", json={"value": 1, "sso_token": token})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "own_comment"
    # Nor signed out, from the device they posted from (known by its reader token).
    with _reader(site, "cy-phone", "203.0.113.80") as phone:
        signed_out = phone.post(f"/comments/{mine}/votes", json={"value": 1})
    assert signed_out.status_code == 403, signed_out.text
    assert signed_out.json()["error"]["code"] == "own_comment"
    # Another signed-in reader may.
    with _reader(site, "dee-phone", "192.0.2.81") as dee:
        other = sso_token(site["sso_secret"], sub="user-dee", name="Dee")
        assert dee.post(f"/comments/{mine}/votes", json={"value": 1, "sso_token": other}).status_code == 200

"""Over HTTP: a signed-in reader votes once from any device and address; a banned guest stays
banned under a new reader token."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.api.conftest import SITE, URL, assert_error, from_address, post_comment, sso_token
from townhall.services import Services


def test_a_signed_in_reader_votes_once_from_any_device(
    client: TestClient, app: Starlette, sso_secret: str
) -> None:
    comment_id = post_comment(client).json()["comment"]["id"]
    path = f"/api/v1/comments/{comment_id}/votes"
    token = sso_token(sso_secret, sub="reader-77", name="Rui")
    answers = []
    for n in range(4):  # four devices, four addresses, one account
        with from_address(app, f"198.51.100.{n + 1}") as device:
            reader = {"X-Townhall-Reader": f"device-{n}-reader-token-000"}
            answers.append(
                device.post(path, json={"value": 1, "sso_token": token}, headers=reader).status_code
            )
    assert answers == [200, 409, 409, 409]
    # From another device the account takes its vote back.
    with from_address(app, "198.51.100.9") as device:
        reader = {"X-Townhall-Reader": "device-9-reader-token-000"}
        undone = device.request("DELETE", path, json={"sso_token": token}, headers=reader)
    assert undone.status_code == 200 and undone.json()["comment"]["upvotes"] == 0


def test_a_banned_guest_is_refused_with_a_new_token_and_the_same_email(
    client: TestClient, api_services: Services
) -> None:
    first = post_comment(client, author_email="troll@example.com").json()["comment"]
    author_id = api_services.comments.get(first["id"]).author.id
    api_services.queue.ban(author_id, "mod", None, "abuse")
    again = client.post(
        "/api/v1/comments",
        json={
            "site": SITE,
            "url": URL,
            "body": "I am back.",
            "author_name": "New Name",
            "author_email": "TROLL@example.com",
        },
        headers={"X-Townhall-Reader": "a-brand-new-reader-token-01"},
    )
    assert_error(again, 403, "author_banned")

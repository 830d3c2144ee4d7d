"""A reader's name is content: cleaned, kept from imitating staff, kept per comment, never merged."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import SITE, URL, assert_error, post_comment, row_counts, sso_token
from townhall.services import Services
from townhall.storage.schema import authors


def _thread(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/v1/threads", params={"site": SITE, "url": URL})
    assert response.status_code == 200
    return list(response.json()["comments"])


def _names(client: TestClient) -> dict[str, str]:
    return {c["html"]: c["author"]["name"] for c in _thread(client)}


@pytest.mark.parametrize(
    "name",
    [
        "\u202eAdmin",
        "Moderator",
        "M0derat0r",
        "Мoderator",  # Cyrillic М
        "The Ledger",
        "ledger news desk",
        "Ledger Staff",
        "Site admin",
    ],
)
def test_a_guest_may_not_pass_for_staff_or_the_site(
    client: TestClient, api_services: Services, name: str
) -> None:
    before = row_counts(api_services)
    error = assert_error(post_comment(client, author_name=name), 422, "name_reserved")
    assert "author_name" in error["fields"] and "staff" in error["message"]
    assert row_counts(api_services) == before


def test_staff_signed_in_by_the_publisher_may_use_a_staff_name(client: TestClient, sso_secret: str) -> None:
    staff = sso_token(sso_secret, sub="desk-1", name="The Ledger moderator", staff=True)
    assert post_comment(client, "Please keep it civil.", author_name=None, sso_token=staff).status_code == 201
    reader = sso_token(sso_secret, sub="reader-7", name="Moderator", staff="yes")
    assert_error(post_comment(client, author_name=None, sso_token=reader), 422, "name_reserved")


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Jo\u200b \u2066Reader\u2069", "Jo Reader"),
        ("\uff2a\uff4f  Reader", "Jo Reader"),  # full-width letters, two spaces
        ("Jo\u202e Reader", "Jo Reader"),
        ("\u3164Jo\u00adReader", "JoReader"),  # Hangul filler, soft hyphen
    ],
)
def test_names_are_normalised_before_they_are_shown(client: TestClient, given: str, shown: str) -> None:
    posted = post_comment(client, author_name=given)
    assert posted.status_code == 201, posted.text
    assert posted.json()["comment"]["author"]["name"] == shown
    assert _thread(client)[0]["author"]["name"] == shown


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u202e\u202c", "\u3164", "...", "\u2800 \u200d"])
def test_a_name_with_nothing_to_read_is_refused(
    client: TestClient, api_services: Services, name: str
) -> None:
    before = row_counts(api_services)
    error = assert_error(post_comment(client, author_name=name), 422)
    assert "author_name" in error["fields"]
    assert row_counts(api_services) == before


def test_a_comment_keeps_the_name_it_was_posted_under(client: TestClient, api_services: Services) -> None:
    first = post_comment(client, "The bridge vote was close.", author_name="Jo Reader")
    second = post_comment(client, "I changed my display name.", author_name="Joanna R")
    assert first.status_code == second.status_code == 201
    names = {c["id"]: c["author"]["name"] for c in _thread(client)}
    assert names == {first.json()["comment"]["id"]: "Jo Reader", second.json()["comment"]["id"]: "Joanna R"}
    # Both comments belong to one author (same reader token).
    one, two = (api_services.comments.get(r.json()["comment"]["id"]) for r in (first, second))
    assert one.author.id == two.author.id and one.author.name == "Jo Reader"


def test_a_held_comment_does_not_rename_its_author(
    client: TestClient, api_services: Services, api_key: str
) -> None:
    first = post_comment(client, "The bridge vote was close.", author_name="Jo Reader")
    changed = client.patch(
        "/api/v1/admin/site",
        json={"moderation_mode": "pre"},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert changed.status_code == 200, changed.text
    held = post_comment(client, "Another thought.", author_name="Somebody Else")
    assert held.json()["status"] == "held"
    assert _names(client) == {first.json()["comment"]["html"]: "Jo Reader"}
    author_id = api_services.comments.get(first.json()["comment"]["id"]).author.id
    with api_services.storage.read() as tx:
        author = tx.authors.get(author_id)
    assert author is not None and author.name == "Jo Reader"
    assert api_services.comments.get(held.json()["comment"]["id"]).author.name == "Somebody Else"


def test_guests_without_a_reader_token_are_never_merged(client: TestClient, api_services: Services) -> None:
    payload = {"site": SITE, "url": URL, "author_name": "Pat", "author_email": "pat@example.org"}
    ids = set()
    for body in ("First comment without a token.", "Second comment without a token."):
        response = client.post("/api/v1/comments", json={**payload, "body": body})
        assert response.status_code == 201, response.text
        ids.add(api_services.comments.get(response.json()["comment"]["id"]).author.id)
    assert len(ids) == 2
    with api_services.storage.engine.connect() as connection:
        assert len(connection.execute(authors.select().where(authors.c.name == "Pat")).fetchall()) == 2

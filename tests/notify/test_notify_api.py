"""Reply notifications through the API and the e-mail links, with the server's own mail job sending."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import READER, URL, assert_error, row_counts
from tests.conftest import ORIGIN, FakeClock
from tests.notify.conftest import PUBLIC_URL, Inbox, mail_settings
from townhall.app import create_app
from townhall.config import Settings
from townhall.storage import Storage


def _client(config: Settings, clock: FakeClock, storage: Storage) -> TestClient:
    app = create_app(config, storage=storage, clock=clock)
    app.state.services.sites.add("ledger", "The Ledger", [ORIGIN])
    return TestClient(app, base_url="http://townhall.test")


@pytest.fixture
def client(config: Settings, clock: FakeClock, sqlite_storage: Storage, inbox: Inbox) -> Iterator[TestClient]:
    with _client(mail_settings(config, inbox.port), clock, sqlite_storage) as test_client:
        yield test_client


def comment(client: TestClient, body: str, reader: str = READER, **fields) -> dict:
    payload = {"site": "ledger", "url": URL, "body": body, "author_name": "Ana", **fields}
    response = client.post("/api/v1/comments", json=payload, headers={"X-Townhall-Reader": reader})
    assert response.status_code == 201, response.text
    return response.json()


def path_of(message, kind: str) -> str:
    found = re.search(rf"{re.escape(PUBLIC_URL)}(/mail/{kind}/\S+)", message.get_content())
    assert found
    return found.group(1)


def test_notify_me_of_replies_end_to_end(client: TestClient, inbox: Inbox) -> None:
    assert client.get("/api/v1/sites/ledger/config").json()["notify"] is True
    posted = comment(
        client, "The bridge vote was rushed.", author_email="ana@example.org", notify_replies=True
    )
    assert posted["notify"] == "Check your e-mail to confirm reply notifications."
    (confirm_mail,) = inbox.wait_for(1)  # sent by the server's mail job, woken by the commit
    confirm = path_of(confirm_mail, "confirm")
    page = client.get(confirm)  # opening the link (as a mail scanner would) confirms nothing
    assert page.status_code == 200 and "<button" in page.text and page.headers["cache-control"] == "no-store"
    comment(
        client,
        "A reply before confirming.",
        reader="reader-bob-0123456789",
        parent_id=posted["comment"]["id"],
    )
    assert client.post(confirm).status_code == 200
    comment(
        client, "A reply after confirming.", reader="reader-bob-0123456789", parent_id=posted["comment"]["id"]
    )
    messages = inbox.wait_for(2)
    assert len(messages) == 2 and "A reply after confirming." in messages[1].get_content()
    assert "before confirming" not in messages[1].get_content()
    unsubscribe = path_of(messages[1], "unsubscribe")
    assert messages[1]["List-Unsubscribe"] == f"<{PUBLIC_URL}{unsubscribe}>"
    # What a mail program sends for one-click unsubscribe (RFC 8058).
    one_click = client.post(
        unsubscribe,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and "ana@example.org" in one_click.text
    comment(
        client, "A reply after leaving.", reader="reader-bob-0123456789", parent_id=posted["comment"]["id"]
    )
    assert len(client.app.state.services.outbox.recent()) == 2  # type: ignore[attr-defined]  # nothing queued


def test_bad_links_show_a_page_not_a_500(client: TestClient) -> None:
    for path in ("/mail/confirm/1.abc", "/mail/unsubscribe/nonsense", "/mail/confirm/99999999999999.x"):
        response = client.post(path)
        assert response.status_code == 404 and "This link does not work" in response.text


def test_notify_without_an_address_is_refused_before_anything_is_written(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    comment(client, "A first comment creates the story.")
    before = row_counts(services)
    payload = {"site": "ledger", "url": URL, "body": "Tell me.", "author_name": "Ana", "notify_replies": True}
    response = client.post("/api/v1/comments", json=payload, headers={"X-Townhall-Reader": READER})
    assert assert_error(response, 422)["fields"] == {"author_email": "required"}
    payload["author_email"] = "ana at example"
    response = client.post("/api/v1/comments", json=payload, headers={"X-Townhall-Reader": READER})
    assert_error(response, 422)
    assert row_counts(services) == before


def test_without_smtp_the_option_is_off_and_refused(
    config: Settings, clock: FakeClock, sqlite_storage: Storage
) -> None:
    with _client(config, clock, sqlite_storage) as client:
        assert client.get("/api/v1/sites/ledger/config").json()["notify"] is False
        payload = {
            "site": "ledger",
            "url": URL,
            "body": "Hi",
            "author_name": "Ana",
            "author_email": "a@b.org",
        }
        response = client.post(
            "/api/v1/comments",
            json={**payload, "notify_replies": True},
            headers={"X-Townhall-Reader": READER},
        )
        assert assert_error(response, 422)["fields"] == {"notify_replies": "off"}

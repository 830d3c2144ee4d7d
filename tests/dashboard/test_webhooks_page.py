"""The dashboard's webhooks page (admins) and the digest panel on the account page, over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.dashboard.conftest import PASSWORD, Dashboard, make_dashboard
from tests.notify.conftest import Receiver, running_receiver
from townhall.types import Role


@pytest.fixture
def board(tmp_path: Path, clock: FakeClock) -> Iterator[Dashboard]:
    # The receiver is on loopback, which webhooks refuse unless allowed.
    yield from make_dashboard(tmp_path, clock, webhook_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def test_admin_adds_tests_and_removes_a_webhook_and_reads_the_log(
    board: Dashboard, receiver: Receiver
) -> None:
    client, admin, csrf = board.client, board.cookie(Role.ADMIN), board.csrf(Role.ADMIN)
    empty = client.get("/admin/webhooks", headers=admin)
    assert empty.status_code == 200 and "Nothing sent yet." in empty.text
    form = {"csrf": csrf, "site": "ledger", "url": receiver.url, "event_story.closed": "1", "event_ping": "1"}
    added = client.post("/admin/webhooks", data=form, headers=admin)
    assert added.status_code == 200 and "shown only this once" in added.text and "whsec_" in added.text
    (hook,) = board.services.webhooks.list("ledger")
    assert hook.events == ("story.closed",)
    assert "whsec_" not in client.get("/admin/webhooks", headers=admin).text  # never shown again

    tested = client.post(
        f"/admin/webhooks/{hook.id}/test",
        data={"csrf": csrf, "site": "ledger"},
        headers=admin,
        follow_redirects=False,
    )
    assert tested.status_code == 303
    (request,) = receiver.wait_for(1)  # delivered by the server's own webhook job
    assert request["headers"]["Townhall-Event"] == "ping"
    deadline = time.monotonic() + 10
    while "delivery-delivered" not in (page := client.get("/admin/webhooks", headers=admin).text):
        assert time.monotonic() < deadline, page
        time.sleep(0.05)
    assert "HTTP 204" in page and "test event" in page and "delivered" in page

    removed = client.post(
        f"/admin/webhooks/{hook.id}/remove",
        data={"csrf": csrf, "site": "ledger"},
        headers=admin,
        follow_redirects=False,
    )
    assert removed.status_code == 303 and board.services.webhooks.list("ledger") == []


def test_a_bad_webhook_is_a_readable_422_that_adds_nothing(board: Dashboard) -> None:
    client, admin, csrf = board.client, board.cookie(Role.ADMIN), board.csrf(Role.ADMIN)
    bad_url = {"csrf": csrf, "site": "ledger", "url": "ftp://example.org/x", "event_story.closed": "1"}
    page = client.post("/admin/webhooks", data=bad_url, headers=admin)
    assert (
        page.status_code == 422 and "must start with http" in page.text and "ftp://example.org/x" in page.text
    )
    no_events = {"csrf": csrf, "site": "ledger", "url": "http://127.0.0.1:9/x"}
    page = client.post("/admin/webhooks", data=no_events, headers=admin)
    assert page.status_code == 422 and "Choose at least one event." in page.text
    assert board.services.webhooks.list("ledger") == []


def test_only_admins_manage_webhooks(board: Dashboard) -> None:
    for role in (Role.MODERATOR, Role.EDITOR):
        assert board.client.get("/admin/webhooks", headers=board.cookie(role)).status_code == 403
        assert "Webhooks" not in board.client.get("/admin/stories", headers=board.cookie(role)).text


def test_moderators_choose_and_stop_a_digest_editors_cannot(board: Dashboard) -> None:
    client, moderator = board.client, board.cookie(Role.MODERATOR)
    page = client.get("/admin/account", headers=moderator)
    assert "Digest of held comments" in page.text and "sends no e-mail" in page.text
    form = {"csrf": board.csrf(Role.MODERATOR), "email": "mod@news.example", "period_hours": "6"}
    saved = client.post("/admin/account/digest", data=form, headers=moderator, follow_redirects=False)
    assert saved.status_code == 303
    assert "Every 6 hours to mod@news.example" in client.get("/admin/account", headers=moderator).text
    bad = client.post("/admin/account/digest", data={**form, "email": "nope"}, headers=moderator)
    assert bad.status_code == 422 and "does not look right" in bad.text
    odd = client.post("/admin/account/digest", data={**form, "period_hours": "5"}, headers=moderator)
    assert odd.status_code == 422 and "period must be one of" in odd.text.lower()
    user = board.services.accounts.get("moderator")
    assert board.services.digests.get(user.id).period_hours == 6  # type: ignore[union-attr]
    stopped = client.post(
        "/admin/account/digest/off",
        data={"csrf": board.csrf(Role.MODERATOR)},
        headers=moderator,
        follow_redirects=False,
    )
    assert stopped.status_code == 303 and board.services.digests.get(user.id) is None
    editor = board.cookie(Role.EDITOR)
    assert "Digest of held comments" not in client.get("/admin/account", headers=editor).text
    form["csrf"] = board.csrf(Role.EDITOR)
    assert client.post("/admin/account/digest", data=form, headers=editor).status_code == 403


def test_an_admin_limited_to_another_site_cannot_reach_this_sites_webhooks(
    board: Dashboard, receiver: Receiver
) -> None:
    services = board.services
    hook, _ = services.webhooks.add("ledger", receiver.url)
    services.sites.add("herald", "The Herald", ["https://herald.example"])
    services.accounts.add("herald-admin", Role.ADMIN, PASSWORD, sites=["herald"])
    session = services.accounts.start_session(services.accounts.get("herald-admin"))
    headers = {"Cookie": f"townhall_admin={session.token}"}
    own = board.client.get("/admin/webhooks", headers=headers)
    assert own.status_code == 200 and "The Herald" in own.text and receiver.url not in own.text
    assert "The Ledger" not in own.text
    assert board.client.get("/admin/webhooks?site=ledger", headers=headers).status_code == 404
    form = {"csrf": session.csrf_token, "site": "herald"}
    test = board.client.post(f"/admin/webhooks/{hook.id}/test", data=form, headers=headers)
    assert test.status_code == 404 and services.webhooks.deliveries("ledger") == []

"""A reader asks for reply notifications in real headless Chromium, confirms by the e-mailed link,
gets a reply notice and leaves in one click; the mail goes through a real SMTP server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests import servers
from tests.notify.conftest import Inbox, running_inbox

pytestmark = pytest.mark.browser


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with running_inbox() as server:
        yield server


@pytest.fixture
def mail_demo(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[str]:
    """`townhall demo --no-models` sending mail to the test's SMTP server."""
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "TOWNHALL_PUBLIC_URL": url,
        "TOWNHALL_SMTP_HOST": "127.0.0.1",
        "TOWNHALL_SMTP_PORT": str(inbox.port),
        "TOWNHALL_SMTP_SECURITY": "none",
        "TOWNHALL_MAIL_FROM": "Larkford comments <comments@larkford.example>",
    }
    args = [
        "demo",
        "--no-models",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path_factory.mktemp("mail-demo")),
    ]
    with servers.townhall(args, port, env=env) as started:
        yield started


def _link(message, kind: str) -> str:
    found = re.search(rf"(http://127\.0\.0\.1:\d+/mail/{kind}/\S+)", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def test_notify_me_of_replies_from_the_widget(page: Page, mail_demo: str, inbox: Inbox) -> None:
    page.goto(f"{mail_demo}/news/night-bus-pilot")
    form = page.locator(".townhall .th-compose > form.th-form")
    marker = uuid.uuid4().hex[:8]
    form.locator("textarea[name=body]").fill(f"Will the night bus stop at the hospital? ({marker})")
    form.locator("input[name=author_name]").fill("Nadia Brook")
    notify = form.get_by_label("Notify me of replies by e-mail")
    notify.check()
    form.locator("button[type=submit]").click()
    # Ticked without an address: the e-mail field says what is missing, nothing is posted.
    expect(form.locator("p.th-error[data-field=author_email]")).to_have_text(
        "Please enter your e-mail to be notified."
    )
    form.locator("input[name=author_email]").fill("nadia@example.org")
    form.locator("button[type=submit]").click()
    mine = page.locator(".townhall article.th-comment", has_text=marker)
    expect(mine).to_be_visible()
    expect(page.locator(".townhall .th-status")).to_contain_text("Check your e-mail to confirm")
    mine_id = mine.get_attribute("data-id")

    (confirm_mail,) = inbox.wait_for(1)
    assert confirm_mail["To"] == "nadia@example.org"
    page.goto(_link(confirm_mail, "confirm"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading")).to_have_text("Reply notifications confirmed")

    reply = {
        "site": "demo",
        "url": f"{mail_demo}/news/night-bus-pilot",
        "body": "Yes, every hour.",
        "author_name": "Tom",
    }
    parent = mine_id
    answer = httpx.post(
        f"{mail_demo}/api/v1/comments",
        json={**reply, "parent_id": int(parent or 0)},
        headers={"X-Townhall-Reader": "reader-tom-0123456789abcdef"},
    )
    assert answer.status_code == 201, answer.text
    notice = inbox.wait_for(2)[1]
    assert "Tom replied" in notice.get_content() and "Yes, every hour." in notice.get_content()
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page.goto(_link(notice, "unsubscribe"))
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading")).to_have_text("Unsubscribed")

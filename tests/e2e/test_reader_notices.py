"""What the widget tells a reader, in real Chromium against the demo: notices that go away, the
counts it shows, and no voting on one's own comment."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _post(page: Page, body: str) -> None:
    form = page.locator(".townhall .th-compose > form.th-form")
    form.locator("textarea[name=body]").fill(body)
    name = form.locator("input[name=author_name]")
    if not name.input_value():
        name.fill("Ruth Amos")
    form.locator("button[type=submit]").click()


def test_a_saved_notice_fades_and_own_comments_have_no_vote_buttons(page: Page, demo_server: str) -> None:
    page.goto(f"{demo_server}/news/flood-barrier-delay")
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    marker = uuid.uuid4().hex[:8]
    _post(page, f"The barriers on Quay Street were still stacked in the yard this morning ({marker}).")
    mine = page.locator(".townhall article.th-comment.th-own", has_text=marker)
    expect(mine).to_be_visible()
    expect(mine.locator("button.th-up, button.th-down")).to_have_count(0)
    expect(mine.locator(".th-score")).to_have_count(2)  # the score is still shown
    others = page.locator(".townhall article.th-comment:not(.th-own)").first
    expect(others.locator("button.th-up")).to_be_visible()

    mine.locator("button.th-edit").click()
    editor = mine.locator(".th-slot > form.th-edit-form textarea[name=body]")
    editor.fill(f"Edited: the flood barriers on Quay Street were still stacked in the yard ({marker}).")
    mine.locator("form.th-edit-form button[type=submit]").click()
    notice = mine.locator(".th-msg")
    # "Your changes are saved." (or, if the edit is held again, why): shown, then gone by itself.
    expect(notice).to_be_visible()
    expect(notice).not_to_have_class(re.compile("th-bad"))
    expect(notice).to_be_hidden(timeout=10_000)


def test_the_heading_counts_published_comments_as_the_api_does(page: Page, demo_server: str) -> None:
    url = f"{demo_server}/news/night-bus-pilot"
    page.goto(url)
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    story = page.request.get(f"{demo_server}/api/v1/threads", params={"site": "demo", "url": url}).json()[
        "story"
    ]
    count = story["comment_count"]
    expect(page.locator(".townhall h2.th-count")).to_have_text(re.compile(rf"^{count} comments?$"))

"""Names in the widget, in real Chromium against the demo (models on): what other readers see."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

STORY = "/news/night-bus-pilot"


def _post(page: Page, body: str, name: str) -> None:
    form = page.locator(".townhall .th-compose > form.th-form")
    form.locator("textarea[name=body]").fill(body)
    form.locator("input[name=author_name]").fill(name)
    form.locator("button[type=submit]").click()


def _comment(page: Page, text: str):  # type: ignore[no-untyped-def]
    return page.locator(".townhall article.th-comment", has_text=text)


def test_names_are_shown_cleaned_and_each_comment_keeps_its_own(
    page: Page, browser: Browser, demo_server: str
) -> None:
    page.goto(demo_server + STORY)
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    first, second = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    _post(page, f"The night bus should run past midnight on Fridays ({first}).", "Jo\u202e Reader\u200b")
    expect(_comment(page, first).locator(".th-author")).to_have_text("Jo Reader")

    # The same reader now calls themself something abusive: the comment is held, nothing renamed.
    _post(page, f"Forty minutes is a long wait for a bus in January ({second}).", "Mayor Hollis is a thief")
    expect(page.locator(".townhall .th-status")).to_contain_text("awaiting moderation")

    other = browser.new_context().new_page()
    try:
        other.goto(demo_server + STORY)
        expect(_comment(other, first).locator(".th-author")).to_have_text("Jo Reader")
        expect(_comment(other, second)).to_have_count(0)
        expect(other.locator(".townhall .th-author", has_text="Hollis")).to_have_count(0)
        text = other.locator(".townhall").inner_text()
        assert "\u202e" not in text and "\u200b" not in text
    finally:
        other.context.close()


def test_a_reader_is_told_a_staff_name_is_not_theirs_to_use(page: Page, demo_server: str) -> None:
    page.goto(demo_server + STORY)
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    marker = uuid.uuid4().hex[:8]
    _post(page, f"Is the bus accessible for wheelchairs ({marker})?", "\u202eModerator")
    error = page.locator(".townhall .th-compose p.th-error[data-field=author_name]")
    expect(error).to_be_visible()
    expect(page.locator(".townhall .th-compose [role=alert]")).to_contain_text("staff")
    expect(_comment(page, marker)).to_have_count(0)

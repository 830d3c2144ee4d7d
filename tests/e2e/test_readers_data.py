"""An admin answers a reader's request in real headless Chromium: find them, download, erase."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.test_dashboard import Demo, demo, post_in_widget, sign_in, widget_comment  # noqa: F401

__all__ = ["demo"]


def test_admin_downloads_and_erases_a_readers_data(demo: Demo, page: Page) -> None:  # noqa: F811
    marker = uuid.uuid4().hex[:6]
    email = f"erin-{marker}@example.org"
    reader = page.context.new_page()
    reader.goto(demo.story_url())
    reader.locator(".townhall form.th-form input[name=author_email]").first.fill(email)
    post_in_widget(reader, f"Please keep the night bus after the pilot ({marker})", "Erin Erase")
    expect(widget_comment(reader, marker)).to_be_visible()

    sign_in(page, demo.url, "/admin/readers")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Find").click()
    expect(page.locator("article", has_text="Erin Erase")).to_contain_text("1 comment")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download their data (JSON)").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["reader"]["email"] == email and marker in data["comments"][0]["body"]

    page.get_by_label("Reason (kept in the record; no personal data)").fill(f"request {marker}")
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name=re.compile("^Erase")).click()
    expect(page.locator(".flash")).to_contain_text("Reader erased.")
    expect(page.locator("table.data")).to_contain_text(f"request {marker}")

    reader.reload()
    expect(reader.locator(".townhall")).to_be_visible()
    expect(widget_comment(reader, marker)).to_have_count(0)

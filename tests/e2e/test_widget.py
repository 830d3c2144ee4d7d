"""A reader in real headless Chromium: read, post, reply, edit, and meet a closed story."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _fill_and_post(page: Page, scope: str, body: str, name: str = "Nadia Brook") -> None:
    form = page.locator(scope)
    form.locator("textarea[name=body]").fill(body)
    name_field = form.locator("input[name=author_name]")
    if name_field.count() and name_field.is_visible() and not name_field.input_value():
        name_field.fill(name)
    form.locator("button[type=submit]").click()


def test_reader_posts_replies_and_edits_on_a_demo_story(page: Page, demo_server: str) -> None:
    page.goto(f"{demo_server}/news/night-bus-pilot")
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    assert page.locator(".townhall .th-closed").count() == 0

    marker = uuid.uuid4().hex[:8]
    body = f"A bus every forty minutes still beats walking home from the hospital at night ({marker})."
    _fill_and_post(page, "form.th-form >> nth=0", body)
    mine = page.locator("article.th-comment", has_text=marker)
    expect(mine).to_be_visible()
    expect(mine.locator(".th-author").first).to_have_text("Nadia Brook")

    mine.locator("button.th-reply").first.click()
    reply_form = mine.locator("form.th-form")
    expect(reply_form.locator("textarea[name=body]")).to_be_focused()
    reply = f"Replying to myself: the June review will show whether nurses use the night bus ({marker}-r)."
    reply_form.locator("textarea[name=body]").fill(reply)
    reply_form.locator("button[type=submit]").click()
    nested = mine.locator("article.th-comment", has_text=f"{marker}-r")
    expect(nested).to_be_visible()

    mine.locator("button.th-edit").first.click()
    editor = mine.locator("textarea").first
    editor.fill(f"Edited: forty minutes is fine if the buses run on time ({marker}-e).")
    mine.locator("form button[type=submit]").first.click()
    expect(page.locator("article.th-comment", has_text=f"{marker}-e")).to_be_visible()

    # What the reader saw is what the server stored: a fresh page load shows it too.
    page.reload()
    expect(page.locator("article.th-comment", has_text=f"{marker}-e")).to_be_visible()
    expect(page.locator("article.th-comment", has_text=f"{marker}-r")).to_be_visible()


def test_closed_story_shows_the_notice_and_no_form(page: Page, demo_server: str) -> None:
    page.goto(f"{demo_server}/news/harbour-library-reopens")
    expect(page.locator(".townhall .th-closed")).to_have_text("Comments are closed.")
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    assert page.locator(".townhall form.th-form").count() == 0
    assert page.locator(".townhall button.th-reply").count() == 0


def test_comment_text_is_rendered_sanitised(page: Page, demo_server: str) -> None:
    page.goto(f"{demo_server}/news/flood-barrier-delay")
    marker = uuid.uuid4().hex[:8]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _fill_and_post(
        page,
        "form.th-form >> nth=0",
        f"The temporary barriers on Quay Street need **checking** <img src=x onerror=alert(1)> ({marker})",
    )
    mine = page.locator("article.th-comment", has_text=marker)
    expect(mine.locator("strong")).to_have_text("checking")
    assert mine.locator("img").count() == 0
    assert dialogs == []

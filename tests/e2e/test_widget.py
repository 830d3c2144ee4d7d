"""A reader in real headless Chromium: read, post, reply, edit, delete, meet a closed story, and
see other readers' comments arrive live.

Where things are (see the comment at the top of embed.js): the main form is
`.th-compose > form.th-form`; a comment is `li.th-item > article.th-comment[data-id]` with its
replies in the `ol.th-replies` beside the article; reply and edit forms open inside the article,
in `.th-slot > form.th-reply-form` / `.th-slot > form.th-edit-form`.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 10_000  # ms a live update may take to reach another reader


def _marker() -> str:
    return uuid.uuid4().hex[:10]


def _open(page: Page, url: str) -> None:
    """Open a story and wait until its thread is shown and its live connection has caught up.

    After the first load the widget opens the event stream; on `open` it asks for the thread again
    with the ETag it has, which the server answers with 304: from then on this page hears changes.
    """
    with page.expect_response(
        lambda r: "/api/v1/threads?" in r.url and r.status == 304, timeout=LIVE_TIMEOUT
    ):
        page.goto(url)
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()


def _post(form: Locator, body: str, name: str = "Nadia Brook") -> None:
    form.locator("textarea[name=body]").fill(body)
    name_field = form.locator("input[name=author_name]")
    if name_field.count() and not name_field.input_value():
        name_field.fill(name)
    form.locator("button[type=submit]").click()


def _compose(page: Page) -> Locator:
    return page.locator(".townhall .th-compose > form.th-form")


def _comment(page: Page, text: str) -> Locator:
    return page.locator(".townhall article.th-comment", has_text=text)


def _replies(page: Page, comment_id: str) -> Locator:
    return page.locator(
        f"li.th-item:has(> article[data-id='{comment_id}']) > ol.th-replies > li > article.th-comment"
    )


def test_reader_posts_replies_edits_and_deletes_on_a_demo_story(page: Page, demo_server: str) -> None:
    page.goto(f"{demo_server}/news/night-bus-pilot")
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    expect(page.locator(".townhall .th-closed")).to_have_count(0)

    first, second, third = _marker(), _marker(), _marker()
    body = f"A bus every **forty minutes** still beats walking home from the hospital at night ({first})."
    _post(_compose(page), body)
    mine = _comment(page, first)
    expect(mine).to_be_visible()
    expect(mine).to_have_class(re.compile(r"\bth-own\b.*\bth-new\b"))
    expect(mine.locator(".th-author")).to_have_text("Nadia Brook")
    expect(mine.locator(".th-body strong")).to_have_text("forty minutes")
    expect(_compose(page).locator("textarea[name=body]")).to_have_value("")
    comment_id = mine.get_attribute("data-id")
    assert comment_id
    mine = page.locator(f".townhall article.th-comment[data-id='{comment_id}']")  # whatever its text becomes

    # Reply: the form opens inside the comment, the reply lands in the list beside it.
    mine.locator("button.th-reply").click()
    reply_form = mine.locator(".th-slot > form.th-reply-form")
    expect(reply_form.locator("textarea[name=body]")).to_be_focused()
    _post(
        reply_form,
        f"Replying to myself: the June review will show whether nurses use the night bus ({second}).",
    )
    expect(reply_form).to_have_count(0)
    reply = _replies(page, comment_id)
    expect(reply).to_have_count(1)
    expect(reply).to_contain_text(second)

    # Edit: the editor holds the Markdown as written, not the rendered text.
    mine.locator("button.th-edit").click()
    editor = mine.locator(".th-slot > form.th-edit-form textarea[name=body]")
    expect(editor).to_be_focused()
    expect(editor).to_have_value(body)
    edited = f"Edited: forty minutes is *fine* if the night buses run on time ({third})."
    editor.fill(edited)
    mine.locator("form.th-edit-form button[type=submit]").click()
    expect(mine.locator(".th-body")).to_contain_text(third)
    expect(mine.locator(".th-body em")).to_have_text("fine")
    expect(mine.locator(".th-edited")).to_be_visible()

    # After a reload the editor still gets the text from the server (GET /comments/{id}), not from
    # this browser's copy: spoil that copy first.
    page.evaluate(
        """id => {
          const key = Object.keys(localStorage).find(k => k.startsWith('townhall:own:'));
          const own = JSON.parse(localStorage.getItem(key));
          own[id].body = 'stale copy';
          localStorage.setItem(key, JSON.stringify(own));
        }""",
        comment_id,
    )
    page.reload()
    expect(_comment(page, third)).to_be_visible()
    expect(_replies(page, comment_id)).to_contain_text(second)
    page.wait_for_function(
        """([id, text]) => {
          const key = Object.keys(localStorage).find(k => k.startsWith('townhall:own:'));
          return JSON.parse(localStorage.getItem(key))[id].body === text;
        }""",
        arg=[comment_id, edited],
    )
    mine.locator("button.th-edit").click()
    expect(mine.locator("form.th-edit-form textarea[name=body]")).to_have_value(edited)
    mine.locator("form.th-edit-form button.th-cancel").click()
    expect(mine.locator("form.th-edit-form")).to_have_count(0)

    # Delete the reply, then the comment: both leave, here and after a reload.
    page.on("dialog", lambda dialog: dialog.accept())
    _replies(page, comment_id).locator("button.th-delete").click()
    expect(_comment(page, second)).to_have_count(0)
    expect(page.locator(".townhall .th-status")).to_have_text("Your comment was deleted.")
    mine.locator("button.th-delete").click()
    expect(_comment(page, third)).to_have_count(0)
    page.reload()
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    expect(_comment(page, third)).to_have_count(0)
    expect(_comment(page, second)).to_have_count(0)


def test_closed_story_shows_the_notice_and_no_form(page: Page, demo_server: str) -> None:
    page.goto(f"{demo_server}/news/harbour-library-reopens")
    closed = page.locator(".townhall .th-compose > .th-closed")
    # When (the demo closed it a month after publication) and the editor's reason.
    expect(closed).to_have_text(
        re.compile(r"^Comments closed on October 2, 2026\. Comments close a month after a story")
    )
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    expect(page.locator(".townhall form")).to_have_count(0)
    expect(page.locator(".townhall textarea")).to_have_count(0)
    for action in ("th-reply", "th-edit", "th-delete", "th-up", "th-down"):
        expect(page.locator(f".townhall button.{action}")).to_have_count(0)
    expect(page.locator(".townhall button.th-report").first).to_be_visible()


def test_comment_text_is_rendered_sanitised(page: Page, demo_server: str) -> None:
    page.goto(f"{demo_server}/news/flood-barrier-delay")
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    marker = _marker()
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    _post(
        _compose(page),
        "The temporary barriers on Quay Street need **checking** <img src=x onerror=alert(1)> "
        "<script>alert(2)</script> before the [agency](javascript:alert(3)) says the river "
        f"is safe ({marker})",
    )
    mine = _comment(page, marker)
    body = mine.locator(".th-body")
    expect(body.locator("strong")).to_have_text("checking")
    expect(body).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    expect(body.locator("img, script, [onerror]")).to_have_count(0)
    expect(body.locator("a[href^='javascript']")).to_have_count(0)
    page.reload()
    expect(_comment(page, marker).locator(".th-body strong")).to_have_text("checking")
    expect(_comment(page, marker).locator("img, script")).to_have_count(0)
    assert dialogs == []


def test_other_readers_see_new_comments_live(page: Page, browser: Browser, demo_server: str) -> None:
    """Two readers on one story: what A posts reaches B without a reload; B typing is not disturbed."""
    url = f"{demo_server}/news/night-bus-pilot"
    context_b = browser.new_context()
    reader_b = context_b.new_page()
    reader_b.set_default_timeout(15_000)
    try:
        _open(page, url)
        _open(reader_b, url)
        reader_b.evaluate("window.notReloaded = true")
        count_before = reader_b.locator(".townhall .th-count").text_content()

        # B is only reading: A's comment appears in place, marked as new, and is announced.
        first = _marker()
        _post(
            _compose(page),
            f"The night bus should stop outside the hospital's main entrance ({first}).",
            "Ada Lowe",
        )
        expect(_comment(page, first)).to_be_visible()
        arrived = _comment(reader_b, first)
        expect(arrived).to_be_visible(timeout=LIVE_TIMEOUT)
        expect(arrived).to_have_class(re.compile(r"\bth-new\b"))
        expect(arrived.locator(".th-author")).to_have_text("Ada Lowe")
        expect(reader_b.locator(".townhall .th-status")).to_have_text("New comments")
        expect(reader_b.locator(".townhall .th-count")).not_to_have_text(count_before or "")
        assert reader_b.evaluate("window.notReloaded") is True

        # B is typing: nothing moves under them; a button offers the new comment instead.
        draft = "I was about to say the same about the night bus"
        reader_b.locator(".th-compose textarea[name=body]").fill(draft)
        second = _marker()
        _post(_compose(page), f"Could the night bus also call at the distribution centres ({second})?")
        offer = reader_b.locator(".townhall button.th-new")
        expect(offer).to_have_text("1 new comment — show", timeout=LIVE_TIMEOUT)
        expect(_comment(reader_b, second)).to_have_count(0)
        expect(reader_b.locator(".th-compose textarea[name=body]")).to_have_value(draft)
        offer.click()
        expect(_comment(reader_b, second)).to_be_visible()
        expect(_comment(reader_b, second)).to_be_focused()
        expect(offer).to_be_hidden()
        expect(reader_b.locator(".th-compose textarea[name=body]")).to_have_value(draft)

        # A comment that leaves the thread leaves B's page too.
        page.on("dialog", lambda dialog: dialog.accept())
        _comment(page, second).locator("button.th-delete").click()
        expect(_comment(page, second)).to_have_count(0)
        expect(_comment(reader_b, second)).to_have_count(0, timeout=LIVE_TIMEOUT)
        expect(_comment(reader_b, first)).to_be_visible()
        assert reader_b.evaluate("window.notReloaded") is True
    finally:
        context_b.close()


def test_a_reader_votes_turns_the_vote_and_takes_it_back(page: Page, demo_server: str) -> None:
    page.goto(f"{demo_server}/news/night-bus-pilot")
    comment = page.locator(".townhall article.th-comment").first
    expect(comment).to_be_visible()
    up, down = comment.locator("button.th-up"), comment.locator("button.th-down")
    ups, downs = int(up.locator(".th-n").inner_text()), int(down.locator(".th-n").inner_text())

    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up.locator(".th-n")).to_have_text(str(ups + 1))
    down.click()  # turns it
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(up.locator(".th-n")).to_have_text(str(ups))
    expect(down.locator(".th-n")).to_have_text(str(downs + 1))
    down.click()  # takes it back
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(down.locator(".th-n")).to_have_text(str(downs))
    page.reload()
    comment = page.locator(".townhall article.th-comment").first
    expect(comment.locator("button.th-down .th-n")).to_have_text(str(downs))
    expect(comment.locator("button.th-down")).to_have_attribute("aria-pressed", "false")

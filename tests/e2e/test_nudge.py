"""The pre-submit nudge in real Chromium: a comment about another story, or a hostile one, makes
the widget ask first, with the evidence in plain words; the author edits it or posts anyway."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests import servers

pytestmark = pytest.mark.browser

OFF_TOPIC = (
    "The mayor should explain the expenses claims from her trip to the twin town conference "
    "before anyone trusts her with another budget."
)
ON_TOPIC = "A night bus from the hospital every forty minutes is a real help for shift workers."


@pytest.fixture(scope="module")
def nudging_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`townhall demo` with the models on, its site set to ask authors before posting."""
    port = servers.free_port()
    data = tmp_path_factory.mktemp("nudge-demo")
    with servers.townhall(["demo", "--port", str(port), "--data-dir", str(data)], port) as url:
        database = f"sqlite:///{data / 'demo.sqlite3'}"
        command = [
            sys.executable,
            "-m",
            "townhall",
            "--database-url",
            database,
            "site",
            "set",
            "demo",
            "nudge",
            "true",
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        time.sleep(2.5)  # the server re-reads a site's settings after two seconds
        yield url


def _compose(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".townhall .th-compose > form.th-form")


def test_author_is_asked_edits_and_then_posts_anyway(page: Page, nudging_demo: str) -> None:
    page.goto(f"{nudging_demo}/news/night-bus-pilot")
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    form = _compose(page)
    form.locator("input[name=author_name]").fill("Colin Marsh")
    form.locator("textarea[name=body]").fill(OFF_TOPIC)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/comments/check")) as checked:
        form.locator("button[type=submit]").click()
    assert checked.value.status == 200
    nudge = form.locator(".th-nudge")
    expect(nudge).to_be_visible()
    expect(nudge).to_contain_text("doesn't seem to be about this story")
    expect(nudge.locator("li").first).to_contain_text("night bus")  # the story's title, in plain words
    expect(page.locator(".townhall article.th-comment", has_text="twin town")).to_have_count(0)  # not posted

    # Edit: the box goes, the text stays for the author to change.
    nudge.locator("button.th-revise").click()
    expect(nudge).to_have_count(0)
    expect(form.locator("textarea[name=body]")).to_be_focused()
    expect(form.locator("textarea[name=body]")).to_have_value(OFF_TOPIC)

    # Asked again; this time the author posts anyway, and it goes to the moderators.
    form.locator("button[type=submit]").click()
    expect(form.locator(".th-nudge")).to_be_visible()
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/comments") and r.request.method == "POST"
    ) as sent:
        form.locator(".th-nudge button.th-anyway").click()
    assert sent.value.status == 201 and sent.value.json()["status"] == "held"
    expect(form.locator("textarea[name=body]")).to_have_value("")


def test_an_on_topic_comment_is_posted_without_a_question(page: Page, nudging_demo: str) -> None:
    page.goto(f"{nudging_demo}/news/night-bus-pilot")
    form = _compose(page)
    form.locator("input[name=author_name]").fill("Mina Shah")
    form.locator("textarea[name=body]").fill(ON_TOPIC)
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/comments") and r.request.method == "POST"
    ) as sent:
        form.locator("button[type=submit]").click()
    assert sent.value.json()["status"] == "published"
    expect(form.locator(".th-nudge")).to_have_count(0)
    expect(page.locator(".townhall article.th-comment", has_text="shift workers")).to_be_visible()

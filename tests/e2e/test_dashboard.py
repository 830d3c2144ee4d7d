"""A moderator in real headless Chromium, against `townhall demo` in a subprocess.

The main flow runs the demo without the models and puts held comments into its database the
way moderation would (a scripted verdict with real-shaped evidence), so it does not depend on
the models. The last test posts an off-topic comment to a demo *with* the models and checks
that the Held queue shows the evidence the model gave.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests import servers
from townhall.app import resolve_secret
from townhall.cli.demo import DEMO_ADMIN, DEMO_PASSWORD
from townhall.config import load
from townhall.demo.content import article_url
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.services import build_services
from townhall.services.identity import guest
from townhall.storage import Storage
from townhall.types import Decision

pytestmark = pytest.mark.browser

STORY = "night-bus-pilot"
PASSAGE = (
    "The pilot will cost the council about 410,000 pounds, paid from the parking surplus rather than "
    "from council tax."
)


@dataclass
class Demo:
    url: str
    data: Path

    def story_url(self, slug: str = STORY) -> str:
        return article_url(self.url, slug)


class Scripted:
    """Stands in for the models: holds each comment with the verdict the test gives it."""

    def __init__(self, verdict: Verdict):
        self.verdict = verdict

    def assess(self, request: ModerationRequest) -> Verdict:
        return self.verdict


def off_topic_verdict() -> Verdict:
    signals = {
        "off_topic": {
            "score": 0.86,
            "version": "scripted",
            "evidence": {"nearest_passage": PASSAGE, "similarity": 0.14},
        },
        "toxicity": {"score": 0.04, "version": "scripted", "evidence": {"spans": []}},
    }
    return Verdict(
        Decision.HOLD,
        ("off_topic 0.86 ≥ hold threshold 0.50",),
        "Your comment is awaiting review by a moderator.",
        signals,
        "post",
    )


def toxic_verdict(body: str, word: str) -> Verdict:
    start = body.index(word)
    span = {"start": start, "end": start + len(word), "text": word, "weight": 0.81}
    signals = {"toxicity": {"score": 0.74, "version": "scripted", "evidence": {"spans": [span]}}}
    return Verdict(Decision.HOLD, ("toxicity 0.74 ≥ hold threshold 0.50",), "", signals, "post")


def hold(demo: Demo, body: str, name: str, verdict: Verdict, slug: str = STORY) -> int:
    """Post a comment into the running demo's database, held with ``verdict``; returns its id."""
    config = load(
        overrides={
            "database_url": f"sqlite:///{demo.data / 'demo.sqlite3'}",
            "fetch_articles": False,
            "moderation_enabled": False,
        }
    )
    storage = Storage(config.database_url)
    try:
        services = build_services(config, storage, resolve_secret(config), moderator=Scripted(verdict))
        site = services.sites.get("demo")
        identity = guest(name, None, f"e2e-{name}", services.secret)
        return services.comments.post(site, demo.story_url(slug), body, identity).comment.id
    finally:
        storage.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    port = servers.free_port()
    data = tmp_path_factory.mktemp("dashboard-demo")
    with servers.townhall(["demo", "--port", str(port), "--data-dir", str(data), "--no-models"], port) as url:
        yield Demo(url, data)


def sign_in(page: Page, base: str, then: str = "/admin/") -> None:
    page.goto(base + then)
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("Name").fill(DEMO_ADMIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header.top")).to_contain_text(DEMO_ADMIN)


def widget_comment(page: Page, text: str) -> Any:
    return page.locator(".townhall article.th-comment", has_text=text)


def post_in_widget(page: Page, body: str, name: str) -> None:
    form = page.locator(".townhall form.th-form").first
    form.locator("textarea[name=body]").fill(body)
    name_field = form.locator("input[name=author_name]")
    if name_field.count() and name_field.is_visible():
        name_field.fill(name)
    form.locator("button[type=submit]").click()


def test_moderator_clears_the_held_queue_with_the_keyboard(demo: Demo, page: Page) -> None:
    marker = uuid.uuid4().hex[:6]
    wandering = f"Has anyone got tickets for the cup final on Saturday? ({marker}-a)"
    rude = f"Only an idiot would ride a bus at three in the morning ({marker}-b)"
    wandering_id = hold(demo, wandering, "Quinn Marsh", off_topic_verdict())
    rude_id = hold(demo, rude, "Rory Vale", toxic_verdict(rude, "idiot"))

    sign_in(page, demo.url)
    expect(page).to_have_url(re.compile(r"/admin/queue/held"))
    items = page.locator(".q-items .q-item")
    expect(items.filter(has_text=f"{marker}-a")).to_be_visible()
    expect(items.filter(has_text=f"{marker}-b")).to_be_visible()
    tag = items.filter(has_text=f"{marker}-a").locator(".tag-off_topic")
    expect(tag).to_contain_text("Off-topic: very high")

    # The newest comment is selected first; k/j move between the two.
    detail = page.locator("#detail .detail")
    expect(detail).to_have_attribute("data-id", str(rude_id))
    expect(detail.locator(".comment-text mark.ev-toxicity")).to_have_text("idiot")
    page.keyboard.press("j")
    expect(detail).to_have_attribute("data-id", str(wandering_id))
    expect(detail.locator(".passage blockquote")).to_have_text(PASSAGE)
    expect(detail.locator(".signal.flagged")).to_contain_text("Off-topic")

    # Approve the off-topic one with the keyboard: it leaves the queue without a page load.
    page.evaluate("window.__sameDocument = true")
    page.keyboard.press("a")
    expect(items.filter(has_text=f"{marker}-a")).to_have_count(0)
    expect(page.locator("#announce")).to_have_text("Approved.")
    assert page.evaluate("window.__sameDocument") is True
    expect(detail).to_have_attribute("data-id", str(rude_id))

    # Reject the other with the reason chosen in the form.
    detail.get_by_label("Reason the author is given if you reject").select_option(
        "Personal attacks are not allowed."
    )
    page.keyboard.press("r")
    expect(items.filter(has_text=f"{marker}-b")).to_have_count(0)
    expect(page.locator("#announce")).to_have_text("Rejected.")
    assert page.evaluate("window.__sameDocument") is True

    # The reader sees the approved comment and not the rejected one.
    reader = page.context.new_page()
    reader.goto(demo.story_url())
    expect(widget_comment(reader, f"{marker}-a")).to_be_visible()
    expect(reader.locator(".townhall article.th-comment").first).to_be_visible()
    expect(widget_comment(reader, f"{marker}-b")).to_have_count(0)

    # The audit trail names the moderator.
    page.goto(f"{demo.url}/admin/comments/{rude_id}")
    expect(page.locator(".audit")).to_contain_text(f"held → rejected by moderator {DEMO_ADMIN}")
    expect(page.locator(".audit")).to_contain_text("Personal attacks are not allowed.")


def test_ban_refuses_the_authors_next_comment(demo: Demo, page: Page) -> None:
    marker = uuid.uuid4().hex[:6]
    reader = page.context.new_page()
    reader.goto(demo.story_url("flood-barrier-delay"))
    post_in_widget(reader, f"This council is rotten and so are you all ({marker})", "Troll Tester")
    expect(widget_comment(reader, marker)).to_be_visible()
    comment_id = widget_comment(reader, marker).get_attribute("data-id")

    sign_in(page, demo.url, f"/admin/comments/{comment_id}")
    page.get_by_text("Ban this author").click()
    page.get_by_label("for good").check()
    page.get_by_label("Reason (for moderators)").fill("insults")
    page.get_by_role("button", name="Ban author").click()
    expect(page.locator(".flash")).to_have_text("Author banned.")
    expect(page.locator(".d-author .warn")).to_contain_text("Banned for good: insults")

    post_in_widget(reader, f"You cannot silence me ({marker}-again)", "Troll Tester")
    expect(reader.locator(".townhall .th-alert[role=alert]", has_text="no longer comment")).to_be_visible()
    reader.reload()
    expect(widget_comment(reader, f"{marker}-again")).to_have_count(0)


def test_closing_a_story_closes_the_widget(demo: Demo, page: Page) -> None:
    sign_in(page, demo.url, "/admin/stories")
    row = page.locator("tr", has_text="River Wend flood barrier")
    row.get_by_role("button", name=re.compile("^Close")).click()
    expect(page.locator(".flash")).to_have_text("Comments on the story are closed.")
    expect(page.locator("tr", has_text="River Wend flood barrier")).to_contain_text("Closed")

    reader = page.context.new_page()
    reader.goto(demo.story_url("flood-barrier-delay"))
    expect(reader.locator(".townhall .th-closed")).to_have_text(re.compile(r"^Comments closed on .+\d{4}\.$"))
    assert reader.locator(".townhall form.th-form").count() == 0


def test_the_dashboard_works_on_a_phone(demo: Demo, page: Page) -> None:
    marker = uuid.uuid4().hex[:6]
    hold(
        demo, f"Does anyone know a good plumber in Wend Meadows? ({marker})", "Sam Reed", off_topic_verdict()
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo.url)
    card = page.locator(".q-item", has_text=marker)
    card.locator(".q-link").click()
    detail = page.locator("#detail .detail")
    expect(detail.locator(".comment-text")).to_contain_text(marker)
    expect(detail.get_by_role("button", name="Approve")).to_be_in_viewport()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def test_off_topic_comment_held_by_the_models_shows_its_evidence(page: Page, tmp_path: Path) -> None:
    port = servers.free_port()
    with servers.townhall(["demo", "--port", str(port), "--data-dir", str(tmp_path)], port) as url:
        demo = Demo(url, tmp_path)
        body = "Does anyone know a good recipe for lemon drizzle cake? Mine always sinks in the middle."
        response = httpx.post(
            f"{url}/api/v1/comments",
            json={"site": "demo", "url": demo.story_url(), "body": body, "author_name": "Baker"},
            headers={"Origin": url, "X-Townhall-Reader": "e2e-reader-token-0123456789"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "held"
        sign_in(page, url, "/admin/queue/held?signal=off_topic")
        card = page.locator(".q-item", has_text="lemon drizzle")
        card.locator(".q-link").click()
        detail = page.locator("#detail .detail")
        expect(detail.locator(".signal.flagged")).to_contain_text("Off-topic")
        expect(detail.locator(".passage blockquote")).not_to_be_empty()


def test_the_queue_speaks_german_to_a_german_browser(demo: Demo, browser: Browser) -> None:
    marker = uuid.uuid4().hex[:6]
    held_id = hold(demo, f"Wer fährt nachts noch Bus? ({marker})", "Jana Berg", off_topic_verdict())
    context = browser.new_context(locale="de-DE")  # Accept-Language: de-DE
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(demo.url + "/admin/")
        page.get_by_label("Name").fill(DEMO_ADMIN)
        page.get_by_label("Passwort").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        expect(page.locator("h1")).to_have_text("Zurückgehalten")
        item = page.locator(".q-items .q-item", has_text=marker)
        item.locator(".q-link").click()
        detail = page.locator("#detail .detail")
        expect(detail).to_have_attribute("data-id", str(held_id))
        expect(detail).to_contain_text("Nächstliegende Stelle im Artikel")
        # What the script announces comes from the catalogue too.
        page.keyboard.press("x")
        expect(page.locator("#announce")).to_have_text("Ausgewählt.")
        page.keyboard.press("a")
        expect(item).to_have_count(0)
        expect(page.locator("#announce")).to_have_text("Freigegeben.")
    finally:
        context.close()

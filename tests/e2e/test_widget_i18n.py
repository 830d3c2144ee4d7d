"""The widget in the page's language, in real headless Chromium: German from `<html lang="de">`,
French from `data-townhall-lang`, dates and counts through Intl, one catalogue fetched per page.

The demo's story pages say `lang="en"`; the test rewrites that one attribute of the page the
demo server sends (everything else, embed.js and the API included, is the real server's).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.browser


def _serve_as(page: Page, lang: str, script_lang: str | None = None) -> list[str]:
    """Pages from the demo server with their language changed; returns the catalogues fetched."""

    def rewrite(route: Route) -> None:
        response = route.fetch()
        html = response.text().replace('<html lang="en">', f'<html lang="{lang}">')
        if script_lang:
            html = html.replace("<script src=", f'<script data-townhall-lang="{script_lang}" src=')
        route.fulfill(response=response, body=html)

    page.route(re.compile(r".*/news/[^/?]+$"), rewrite)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/embed/i18n/" in r.url else None)
    return fetched


def test_a_story_in_german(page: Page, demo_server: str) -> None:
    fetched = _serve_as(page, "de-DE")
    page.goto(f"{demo_server}/news/harbour-library-reopens")
    widget = page.locator(".townhall")
    expect(widget.locator("h2.th-count")).to_have_text(re.compile(r"^\d+ Kommentare?$"))
    expect(widget.locator("select.th-sort option")).to_have_text(["Neueste", "Älteste", "Beste"])
    expect(widget.locator("label.th-sortbox")).to_contain_text("Sortieren nach")
    # A closed story: the date in German words, from Intl.
    expect(widget.locator(".th-compose > .th-closed")).to_have_text(
        re.compile(r"^Die Kommentare wurden am 2\. Oktober 2026 geschlossen\.")
    )
    first = widget.locator("article.th-comment").first
    expect(first.locator("button.th-report")).to_have_text("Melden")
    expect(first.locator("time.th-time")).to_have_text(
        re.compile(r"^(vor \d+ \w+|gestern|letzte \w+|letzten \w+)")
    )
    expect(first.locator("time.th-time")).to_have_attribute(
        "title", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}, ")
    )
    assert [url.rsplit("/", 1)[-1] for url in fetched] == ["de.json"], fetched


def test_posting_in_german_shows_german_messages(page: Page, demo_server: str) -> None:
    _serve_as(page, "de")
    page.goto(f"{demo_server}/news/night-bus-pilot")
    form = page.locator(".townhall .th-compose > form.th-form")
    expect(form.locator("button[type=submit]")).to_have_text("Kommentar senden")
    expect(form.locator("label[for]").first).to_have_text("Ihr Kommentar")
    form.locator("button[type=submit]").click()  # empty: checked in the browser first
    expect(form.locator("p.th-error[data-field=body]")).to_have_text(
        "Bitte schreiben Sie zuerst Ihren Kommentar."
    )
    form.locator("textarea[name=body]").fill("Ein Nachtbus alle vierzig Minuten ist besser als nichts.")
    form.locator("input[name=author_name]").fill("Lena Vogt")
    form.locator("button[type=submit]").click()
    mine = page.locator(".townhall article.th-comment.th-own", has_text="vierzig Minuten")
    expect(mine).to_be_visible()
    expect(mine.locator("button.th-edit")).to_have_text("Bearbeiten")
    expect(mine.locator("time.th-time")).to_have_text(re.compile(r"^(gerade eben|jetzt|vor \d+ Sekunden?)$"))


def test_the_script_attribute_wins_over_the_page(page: Page, demo_server: str) -> None:
    fetched = _serve_as(page, "de", script_lang="fr")
    page.goto(f"{demo_server}/news/harbour-library-reopens")
    widget = page.locator(".townhall")
    expect(widget.locator(".th-compose > .th-closed")).to_have_text(
        re.compile(r"^Commentaires fermés le 2 octobre 2026\.")
    )
    expect(widget.locator("select.th-sort option").first).to_have_text("Plus récents")
    assert [url.rsplit("/", 1)[-1] for url in fetched] == ["fr.json"], fetched


def test_an_english_page_fetches_no_catalogue(page: Page, demo_server: str) -> None:
    fetched = _serve_as(page, "en-GB")
    page.goto(f"{demo_server}/news/harbour-library-reopens")
    expect(page.locator(".townhall select.th-sort option").first).to_have_text("Newest")
    assert fetched == []

"""A badly typed field reaches a reader through the widget in the page's language: a page whose
own script sends a number where the name belongs (a site's customised embed, say) gets the
server's 422 in French, with the note under the name field. The request leaves the real widget
in real headless Chromium; only its body is changed on the way, to be badly typed."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.test_widget_i18n import _serve_as

pytestmark = pytest.mark.browser


def test_a_badly_typed_name_is_refused_in_french(page: Page, demo_server: str) -> None:
    _serve_as(page, "fr")

    def number_for_a_name(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        body = json.loads(route.request.post_data or "{}")
        body["author_name"] = 12345
        route.continue_(post_data=json.dumps(body))

    page.route(re.compile(r".*/api/v1/comments(\?.*)?$"), number_for_a_name)
    page.goto(f"{demo_server}/news/night-bus-pilot")
    form = page.locator(".townhall .th-compose > form.th-form")
    form.locator("textarea[name=body]").fill(
        "Un bus de nuit toutes les quarante minutes, c’est mieux que rien."
    )
    form.locator("input[name=author_name]").fill("Léa Roux")
    form.locator("button[type=submit]").click()
    expect(form.locator("p.th-error[data-field=author_name]")).to_have_text("Doit être du texte.")
    expect(form.locator("[role=alert]").last).to_have_text("Votre nom : doit être du texte.")
    expect(form.locator("input[name=author_name]")).to_have_attribute("aria-invalid", "true")

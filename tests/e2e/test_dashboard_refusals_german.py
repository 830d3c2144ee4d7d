"""A German-speaking admin in headless Chromium: what the services refuse, the reasons the policy
gave, the recalibration notice, webhook events and dates, all in German."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_dashboard import Demo, demo, hold, toxic_verdict  # noqa: F401 - demo is a fixture
from townhall.cli.demo import DEMO_ADMIN, DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_a_german_admin_reads_refusals_reasons_and_dates_in_german(demo: Demo, browser: Browser) -> None:  # noqa: F811
    marker = uuid.uuid4().hex[:6]
    body = f"Nur ein Idiot fährt um drei Uhr Bus ({marker})"
    held_id = hold(demo, body, "Kai Brandt", toxic_verdict(body, "Idiot"))
    context = browser.new_context(locale="de-DE")  # Accept-Language: de-DE
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(demo.url + "/admin/")
        page.get_by_label("Name").fill(DEMO_ADMIN)
        page.get_by_label("Passwort").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        expect(page.locator("h1")).to_have_text("Zurückgehalten")

        # The policy's reason, with the signal's name and the numbers as German writes them.
        page.goto(f"{demo.url}/admin/comments/{held_id}")
        expect(page.locator("ul.reasons")).to_contain_text(
            "Toxizität 0,74 ≥ Schwellenwert zum Zurückhalten 0,50"
        )
        expect(page.locator(".audit")).to_contain_text(re.compile(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} UTC"))

        # A refusal from the accounts service, next to its field.
        page.goto(demo.url + "/admin/users")
        page.locator("#new-name").fill(f"desk-{marker}")
        page.locator("#new-password").fill("kurz")
        page.get_by_role("button", name="Nutzer hinzufügen").click()
        expect(page.locator("#error-password")).to_have_text(
            "Das Passwort muss mindestens 8 Zeichen lang sein."
        )

        # Webhook events by name, and the form's own refusal.
        page.goto(demo.url + "/admin/webhooks")
        expect(page.locator("fieldset")).to_contain_text("Kommentar zurückgehalten")
        for box in page.locator("fieldset input[type=checkbox]").all():
            box.uncheck()
        page.locator("#webhook-url").fill("https://hooks.example/in")
        page.get_by_role("button", name="Webhook hinzufügen").click()
        expect(page.locator("#webhook-error")).to_have_text("Wählen Sie mindestens ein Ereignis.")

        # The recalibration notice is said from numbers, in German.
        page.goto(demo.url + "/admin/stats")
        page.get_by_role("button", name="Jetzt neu kalibrieren").first.click()
        expect(page.locator("p.notice")).to_contain_text(
            re.compile(r"demo: (erst .* zu wenige|aus .* neu kalibriert)")
        )
    finally:
        context.close()

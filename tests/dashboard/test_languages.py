"""The dashboard's frame (navigation, sign-in, notices) and its queue page in the staff member's
browser language."""

from __future__ import annotations

import re

from tests.dashboard.conftest import Dashboard
from townhall.types import Role


def test_sign_in_page_in_german_and_french(dashboard: Dashboard) -> None:
    german = dashboard.client.get("/admin/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert german.status_code == 200
    assert '<html lang="de">' in german.text
    assert "<h1>Anmelden</h1>" in german.text and "Einmalcode" in german.text
    french = dashboard.client.get("/admin/login?lang=fr", headers={"Accept-Language": "de"})
    assert '<html lang="fr">' in french.text and "Mot de passe" in french.text
    english = dashboard.client.get("/admin/login")
    assert '<html lang="en">' in english.text and "<h1>Sign in</h1>" in english.text


def test_navigation_and_notices_are_translated(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    page = dashboard.client.get("/admin/stories?done=settings", headers=headers)
    assert page.status_code == 200
    for text in ("Warteschlangen", "Einstellungen", "Leserdaten", "Abmelden", "Einstellungen gespeichert."):
        assert text in page.text, text
    french = dashboard.client.get("/admin/stories", headers={**headers, "Accept-Language": "fr"})
    assert "Files d’attente" in french.text and "Se déconnecter" in french.text


def test_the_queue_page_in_german(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.MODERATOR), "Accept-Language": "de"}
    page = dashboard.client.get("/admin/queue/held", headers=headers)
    assert page.status_code == 200
    for text in ("<h1>Zurückgehalten</h1>", "Schwerste zuerst", "Auswahl freigeben", "Tastenkürzel"):
        assert text in page.text, text
    assert "Kommentar von Ana auswählen" in page.text  # the held comment's card
    # The reasons are what the author is told, as written by the site: not the moderator's language.
    assert "Personal attacks are not allowed." in page.text


def test_a_comments_detail_panel_and_its_card_in_french(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.MODERATOR), "Accept-Language": "fr-FR"}
    page = dashboard.client.get("/admin/queue/held", headers=headers)
    assert page.status_code == 200
    expected = ("Refuser", "Signaux", "Historique", "Bannir cet auteur", "Touches :", "définitivement")
    for text in expected:
        assert text in page.text, text
    assert "Reason the author is given" not in page.text and "Ban this author" not in page.text


def test_cards_sent_to_the_live_list_follow_the_browsers_language(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.MODERATOR), "Accept-Language": "de"}
    cards = dashboard.client.get("/admin/api/queue/held", headers=headers).json()["items"]
    assert cards
    html = cards[0]["html"]
    assert "Kommentar von" in html and ("gerade eben" in html or "vor " in html), html
    assert "just now" not in html and " ago" not in html


def test_stories_a_story_and_an_author_in_german(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    stories = dashboard.client.get("/admin/stories", headers=headers)
    assert "<h1>Artikel</h1>" in stories.text and "Alle Artikel" in stories.text
    link = re.search(r'href="(/admin/stories/\d+)"', stories.text)
    assert link, stories.text
    story = dashboard.client.get(link.group(1), headers=headers).text
    assert "Kommentare sind <strong>" in story and "Datum speichern" in story, story
    queue = dashboard.client.get("/admin/queue/held", headers=headers).text
    author = re.search(r'href="(/admin/authors/[^"]+)"', queue)
    assert author
    page = dashboard.client.get(author.group(1), headers=headers).text
    assert "Neueste Kommentare" in page and "Verfasser sperren" in page, page


def test_stats_and_settings_in_german_and_french(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    stats = dashboard.client.get("/admin/stats", headers=headers).text
    for text in ("Beim Eingang zurückgehalten", "Kommentare pro Stunde", "Von Ihrer Moderation lernen"):
        assert text in stats, text
    settings = dashboard.client.get("/admin/settings", headers={**headers, "Accept-Language": "fr"}).text
    for text in ("Enregistrer les réglages", "Mots interdits", "Modération a priori", "Toxicité"):
        assert text in settings, text
    assert "Save settings" not in settings


def test_users_readers_webhooks_and_account_in_german(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    expected = {
        "/admin/users": ("Nutzer hinzufügen", "Rolle ändern", "Moderator"),
        "/admin/readers": ("Leser finden", "E-Mail-Adresse"),
        "/admin/webhooks": ("Webhook hinzufügen", "Zustellprotokoll"),
        "/admin/account": ("Ihr Konto", "Passwort ändern", "Überall sonst abmelden"),
    }
    for path, texts in expected.items():
        page = dashboard.client.get(path, headers=headers)
        assert page.status_code == 200, path
        for text in texts:
            assert text in page.text, (path, text)


def test_page_titles_and_a_settings_error_in_german(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    stats = dashboard.client.get("/admin/stats", headers=headers).text
    assert "<title>Statistik" in stats or "<title>Statistiken" in stats, stats[:400]
    missing = dashboard.client.get("/admin/stories/999999", headers=headers)
    assert missing.status_code == 404 and "<h1>Nicht gefunden</h1>" in missing.text


def test_the_audit_trail_says_statuses_in_french(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.MODERATOR), "Accept-Language": "fr"}
    page = dashboard.client.get("/admin/queue/held", headers=headers).text
    audit = page[page.index('class="audit small"') :]
    assert "nouveau → en attente" in audit, audit[:600]

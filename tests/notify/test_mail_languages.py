"""Reader e-mails in the site's language, through a real SMTP server on loopback; the pages behind
their links in the reader's browser language."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.notify.conftest import PUBLIC_URL, Inbox
from tests.notify.test_mail import ALICE, link, post
from townhall.app import create_app
from townhall.errors import Invalid
from townhall.services import Services


def test_confirmation_and_reply_mails_speak_the_sites_language(
    notify_services: Services, site, inbox: Inbox
) -> None:
    services = notify_services
    site = services.sites.update_settings(site.id, {"language": "de"})
    alice = post(services, site, "Die Abstimmung über die Brücke kam zu schnell.", "Alice").comment
    services.notices.subscribe(site, alice, ALICE)
    assert services.outbox.send_pending().sent == 1
    (confirm_mail,) = inbox.wait_for(1)
    assert confirm_mail["Subject"] == "Benachrichtigungen über Antworten von The Ledger bestätigen"
    assert "Zur Bestätigung öffnen Sie bitte diesen Link:" in confirm_mail.get_content()

    services.notices.confirm(link(confirm_mail, "/mail/confirm"))
    post(services, site, "Ein Jahr ist für eine Brücke nicht lang.", "Carola", parent_id=alice.id)
    assert services.outbox.send_pending().sent == 1
    notice = inbox.wait_for(2)[1]
    assert notice["Subject"] == "Neue Antwort auf Ihren Kommentar bei The Ledger"
    text = notice.get_content()
    assert "Carola hat auf Ihren Kommentar zu" in text and "Abbestellen (ein Klick): " in text
    assert notice["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/mail/unsubscribe/")


def test_an_unknown_language_setting_is_refused(notify_services: Services, site) -> None:
    with pytest.raises(Invalid) as refused:
        notify_services.sites.update_settings(site.id, {"language": "es"})
    assert refused.value.fields == {"language": "unknown language"}
    assert notify_services.sites.get(site.id).settings.language == "en"


def test_the_link_pages_follow_the_browser(notify_services: Services, site, inbox: Inbox) -> None:
    services = notify_services
    alice = post(services, site, "The bridge vote was rushed.", "Alice").comment
    services.notices.subscribe(site, alice, ALICE)
    services.outbox.send_pending()
    token = link(inbox.wait_for(1)[0], "/mail/confirm")
    app = create_app(services.config, storage=services.storage, moderator=services.comments.moderator)
    with TestClient(app) as client:
        page = client.get(f"/mail/confirm/{token}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        assert '<html lang="fr">' in page.text and "Confirmer les notifications de réponse" in page.text
        done = client.post(f"/mail/confirm/{token}", headers={"Accept-Language": "de"})
        assert "Benachrichtigungen bestätigt" in done.text and ALICE in done.text
        bad = client.post("/mail/unsubscribe/1.nonsense", headers={"Accept-Language": "de"})
        assert bad.status_code == 404 and "Dieser Link funktioniert nicht" in bad.text
        assert "Press the button" in client.get(f"/mail/confirm/{token}").text

"""Values the database keeps (actor kinds, webhook events and delivery states, readers' kinds,
evidence and the signals' reasons) and dates and numbers, said in the staff member's language when
the page is rendered; a value nobody listed is shown as stored, escaped."""

from __future__ import annotations

from tests.conftest import FakeClock
from tests.dashboard.conftest import Dashboard
from townhall.types import ActorKind, CommentStatus, Role

REASONS = [
    "toxicity 0.98 ≥ hold threshold 0.50",
    "spam 0.91 ≥ reject threshold 0.90",
    "off_topic borderline, skipped for a trusted reader",
    "a <b>newer</b> signal's own reason",
]
SIGNALS = {
    "toxicity": {
        "score": 0.9844,
        "version": "t-1",
        "evidence": {"spans": [], "categories": ["insult", "threat"], "lexical": 0.74329},
    },
    "spam": {
        "score": 0.91,
        "version": "s-1",
        "evidence": {
            "reasons": [
                "4 links",
                "flooding: 12 comments from one author in 10 min",
                "near-duplicate (93%) of a recent comment on this story",
            ],
            "model_score": 0.5,
            "first_comment": True,
        },
    },
}


def _held_with_reasons(dashboard: Dashboard) -> int:
    comment_id = dashboard.comment.id
    verdict = {"decision": "hold", "reasons": REASONS, "signals": SIGNALS}
    with dashboard.services.storage.write() as tx:
        tx.comments.update(comment_id, verdict=verdict)
    return comment_id


def test_reasons_evidence_and_history_in_german(dashboard: Dashboard) -> None:
    comment_id = _held_with_reasons(dashboard)
    headers = {**dashboard.cookie(Role.MODERATOR), "Accept-Language": "de"}
    html = dashboard.client.get(f"/admin/comments/{comment_id}", headers=headers).text
    for said in (
        "Toxizität 0,98 ≥ Schwellenwert zum Zurückhalten 0,50",
        "Spam 0,91 ≥ Schwellenwert zum Ablehnen 0,90",
        "Themenfremd grenzwertig, bei einem vertrauenswürdigen Leser übergangen",
        "Art: Beleidigungen, Drohungen",
        "4 Links",
        "Flut: 12 Kommentare eines Verfassers in 10 Min.",
        "fast gleich (93\xa0%) wie ein neuer Kommentar unter diesem Artikel",
        "<dt>Wert des Textmodells</dt><dd>0,50</dd>",
        "<dt>erster Kommentar auf dieser Website</dt><dd>ja</dd>",
    ):
        assert said in html, said
    # A reason of unknown shape is shown as stored, and escaped like any text.
    assert "a &lt;b&gt;newer&lt;/b&gt; signal&#39;s own reason" in html and "<b>newer</b>" not in html
    audit = html[html.index('class="audit small"') :]
    assert (
        "durch Signal <strong>moderation</strong>: Themenfremd 0,90 ≥ Schwellenwert zum Zurückhalten 0,50"
        in audit
    )


def test_the_history_says_who_in_french(dashboard: Dashboard) -> None:
    dashboard.services.queue.approve(dashboard.comment.id, "moderator")
    headers = {**dashboard.cookie(Role.MODERATOR), "Accept-Language": "fr"}
    html = dashboard.client.get(f"/admin/comments/{dashboard.comment.id}", headers=headers).text
    audit = html[html.index('class="audit small"') :]
    assert "par modérateur" in audit, audit[:800]
    assert ActorKind.MODERATOR.value != "modérateur"  # the stored value stays the value
    assert dashboard.services.comments.get(dashboard.comment.id).status is CommentStatus.PUBLISHED


def test_webhook_events_states_and_dates_in_french(dashboard: Dashboard, clock: FakeClock) -> None:
    services = dashboard.services
    with services.storage.write() as tx:
        hook = tx.webhooks.add("ledger", "https://hooks.example/in", "whsec_x", ["comment.held"], clock())
    delivery = services.webhooks.send_test(hook, "ledger")
    with services.storage.write() as tx:
        tx.webhooks.attempted(delivery, clock(), None, "the URL's port is not valid", False, None)
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "fr"}
    html = dashboard.client.get("/admin/webhooks?site=ledger", headers=headers).text
    log = html[html.index('class="data deliveries"') :]
    for said in (
        "événement de test",
        "échoué",
        "le port de l’URL n’est pas valide",
        "20 nov. 2026, 12:00 UTC",
    ):
        assert said in log, said
    assert "commentaire mis en attente" in html  # the hook's events and the form's boxes
    english = dashboard.client.get("/admin/webhooks?site=ledger", headers=dashboard.cookie(Role.ADMIN)).text
    assert "Nov 20, 2026, 12:00" in english and "failed" in english


def test_a_readers_kind_in_german(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    page = dashboard.client.get(
        f"/admin/readers?site=ledger&comment_id={dashboard.comment.id}", headers=headers
    )
    assert page.status_code == 200 and " · Gast · " in page.text, page.text


def test_page_titles_that_name_something_in_german(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    settings = dashboard.client.get("/admin/settings?site=ledger", headers=headers).text
    assert "<title>Einstellungen · The Ledger" in settings
    comment = dashboard.client.get(f"/admin/comments/{dashboard.comment.id}", headers=headers).text
    assert f"<title>Kommentar {dashboard.comment.id}" in comment


def test_an_erasure_record_in_german(dashboard: Dashboard) -> None:
    site = dashboard.services.sites.get("ledger")
    author_id = dashboard.comment.author.id
    dashboard.services.readers.erase(site, author_id, ActorKind.MODERATOR, "admin", "asked by e-mail")
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    page = dashboard.client.get("/admin/readers?site=ledger", headers=headers).text
    erasures = page[page.index("Löschungen") :] if "Löschungen" in page else page
    assert "(entfernt)" in erasures or "(ohne Namen behalten)" in erasures, erasures[:1500]
    assert "20.11.2026, 12:00 UTC" in erasures

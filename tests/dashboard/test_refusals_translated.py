"""What the services refuse on the staff's forms, and the stats page's recalibration notice, in the
staff member's language: the services raise msgids with parameters, the dashboard says them."""

from __future__ import annotations

from typing import Any

from tests.dashboard.conftest import Dashboard
from townhall.types import Role


def _post(dashboard: Dashboard, who: Role, path: str, lang: str, **data: Any) -> Any:
    return dashboard.client.post(
        path,
        data={"csrf": dashboard.csrf(who), **data},
        headers={**dashboard.cookie(who), "Accept-Language": lang},
        follow_redirects=False,
    )


def test_the_users_page_refuses_in_german_and_french(dashboard: Dashboard) -> None:
    short = _post(
        dashboard, Role.ADMIN, "/admin/users", "de", name="night-desk", role="moderator", password="x"
    )
    assert short.status_code == 422
    assert "Das Passwort muss mindestens 8 Zeichen lang sein." in short.text, short.text
    taken = _post(
        dashboard, Role.ADMIN, "/admin/users", "fr", name="editor", role="editor", password="long enough 1"
    )
    assert taken.status_code == 409
    assert "Un utilisateur nommé « editor » existe déjà." in taken.text
    role = _post(
        dashboard, Role.ADMIN, "/admin/users", "de", name="nd2", role="boss", password="long enough 1"
    )
    assert "Die Rolle muss eine der folgenden sein: admin, moderator, editor." in role.text
    own = _post(dashboard, Role.ADMIN, "/admin/users/admin/disable", "fr")
    assert own.status_code == 422
    assert "Vous ne pouvez ni désactiver votre propre compte ni changer votre propre rôle." in own.text
    english = _post(dashboard, Role.ADMIN, "/admin/users", "en", name="nd3", role="moderator", password="x")
    assert "Password must be at least 8 characters." in english.text


def test_the_account_page_refuses_in_german(dashboard: Dashboard) -> None:
    wrong = _post(
        dashboard, Role.EDITOR, "/admin/account/password", "de", current="nope", password="abcdefgh1"
    )
    assert wrong.status_code == 422 and "Das ist nicht Ihr aktuelles Passwort." in wrong.text
    code = _post(
        dashboard, Role.EDITOR, "/admin/account/totp", "de", secret="JBSWY3DPEHPK3PXPJBSWY3DP", code="000000"
    )
    assert code.status_code == 422
    assert "Dieser Code passt nicht: Prüfen Sie die Uhrzeit der App" in code.text


def test_readers_and_webhooks_refuse_in_french(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "fr"}
    readers = dashboard.client.get("/admin/readers?site=ledger&comment_id=abc", headers=headers)
    assert readers.status_code == 422 and "Un identifiant de commentaire est un nombre." in readers.text
    none = _post(dashboard, Role.ADMIN, "/admin/webhooks", "fr", site="ledger", url="https://hooks.example/x")
    assert none.status_code == 422 and "Choisissez au moins un événement." in none.text
    local = _post(
        dashboard,
        Role.ADMIN,
        "/admin/webhooks",
        "de",
        site="ledger",
        url="http://127.0.0.1:9/x",
        **{"event_comment.held": "on"},
    )
    assert local.status_code == 422
    assert "Die URL zeigt auf eine Loopback- oder private Netzwerkadresse" in local.text, local.text


def test_a_role_refusal_and_a_json_refusal_in_german(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.EDITOR), "Accept-Language": "de"}
    page = dashboard.client.get("/admin/users", headers=headers)
    assert page.status_code == 403
    assert "Mit Ihrer Rolle (Redakteur) können Sie diese Seite nicht nutzen." in page.text, page.text
    api = dashboard.client.get(
        "/admin/api/queue/nowhere", headers={**headers, **dashboard.cookie(Role.ADMIN)}
    )
    assert api.status_code == 422
    assert api.json()["error"]["message"] == "es gibt keine Warteschlange „nowhere“"


def test_settings_refusals_from_the_service_in_french(dashboard: Dashboard) -> None:
    form = {"site": "ledger", "origins": "https://news.example", "moderation_mode": "post"}
    form |= {"auto_close_days": "0", "edit_window_minutes": "9999", "trusted_after_approved": "3"}
    form |= {"hold_toxicity": "0.9", "reject_toxicity": "0.5"}
    refused = _post(dashboard, Role.ADMIN, "/admin/settings", "fr", **form)
    assert refused.status_code == 422
    assert "Edit_window_minutes doit être un nombre entier entre 0 et 1440." in refused.text
    assert (
        "Thresholds.toxicity : le seuil de mise en attente ne doit pas dépasser celui de refus."
        in refused.text
    )


def test_the_recalibration_notice_in_german_from_numbers_not_text(dashboard: Dashboard) -> None:
    few = _post(dashboard, Role.ADMIN, "/admin/stats/calibrate", "de", site="ledger")
    assert few.status_code == 303 and "message=" not in few.headers["location"]
    headers = {**dashboard.cookie(Role.ADMIN), "Accept-Language": "de"}
    shown = dashboard.client.get(few.headers["location"], headers=headers).text
    assert "ledger: erst 0 Moderationsentscheidungen, zu wenige, um daraus zu lernen." in shown
    reset = _post(dashboard, Role.ADMIN, "/admin/stats/calibrate/reset", "de", site="ledger")
    shown = dashboard.client.get(reset.headers["location"], headers=headers).text
    assert "ledger: wieder bei den Standard-Schwellenwerten." in shown
    learned = "/admin/stats?site=ledger&calibration=learned&decisions=1234&before=0.5&after=0.875"
    shown = dashboard.client.get(learned, headers=headers).text
    assert "ledger: aus 1.234 Entscheidungen neu kalibriert; Übereinstimmung 50\xa0% → 88\xa0%." in shown
    # Nothing said on the page comes from the address: an unknown site or free text shows nothing.
    crafted = "/admin/stats?site=elsewhere&calibration=reset&message=Your+password+expired"
    shown = dashboard.client.get(crafted, headers=headers).text
    assert 'class="notice"' not in shown and "Your password expired" not in shown


def test_a_moderators_second_approval_is_refused_in_german(dashboard: Dashboard) -> None:
    headers = {**dashboard.cookie(Role.MODERATOR), "X-CSRF-Token": dashboard.csrf(Role.MODERATOR)}
    path = f"/admin/api/comments/{dashboard.comment.id}/approve"
    first = dashboard.client.post(path, json={}, headers={**headers, "Accept-Language": "de"})
    assert first.status_code == 200, first.text
    again = dashboard.client.post(path, json={}, headers={**headers, "Accept-Language": "de"})
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "der Kommentar ist bereits veröffentlicht"
    missing = dashboard.client.get("/admin/comments/999999", headers={**headers, "Accept-Language": "fr"})
    assert missing.status_code == 404 and "Aucun commentaire 999999." in missing.text

"""What the server tells readers, in their language: Accept-Language (the widget sends the page's),
or `?lang=`; codes and field names stay as they are, English when nothing matches."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import READER, SITE, URL, assert_error
from townhall import i18n
from townhall.moderation.policy import reader_message
from townhall.types import Decision


def _post(client: TestClient, body: str, lang: str | None = None, query: str = "", **fields: Any) -> Any:
    payload: dict[str, Any] = {"site": SITE, "url": URL, "body": body, "author_name": "Lena", **fields}
    headers = {"X-Townhall-Reader": READER}
    if lang:
        headers["Accept-Language"] = lang
    return client.post(f"/api/v1/comments{query}", json=payload, headers=headers)


def test_errors_come_in_the_readers_language(client: TestClient) -> None:
    error = assert_error(_post(client, "x" * 6000, "de-DE,de;q=0.9,en;q=0.5"), 422)
    assert error["message"] == "der Kommentar ist länger als 5000 Zeichen"
    assert error["fields"] == {"body": "zu lang"}
    error = assert_error(_post(client, "\u200b\u200b", "fr"), 422)
    assert error["message"] == "le commentaire ne contient aucun texte visible"
    assert error["fields"] == {"body": "aucun texte visible"}
    # "required" is a marker the widget reads, not prose: it is never translated.
    no_name = assert_error(_post(client, "Gut so.", "de", author_name=None), 422)
    assert no_name["message"] == "um als Gast zu kommentieren, ist ein Name erforderlich"
    assert no_name["fields"] == {"author_name": "required"}


def test_lang_in_the_query_wins_and_unknown_languages_get_english(client: TestClient) -> None:
    error = assert_error(_post(client, "x" * 6000, "de", query="?lang=fr"), 422)
    assert error["message"] == "le commentaire dépasse 5000 caractères"
    assert assert_error(_post(client, "x" * 6000, "pt-BR"), 422)["message"] == (
        "comment is longer than 5000 characters"
    )
    assert assert_error(_post(client, "x" * 6000), 422)["message"] == "comment is longer than 5000 characters"


def test_moderation_messages_are_translated(client: TestClient, api_key: str) -> None:
    changed = client.patch(
        "/api/v1/admin/site", json={"moderation_mode": "pre"}, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert changed.status_code == 200
    held = _post(client, "Die Brücke hätte schon 2019 saniert werden müssen.", "de")
    assert held.status_code == 201, held.text
    body = held.json()
    assert body["status"] == "held"
    assert body["message"].startswith("Ihr Kommentar wird geprüft: Auf dieser Website liest die Moderation")
    assert body["comment"]["message"] == body["message"]
    # The same comment read back by its author in French; the stored verdict stays English.
    own = client.get(
        f"/api/v1/comments/{body['comment']['id']}",
        headers={"X-Townhall-Edit-Token": body["edit_token"], "Accept-Language": "fr"},
    )
    assert own.json()["comment"]["message"].startswith("Votre commentaire est en attente d’examen")
    # A reply to it is refused, in German.
    reply = _post(client, "Eine Antwort.", "de", parent_id=body["comment"]["id"])
    assert assert_error(reply, 409, "parent_not_published")["message"].startswith(
        "der Kommentar, auf den Sie antworten, wartet noch auf Freigabe"
    )


def test_reports_are_thanked_in_the_readers_language(client: TestClient) -> None:
    posted = _post(client, "A fair point about the bridge.").json()
    thanks = client.post(
        f"/api/v1/comments/{posted['comment']['id']}/reports",
        json={"reason": "spam"},
        headers={"X-Townhall-Reader": "another-reader-0123456789", "Accept-Language": "fr-CA"},
    )
    assert thanks.json()["message"] == "Merci. Un modérateur va examiner ce commentaire."


def test_held_and_rejected_reasons_are_said_again_in_each_language() -> None:
    de = i18n.translations("de").gettext
    assert reader_message(Decision.HOLD, ["off_topic", "spam"], de) == (
        "Ihr Kommentar wird von der Moderation geprüft, weil er möglicherweise nicht zum Thema des Artikels "
        "passt; er wie Werbung oder eine wiederholte Nachricht aussieht."
    )
    fr = i18n.translations("fr").gettext
    assert reader_message(Decision.REJECT, ["toxicity"], fr) == (
        "Votre commentaire n’a pas été publié, car il pourrait enfreindre "
        "les règles de courtoisie de ce site."
    )
    assert reader_message(Decision.REJECT, ["toxicity"]).startswith("Your comment was not published because")

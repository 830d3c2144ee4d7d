"""A badly typed field in the public API is refused in the reader's language (the widget sends its
page's as Accept-Language; ``?lang=`` works too), one readable note per field, in the one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import READER, SITE, URL, assert_error


def _post(client: TestClient, lang: str, **fields: object) -> dict:
    payload = {"site": SITE, "url": URL, "body": "A fair point.", "author_name": "Ana", **fields}
    headers = {"X-Townhall-Reader": READER, "Accept-Language": lang}
    return assert_error(client.post("/api/v1/comments", json=payload, headers=headers), 422, "invalid")


def test_wrong_types_in_german(client: TestClient) -> None:
    error = _post(client, "de-DE,de;q=0.9", body=12, parent_id="eins")
    assert error["fields"] == {"body": "muss Text sein", "parent_id": "muss eine ganze Zahl sein"}
    assert error["message"] == "Ihr Kommentar: muss Text sein"


def test_lengths_and_limits_in_french_with_plural_forms(client: TestClient) -> None:
    error = _post(client, "fr", site="", parent_id=0, author_name="A" * 501)
    assert error["fields"]["site"] == "doit compter au moins 1 caractère"
    assert error["fields"]["author_name"] == "doit compter au plus 500 caractères"
    assert error["fields"]["parent_id"] == "doit être au moins 1"
    assert error["message"] == "le site : doit compter au moins 1 caractère"


def test_missing_fields_choices_and_own_checks_by_lang_parameter(client: TestClient) -> None:
    missing = client.post(
        "/api/v1/comments?lang=de", json={"site": SITE}, headers={"X-Townhall-Reader": READER}
    )
    error = assert_error(missing, 422, "invalid")
    assert error["fields"]["url"] == "dieses Feld ist erforderlich"
    nul = _post(client, "fr", body="nul \x00 dedans")
    assert nul["fields"]["body"] == "ne doit pas contenir de caractères NUL"
    report = client.post(
        "/api/v1/comments/1/reports",
        json={"site": SITE, "reason": "boring"},
        headers={"X-Townhall-Reader": READER, "Accept-Language": "de"},
    )
    error = assert_error(report, 422, "invalid")
    assert (
        error["fields"]["reason"]
        == "muss einer dieser Werte sein: spam, abuse, off_topic, misinformation, other"
    )


def test_english_stays_plain_and_bad_json_is_said_too(client: TestClient) -> None:
    error = _post(client, "en", body=12)
    assert error["fields"] == {"body": "must be text"} and error["message"] == "your comment: must be text"
    broken = client.post(
        "/api/v1/comments",
        content=b'{"site": ',
        headers={"content-type": "application/json", "Accept-Language": "fr"},
    )
    assert (
        assert_error(broken, 400, "bad_json")["message"] == "le corps de la requête n’est pas du JSON valide"
    )


def test_an_unexpected_failure_is_said_in_german_too(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_site_id: str) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.state.services.sites, "get", broken)
    with TestClient(app, raise_server_exceptions=False) as quiet:
        response = quiet.get("/api/v1/threads", params={"site": SITE, "url": URL, "lang": "de"})
    error = assert_error(response, 500, "internal")
    assert error["message"] == "bei uns ist etwas schiefgelaufen; der Fehler wurde protokolliert"


def test_integrators_read_the_admin_apis_field_names(client: TestClient, api_key: str) -> None:
    pushed = client.put(
        "/api/v1/admin/stories", json={"url": 12}, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert assert_error(pushed, 422, "invalid")["message"] == "url: must be text"

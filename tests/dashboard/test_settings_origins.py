"""The Settings form refuses another site's origin and private addresses, with the reason beside the field."""

from __future__ import annotations

from tests.conftest import ORIGIN
from tests.dashboard.conftest import Dashboard
from tests.dashboard.test_pages import post
from townhall.types import Role


def test_an_editor_is_told_in_the_settings_form(dashboard: Dashboard) -> None:
    dashboard.services.sites.add("gazette", "The Gazette", ["https://gazette.example"])
    form = {
        "site": "ledger",
        "moderation_mode": "post",
        "auto_close_days": "0",
        "edit_window_minutes": "15",
        "trusted_after_approved": "5",
        "banned_words": "",
        "suspect_words": "",
        "links_allowlist": "",
    }
    for origins, words in (("http://169.254.169.254", "private"), ("https://gazette.example", "gazette")):
        response = post(dashboard, Role.EDITOR, "/admin/settings", **form, origins=origins)
        assert response.status_code == 422 and 'id="error-origins"' in response.text
        assert words in response.text
    assert dashboard.services.sites.get("ledger").origins == (ORIGIN,)

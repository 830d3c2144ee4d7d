"""One-time codes for a dashboard account: enrolled on the Account page, then asked for at sign-in."""

from __future__ import annotations

import re

import pyotp

from tests.dashboard.conftest import PASSWORD, Dashboard
from townhall.types import Role


def _sign_in(dashboard: Dashboard, code: str = "") -> int:
    dashboard.client.cookies.clear()  # a fresh browser
    form = dashboard.client.get("/admin/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text)
    assert token is not None
    data = {"name": "moderator", "password": PASSWORD, "code": code, "login_token": token.group(1)}
    return dashboard.client.post("/admin/login", data=data, follow_redirects=False).status_code


def test_a_moderator_turns_on_one_time_codes_and_sign_in_then_asks_for_one(dashboard: Dashboard) -> None:
    cookie = dashboard.cookie(Role.MODERATOR)
    account = dashboard.client.get("/admin/account", headers=cookie)
    shown = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', account.text)
    assert shown is not None
    secret = shown.group(1)
    form = {"csrf": dashboard.csrf(Role.MODERATOR), "secret": secret}
    wrong = dashboard.client.post("/admin/account/totp", data={**form, "code": "000000"}, headers=cookie)
    assert wrong.status_code == 422 and "does not match" in wrong.text
    assert secret in wrong.text  # the same key is offered again after a mistyped code
    right = dashboard.client.post(
        "/admin/account/totp",
        data={**form, "code": pyotp.TOTP(secret).now()},
        headers=cookie,
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert dashboard.services.accounts.get("moderator").totp

    assert _sign_in(dashboard) == 401
    assert _sign_in(dashboard, "123456") == 401
    assert _sign_in(dashboard, pyotp.TOTP(secret).now()) == 303

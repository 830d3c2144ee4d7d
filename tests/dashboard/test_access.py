"""Every dashboard route refuses anonymous and wrong-role requests, and every form needs its CSRF token."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Mount, Route

from tests.dashboard.conftest import PASSWORD, SECRET_TEXT, Dashboard
from townhall.dashboard import build_dashboard
from townhall.services.identity import guest
from townhall.types import CommentStatus, Role

PUBLIC = {"/login"}  # the sign-in form and its POST; everything else needs a session


def routes(dashboard: Dashboard) -> list[tuple[str, str, Any]]:
    """(method, concrete path, endpoint) for every route of the dashboard app."""
    values = {
        "comment_id": dashboard.comment.id,
        "story_id": dashboard.comment.story_id,
        "author_id": dashboard.comment.author.id,
        "queue": "held",
        "name": "moderator",
        "action": "disable",
        "webhook_id": 1,
    }
    found = []
    for route in build_dashboard(dashboard.services).routes:
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}"
            continue
        assert isinstance(route, Route)
        path = "/admin" + re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(values[m.group(1)]), route.path)
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            found.append((method, path, route.endpoint))
    return found


def send(
    dashboard: Dashboard,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
) -> Any:
    if method == "GET":
        return dashboard.client.get(path, headers=headers, follow_redirects=False)
    if "/api/" in path:
        token = (data or {}).get("csrf")
        api_headers = {**(headers or {}), **({"X-CSRF-Token": token} if token else {})}
        return dashboard.client.post(path, json={"reason": "x"}, headers=api_headers, follow_redirects=False)
    return dashboard.client.post(path, data=data or {}, headers=headers, follow_redirects=False)


def test_every_route_is_guarded_or_deliberately_public(dashboard: Dashboard) -> None:
    for method, path, endpoint in routes(dashboard):
        if path.removeprefix("/admin") in PUBLIC:
            continue
        assert getattr(endpoint, "roles", None), f"{method} {path} has no role check"
    assert len(routes(dashboard)) > 30


def test_anonymous_requests_get_a_sign_in_redirect_or_401_and_no_data(dashboard: Dashboard) -> None:
    reader = {
        "X-Townhall-Reader": "reader-token-0123456789",
        "Authorization": "Bearer th_not-a-dashboard-key",
    }
    for headers in ({}, reader, {"Cookie": "townhall_admin=forged-session-token"}):
        for method, path, _endpoint in routes(dashboard):
            if path.removeprefix("/admin") in PUBLIC:
                continue
            response = send(dashboard, method, path, headers)
            assert SECRET_TEXT not in response.text, f"{method} {path} leaked data"
            if method == "GET" and "/api/" not in path:
                assert response.status_code == 303, f"{method} {path}: {response.status_code}"
                assert response.headers["location"].startswith("/admin/login?next=")
            else:
                assert response.status_code == 401, f"{method} {path}: {response.status_code}"
    assert dashboard.services.comments.get(dashboard.comment.id).status is CommentStatus.HELD


def test_wrong_roles_are_refused_with_403_and_change_nothing(dashboard: Dashboard) -> None:
    refused = 0
    for method, path, endpoint in routes(dashboard):
        if path.removeprefix("/admin") in PUBLIC:
            continue
        for role in Role:
            if role in endpoint.roles:
                continue
            data = {"csrf": dashboard.csrf(role), "reason": "x", "length": "forever", "notes": "x"}
            response = send(dashboard, method, path, dashboard.cookie(role), data)
            assert response.status_code == 403, f"{role} {method} {path}: {response.status_code}"
            assert SECRET_TEXT not in response.text, f"{role} {method} {path} leaked data"
            refused += 1
    assert refused > 20
    assert dashboard.services.comments.get(dashboard.comment.id).status is CommentStatus.HELD
    assert not dashboard.services.accounts.get("moderator").disabled
    assert dashboard.services.queue.author(dashboard.comment.author.id).author["notes"] == ""


def test_the_right_roles_can_open_their_pages(dashboard: Dashboard) -> None:
    for method, path, endpoint in routes(dashboard):
        if method != "GET" or path.removeprefix("/admin") in PUBLIC:
            continue
        for role in endpoint.roles:
            response = send(dashboard, method, path, dashboard.cookie(role))
            assert response.status_code in (200, 303), f"{role} {method} {path}: {response.status_code}"
    moderator = dashboard.client.get("/admin/queue/held", headers=dashboard.cookie(Role.MODERATOR))
    assert SECRET_TEXT in moderator.text


def test_a_post_without_the_csrf_token_is_refused(dashboard: Dashboard) -> None:
    path = f"/admin/comments/{dashboard.comment.id}/approve"
    cookie = dashboard.cookie(Role.ADMIN)
    missing = dashboard.client.post(path, data={}, headers=cookie, follow_redirects=False)
    assert missing.status_code == 403
    assert "did not come from the dashboard" in missing.text
    wrong = dashboard.client.post(path, data={"csrf": "guessed"}, headers=cookie, follow_redirects=False)
    assert wrong.status_code == 403
    other_users = dashboard.client.post(
        path, data={"csrf": dashboard.csrf(Role.MODERATOR)}, headers=cookie, follow_redirects=False
    )
    assert other_users.status_code == 403
    api = dashboard.client.post(
        f"/admin/api/comments/{dashboard.comment.id}/approve", json={}, headers=cookie
    )
    assert api.status_code == 403 and api.json()["error"]["code"] == "csrf"
    assert dashboard.services.comments.get(dashboard.comment.id).status is CommentStatus.HELD
    ok = dashboard.client.post(
        path,
        data={"csrf": dashboard.csrf(Role.ADMIN), "next": "/admin/queue/held"},
        headers=cookie,
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/queue/held?done=approved"
    assert dashboard.services.comments.get(dashboard.comment.id).status is CommentStatus.PUBLISHED


def test_redirects_after_a_form_stay_inside_the_dashboard(dashboard: Dashboard) -> None:
    path = f"/admin/comments/{dashboard.comment.id}/reject"
    data = {"csrf": dashboard.csrf(Role.ADMIN), "next": "https://evil.example/"}
    response = dashboard.client.post(
        path, data=data, headers=dashboard.cookie(Role.ADMIN), follow_redirects=False
    )
    assert response.headers["location"].startswith("/admin/queue/held")


def _login_form(dashboard: Dashboard) -> str:
    page = dashboard.client.get("/admin/login")
    match = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_sign_in_sets_a_strict_http_only_cookie_scoped_to_the_dashboard(dashboard: Dashboard) -> None:
    token = _login_form(dashboard)
    response = dashboard.client.post(
        "/admin/login",
        data={"name": "editor", "password": PASSWORD, "login_token": token, "next": "/admin/stories"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/stories"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("townhall_admin="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http here; over https the cookie is Secure (next test)
    stories = dashboard.client.get("/admin/stories", follow_redirects=False)
    assert stories.status_code == 200


def test_the_session_cookie_is_secure_over_https(dashboard: Dashboard) -> None:
    client = dashboard.client
    client.base_url = client.base_url.copy_with(scheme="https")
    token = _login_form(dashboard)
    response = client.post(
        "/admin/login",
        data={"name": "admin", "password": PASSWORD, "login_token": token},
        follow_redirects=False,
    )
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("townhall_admin="))
    assert "Secure" in cookie


def test_sign_in_needs_its_form_token_and_slows_down_after_failures(dashboard: Dashboard) -> None:
    no_token = dashboard.client.post("/admin/login", data={"name": "admin", "password": PASSWORD})
    assert no_token.status_code == 403
    for _ in range(5):
        failed = dashboard.client.post(
            "/admin/login",
            data={"name": "admin", "password": "wrong-password", "login_token": _login_form(dashboard)},
        )
        assert failed.status_code == 401 and "do not match" in failed.text
    delayed = dashboard.client.post(
        "/admin/login", data={"name": "admin", "password": PASSWORD, "login_token": _login_form(dashboard)}
    )
    assert delayed.status_code == 429 and "try again in" in delayed.text


def test_sign_out_and_sign_out_everywhere_end_sessions(dashboard: Dashboard) -> None:
    cookie = dashboard.cookie(Role.ADMIN)
    other = dashboard.services.accounts.start_session(dashboard.services.accounts.get("admin"))
    out = dashboard.client.post(
        "/admin/account/logout-everywhere",
        data={"csrf": dashboard.csrf(Role.ADMIN)},
        headers=cookie,
        follow_redirects=False,
    )
    assert out.status_code == 303
    assert dashboard.services.accounts.resolve(other.token) is None
    assert dashboard.services.accounts.resolve(dashboard.sessions[Role.ADMIN][0]) is None
    fresh = next(c for c in out.headers.get_list("set-cookie") if c.startswith("townhall_admin="))
    token = fresh.split(";")[0].split("=", 1)[1]
    session = dashboard.services.accounts.resolve(token)
    assert session is not None  # this browser stays signed in with a new session
    logout = dashboard.client.post(
        "/admin/logout",
        data={"csrf": session.csrf_token},
        headers={"Cookie": f"townhall_admin={token}"},
        follow_redirects=False,
    )
    assert logout.status_code == 303
    assert dashboard.services.accounts.resolve(token) is None


def test_pages_load_nothing_from_other_hosts_and_escape_comments(dashboard: Dashboard) -> None:
    page = dashboard.client.get("/admin/queue/held", headers=dashboard.cookie(Role.ADMIN))
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", page.text):
        assert "http" not in tag, tag
    assert page.headers["cache-control"] == "no-store"
    hostile = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
    story = dashboard.services.stories.get(dashboard.comment.story_id)
    site = dashboard.services.sites.get("ledger")
    posted = dashboard.services.comments.post(
        site, story.url, hostile, guest("Eve", None, "reader-eve", "s")
    ).comment
    detail = dashboard.client.get(f"/admin/comments/{posted.id}", headers=dashboard.cookie(Role.ADMIN))
    assert "<script>alert(1)" not in detail.text and "<img src=x" not in detail.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail.text

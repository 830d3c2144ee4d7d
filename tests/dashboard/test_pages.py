"""What the dashboard's pages and JSON endpoints do for the roles allowed to use them."""

from __future__ import annotations

import re
from typing import Any

from tests.dashboard.conftest import SECRET_TEXT, URL, Dashboard
from townhall.services.identity import guest
from townhall.types import CommentStatus, Role


def post(dashboard: Dashboard, who: Role, path: str, **data: Any) -> Any:
    return dashboard.client.post(
        path,
        data={"csrf": dashboard.csrf(who), **data},
        headers=dashboard.cookie(who),
        follow_redirects=False,
    )


def api(dashboard: Dashboard, role: Role, path: str, body: dict[str, Any] | None = None) -> Any:
    headers = {**dashboard.cookie(role), "X-CSRF-Token": dashboard.csrf(role)}
    if body is None:
        return dashboard.client.get(path, headers=headers)
    return dashboard.client.post(path, json=body, headers=headers)


def another_held(dashboard: Dashboard, body: str, name: str = "Ben") -> int:
    site = dashboard.services.sites.get("ledger")
    return dashboard.services.comments.post(
        site, URL, body, guest(name, None, f"reader-{name.lower()}", "s")
    ).comment.id


def test_queue_page_shows_the_held_comment_with_its_off_topic_evidence(dashboard: Dashboard) -> None:
    page = dashboard.client.get("/admin/queue/held", headers=dashboard.cookie(Role.MODERATOR))
    assert page.status_code == 200
    assert SECRET_TEXT in page.text
    assert "Nearest passage in the article" in page.text and "Buses run at night." in page.text
    assert 'class="tag tag-signal tag-off_topic">Off-topic: very high' in page.text
    filtered = dashboard.client.get(
        "/admin/queue/held?signal=toxicity", headers=dashboard.cookie(Role.MODERATOR)
    )
    assert SECRET_TEXT not in filtered.text and "Nothing waiting here" in filtered.text


def test_json_endpoints_count_show_act_and_refill(dashboard: Dashboard) -> None:
    second = another_held(dashboard, "Second held comment")
    counts = api(dashboard, Role.MODERATOR, "/admin/api/counts").json()
    assert counts == {"held": 2, "pending": 0, "reported": 0, "newest": second}
    detail = api(dashboard, Role.MODERATOR, f"/admin/api/comments/{dashboard.comment.id}").json()
    assert detail["status"] == "held" and SECRET_TEXT in detail["html"]
    done = api(dashboard, Role.MODERATOR, f"/admin/api/comments/{dashboard.comment.id}/approve", {})
    assert done.status_code == 200
    assert done.json()["comment"] == {"id": dashboard.comment.id, "status": "published", "featured": False}
    again = api(dashboard, Role.MODERATOR, f"/admin/api/comments/{dashboard.comment.id}/approve", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_change"
    cards = api(dashboard, Role.MODERATOR, "/admin/api/queue/held").json()
    assert [item["id"] for item in cards["items"]] == [second]
    rejected = api(
        dashboard, Role.MODERATOR, "/admin/api/bulk", {"ids": [second], "action": "reject", "reason": ""}
    )
    assert rejected.json() == {"ok": True, "changed": 1}
    assert api(dashboard, Role.MODERATOR, "/admin/api/counts").json()["held"] == 0


def test_reject_form_gives_the_reader_a_reason_and_returns_to_the_queue(dashboard: Dashboard) -> None:
    response = post(
        dashboard,
        Role.MODERATOR,
        f"/admin/comments/{dashboard.comment.id}/reject",
        reason="Personal attacks are not allowed.",
        next="/admin/queue/held?order=severe",
    )
    assert response.headers["location"] == "/admin/queue/held?order=severe&done=rejected"
    comment = dashboard.services.comments.get(dashboard.comment.id)
    assert comment.status is CommentStatus.REJECTED
    assert comment.verdict and comment.verdict["reader_message"] == "Personal attacks are not allowed."
    flash = dashboard.client.get(response.headers["location"], headers=dashboard.cookie(Role.MODERATOR))
    assert "Comment rejected." in flash.text


def test_bulk_form_and_ban_form(dashboard: Dashboard) -> None:
    second = another_held(dashboard, "Another one", name="Ana")  # same reader as the first comment
    response = post(
        dashboard,
        Role.MODERATOR,
        f"/admin/authors/{dashboard.comment.author.id}/ban",
        length="forever",
        reason="abuse",
        reject_pending="on",
        comment_id=str(second),
    )
    assert response.status_code == 303
    assert dashboard.services.comments.get(second).status is CommentStatus.REJECTED
    assert dashboard.services.queue.author(dashboard.comment.author.id).banned_forever
    author = dashboard.client.get(
        f"/admin/authors/{dashboard.comment.author.id}", headers=dashboard.cookie(Role.MODERATOR)
    )
    assert "Banned for good: abuse" in author.text
    third = another_held(dashboard, "Third", name="Cai")
    bulk = post(dashboard, Role.MODERATOR, "/admin/queue/bulk", ids=str(third), action="approve")
    assert bulk.headers["location"] == "/admin/queue/held?done=bulk"
    assert dashboard.services.comments.get(third).status is CommentStatus.PUBLISHED


def test_editor_closes_schedules_and_reopens_a_story_and_features_a_comment(dashboard: Dashboard) -> None:
    story_id = dashboard.comment.story_id
    closed = post(dashboard, Role.EDITOR, f"/admin/stories/{story_id}/close", reason="legal advice")
    assert closed.headers["location"] == f"/admin/stories/{story_id}?done=closed"
    assert dashboard.services.stories.get(story_id).closed
    page = dashboard.client.get(f"/admin/stories/{story_id}", headers=dashboard.cookie(Role.EDITOR))
    assert "Comments are <strong>closed</strong>" in page.text
    assert SECRET_TEXT in page.text and "is-held" in page.text  # held comments show in the thread view
    post(dashboard, Role.EDITOR, f"/admin/stories/{story_id}/reopen")
    post(dashboard, Role.EDITOR, f"/admin/stories/{story_id}/closes-at", closes_at="2030-01-02T03:04")
    story = dashboard.services.stories.get(story_id)
    assert (
        not story.closed
        and story.closes_at is not None
        and story.closes_at.isoformat().startswith("2030-01-02T03:04")
    )
    bad = post(dashboard, Role.EDITOR, f"/admin/stories/{story_id}/closes-at", closes_at="next tuesday")
    assert bad.status_code == 422 and "2026-12-01T18:00" in bad.text
    listing = dashboard.client.get("/admin/stories", headers=dashboard.cookie(Role.EDITOR))
    assert re.search(r'href="/admin/queue/held\?story=\d+">1</a>', listing.text)
    featured = post(
        dashboard,
        Role.EDITOR,
        f"/admin/comments/{dashboard.comment.id}/feature",
        next=f"/admin/stories/{story_id}",
    )
    assert featured.status_code == 303
    assert dashboard.services.comments.get(dashboard.comment.id).featured


def test_settings_show_each_problem_next_to_its_field_and_save_nothing(dashboard: Dashboard) -> None:
    form = {
        "site": "ledger",
        "origins": "not an origin",
        "moderation_mode": "pre",
        "auto_close_days": "soon",
        "edit_window_minutes": "15",
        "trusted_after_approved": "5",
        "hold_toxicity": "0.9",
        "reject_toxicity": "0.5",
        "banned_words": "",
        "suspect_words": "",
        "links_allowlist": "",
    }
    response = post(dashboard, Role.EDITOR, "/admin/settings", **form)
    assert response.status_code == 422
    for field in ("origins", "auto_close_days", "thresholds-toxicity"):
        assert f'id="error-{field}"' in response.text, field
    assert "Nothing was saved" in response.text
    assert dashboard.services.sites.get("ledger").settings.moderation_mode.value == "post"
    fixed = {
        **form,
        "origins": "https://news.example\nhttps://www.news.example",
        "auto_close_days": "7",
        "reject_toxicity": "0.95",
        "banned_words": "slur-one\nslur-two",
        "erasure_mode": "anonymise",
    }
    saved = post(dashboard, Role.EDITOR, "/admin/settings", **fixed)
    assert saved.status_code == 303
    site = dashboard.services.sites.get("ledger")
    assert site.origins == ("https://news.example", "https://www.news.example")
    assert site.settings.moderation_mode.value == "pre" and site.settings.auto_close_days == 7
    assert site.settings.thresholds == {"toxicity": {"hold": 0.9, "reject": 0.95}}
    assert site.settings.banned_words == ("slur-one", "slur-two")
    assert site.settings.erasure_mode == "anonymise"


def test_sso_secret_is_shown_once_and_only_to_admins(dashboard: Dashboard) -> None:
    shown = post(dashboard, Role.ADMIN, "/admin/settings/sso-secret", site="ledger")
    secret = dashboard.services.sites.get("ledger").sso_secret
    assert secret and secret in shown.text
    later = dashboard.client.get("/admin/settings", headers=dashboard.cookie(Role.ADMIN))
    assert secret not in later.text
    assert post(dashboard, Role.EDITOR, "/admin/settings/sso-secret", site="ledger").status_code == 403


def test_stats_page_draws_its_charts_inline(dashboard: Dashboard) -> None:
    page = dashboard.client.get("/admin/stats", headers=dashboard.cookie(Role.EDITOR))
    assert page.status_code == 200
    assert page.text.count("<svg") == 2 and 'class="bar"' in page.text
    assert "Off-topic" in page.text and "not yet reviewed" in page.text


def test_admin_adds_and_disables_users(dashboard: Dashboard) -> None:
    bad = post(dashboard, Role.ADMIN, "/admin/users", name="x", role="moderator", password="long enough 1")
    assert bad.status_code == 422 and 'id="error-name"' in bad.text
    added = post(dashboard, Role.ADMIN, "/admin/users", name="nadia", role="editor", password="long enough 1")
    assert added.headers["location"] == "/admin/users?done=user_added"
    assert dashboard.services.accounts.get("nadia").role is Role.EDITOR
    post(dashboard, Role.ADMIN, "/admin/users/editor/disable")
    assert dashboard.services.accounts.get("editor").disabled
    refused = dashboard.client.get(
        "/admin/stories", headers=dashboard.cookie(Role.EDITOR), follow_redirects=False
    )
    assert refused.status_code == 303  # signed out: back to the sign-in page
    own = post(dashboard, Role.ADMIN, "/admin/users/admin/disable")
    assert own.status_code == 422 and not dashboard.services.accounts.get("admin").disabled


def test_users_change_their_own_password(dashboard: Dashboard) -> None:
    wrong = post(dashboard, Role.EDITOR, "/admin/account/password", current="nope", password="a new password")
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    changed = post(
        dashboard,
        Role.EDITOR,
        "/admin/account/password",
        current="moderate-well-123",
        password="a new password",
    )
    assert changed.status_code == 303
    assert dashboard.services.accounts.authenticate("editor", "a new password").name == "editor"


def test_stats_show_each_sites_hold_rate_overturns_and_calibration(dashboard: Dashboard) -> None:
    dashboard.services.queue.approve(dashboard.comment.id, "moderator")  # held by off-topic, then approved
    page = dashboard.client.get("/admin/stats", headers=dashboard.cookie(Role.MODERATOR))
    by_site = page.text.split('id="by-site"', 1)[1].split("</table>", 1)[0]
    assert "The Ledger" in by_site and "1 (100.0%)" in by_site
    assert "Off-topic: 1 of 1 (100%)" in by_site
    assert "Not calibrated yet" in page.text and "Reset to defaults" not in page.text  # admins only
    refused = post(dashboard, Role.MODERATOR, "/admin/stats/calibrate/reset", site="ledger")
    assert refused.status_code == 403
    few = post(dashboard, Role.ADMIN, "/admin/stats/calibrate", site="ledger")
    assert few.status_code == 303 and dashboard.services.calibration.history("ledger") == []
    reset = post(dashboard, Role.ADMIN, "/admin/stats/calibrate/reset", site="ledger")
    assert reset.status_code == 303
    shown = dashboard.client.get(reset.headers["location"], headers=dashboard.cookie(Role.ADMIN))
    assert "back to the default thresholds" in shown.text and "reset to defaults" in shown.text
    assert dashboard.services.calibration.history("ledger")[0]["actor"] == "admin"

"""The readers' data page: admins find a reader, download their data and erase them; others get 403."""

from __future__ import annotations

from tests.dashboard.conftest import SECRET_TEXT, Dashboard
from townhall.types import CommentStatus, Role


def test_admin_finds_downloads_and_erases_a_reader(dashboard: Dashboard) -> None:
    client, comment = dashboard.client, dashboard.comment
    admin = dashboard.cookie(Role.ADMIN)
    found = client.get(f"/admin/readers?site=ledger&comment_id={comment.id}", headers=admin)
    assert found.status_code == 200 and "Ana" in found.text and f"reader {comment.author.id}" in found.text

    data = client.get(f"/admin/readers/{comment.author.id}/data?site=ledger", headers=admin)
    assert data.status_code == 200 and "attachment" in data.headers["content-disposition"]
    assert data.json()["comments"][0]["body"] == SECRET_TEXT

    form = {"csrf": dashboard.csrf(Role.ADMIN), "site": "ledger", "reason": "by letter"}
    unconfirmed = client.post(f"/admin/readers/{comment.author.id}/erase", data=form, headers=admin)
    assert unconfirmed.status_code == 422 and "cannot be undone" in unconfirmed.text
    assert dashboard.services.comments.get(comment.id).body == SECRET_TEXT

    erased = client.post(
        f"/admin/readers/{comment.author.id}/erase",
        data={**form, "confirm": "yes"},
        headers=admin,
        follow_redirects=False,
    )
    assert erased.status_code == 303
    page = client.get(erased.headers["location"], headers=admin)
    assert "Reader erased." in page.text and "by letter" in page.text and ">admin<" in page.text
    assert dashboard.services.comments.get(comment.id).status is CommentStatus.DELETED


def test_only_admins_see_readers_data(dashboard: Dashboard) -> None:
    for role in (Role.MODERATOR, Role.EDITOR):
        headers = dashboard.cookie(role)
        assert dashboard.client.get("/admin/readers", headers=headers).status_code == 403
        path = f"/admin/readers/{dashboard.comment.author.id}/data?site=ledger"
        assert dashboard.client.get(path, headers=headers).status_code == 403
        assert "Readers' data" not in dashboard.client.get("/admin/stories", headers=headers).text


def test_a_bad_query_is_a_readable_422(dashboard: Dashboard) -> None:
    page = dashboard.client.get(
        "/admin/readers?site=ledger&comment_id=abc", headers=dashboard.cookie(Role.ADMIN)
    )
    assert page.status_code == 422 and "A comment id is a number." in page.text
    both = dashboard.client.get(
        "/admin/readers?site=ledger&comment_id=1&email=a@b.example", headers=dashboard.cookie(Role.ADMIN)
    )
    assert both.status_code == 422 and "exactly one" in both.text

"""Accounts limited to sites: every dashboard route, given another site's comment, story or
author, refuses or shows nothing of it, and changes nothing; the CLI and the users page set limits."""

from __future__ import annotations

from click.testing import CliRunner

from tests.conftest import ORIGIN
from tests.dashboard.conftest import PASSWORD, SECRET_TEXT, Dashboard
from tests.dashboard.test_access import routes, send
from townhall.cli import main
from townhall.services.identity import guest
from townhall.types import CommentStatus, Role

OTHER_TEXT = "A comment on the other site only"
SKIP = {"/login", "/logout", "/account/password", "/account/logout-everywhere"}


def limited(dashboard: Dashboard, role: Role, sites: tuple[str, ...] = ("other",)) -> dict[str, str]:
    """A signed-in account of ``role`` limited to ``sites``; returns its cookie and CSRF token."""
    services = dashboard.services
    name = f"{role.value}-{'-'.join(sites)}"
    services.accounts.add(name, role, PASSWORD, sites)
    session = services.accounts.start_session(services.accounts.get(name))
    return {"Cookie": f"townhall_admin={session.token}", "csrf": session.csrf_token}


def other_site(dashboard: Dashboard) -> int:
    services = dashboard.services
    site = services.sites.add("other", "The Other", ["https://other.example"])
    identity = guest("Olu", None, "reader-olu-0123456789", "s")
    return services.comments.post(site, "https://other.example/a", OTHER_TEXT, identity).comment.id


def test_every_route_keeps_another_sites_things_out_of_reach(dashboard: Dashboard) -> None:
    mine = other_site(dashboard)
    account = limited(dashboard, Role.ADMIN)
    cookie = {"Cookie": account["Cookie"]}
    checked = 0
    for method, path, _endpoint in routes(dashboard):
        if path.removeprefix("/admin") in SKIP:
            continue
        data = {"csrf": account["csrf"], "reason": "x", "length": "forever", "notes": "x", "site": "ledger"}
        response = send(dashboard, method, path, cookie, data)
        assert SECRET_TEXT not in response.text, f"{method} {path} showed the ledger's comment"
        named = any(f"/{n}" in path for n in (dashboard.comment.id, dashboard.comment.story_id))
        # Forms name the ledger in their `site` field; JSON posts here name nothing and are incomplete.
        names_ledger = named or (method == "POST" and "/api/" not in path)
        expected = (403, 404) if names_ledger or path.startswith("/admin/users") else (200, 303, 422)
        assert response.status_code in expected, f"{method} {path}: {response.status_code}"
        checked += 1
    assert checked > 25
    services = dashboard.services
    ledger_comment = services.comments.get(dashboard.comment.id)
    assert ledger_comment.status is CommentStatus.HELD and not ledger_comment.featured
    assert not services.queue.author(dashboard.comment.author.id).banned
    assert not services.stories.get(dashboard.comment.story_id).closed
    # Its own site's comment it does see and can decide.
    queue = dashboard.client.get("/admin/queue/held", headers=cookie)
    assert queue.status_code == 200 and OTHER_TEXT in queue.text and "The Ledger" not in queue.text
    counts = dashboard.client.get("/admin/api/counts", headers=cookie).json()
    assert counts["held"] == 1  # its own; the ledger's held comment is not counted
    approved = dashboard.client.post(
        f"/admin/comments/{mine}/reject",
        data={"csrf": account["csrf"]},
        headers=cookie,
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert services.comments.get(mine).status is CommentStatus.REJECTED


def test_bulk_and_queue_filters_cannot_reach_another_site(dashboard: Dashboard) -> None:
    other_site(dashboard)
    account = limited(dashboard, Role.MODERATOR)
    cookie = {"Cookie": account["Cookie"], "X-CSRF-Token": account["csrf"]}
    bulk = dashboard.client.post(
        "/admin/api/bulk", json={"ids": [dashboard.comment.id], "action": "approve"}, headers=cookie
    )
    assert bulk.status_code == 404
    assert dashboard.client.get("/admin/queue/held?site=ledger", headers=cookie).status_code == 404
    selected = dashboard.client.get(f"/admin/queue/held?selected={dashboard.comment.id}", headers=cookie)
    assert selected.status_code == 404 and SECRET_TEXT not in selected.text
    stories = dashboard.client.get("/admin/stories", headers=cookie)
    assert "night-bus" not in stories.text
    assert dashboard.services.comments.get(dashboard.comment.id).status is CommentStatus.HELD


def test_a_limited_admin_cannot_manage_users_and_an_unlimited_one_sets_limits(dashboard: Dashboard) -> None:
    other_site(dashboard)
    account = limited(dashboard, Role.ADMIN)
    refused = dashboard.client.get("/admin/users", headers={"Cookie": account["Cookie"]})
    assert refused.status_code == 403
    admin = dashboard.cookie(Role.ADMIN)
    added = dashboard.client.post(
        "/admin/users",
        data={"csrf": dashboard.csrf(Role.ADMIN), "name": "night-desk", "role": "moderator",
              "password": PASSWORD, "sites": "other"},
        headers=admin,
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303
    assert dashboard.services.accounts.get("night-desk").sites == ("other",)
    unknown = dashboard.client.post(
        "/admin/users/night-desk/sites",
        data={"csrf": dashboard.csrf(Role.ADMIN), "sites": "nowhere"},
        headers=admin,
    )
    assert unknown.status_code == 422 and "No site &#39;nowhere&#39;." in unknown.text
    cleared = dashboard.client.post(
        "/admin/users/night-desk/sites",
        data={"csrf": dashboard.csrf(Role.ADMIN), "sites": ""},
        headers=admin,
        follow_redirects=False,
    )
    assert cleared.status_code == 303 and dashboard.services.accounts.get("night-desk").sites == ()


def test_cli_adds_and_changes_a_users_sites(sqlite_storage: object, tmp_path: object) -> None:
    database = sqlite_storage.url  # type: ignore[attr-defined]
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(main, ["--database-url", database, *args], input=stdin)
        assert result.exit_code == 0, result.output
        return result.output

    run("site", "add", "ledger", "--name", "The Ledger", "--origin", ORIGIN)
    run("site", "add", "other", "--name", "The Other", "--origin", "https://other.example")
    assert "for ledger" in run("user", "add", "desk", "--role", "moderator", "--site", "ledger",
                               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert "desk: ledger, other" in run("user", "sites", "desk", "--site", "other", "--site", "ledger")
    assert "desk\tmoderator\tactive\tledger,other" in run("user", "list")
    assert "desk: every site" in run("user", "sites", "desk", "--all")
    bad = runner.invoke(main, ["--database-url", database, "user", "sites", "desk", "--site", "nowhere"])
    assert bad.exit_code == 1 and "no site 'nowhere'" in bad.output

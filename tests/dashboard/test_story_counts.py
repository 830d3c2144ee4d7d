"""The dashboard says what each count counts: published (what readers and the widget see), held, rejected."""

from __future__ import annotations

from tests.dashboard.conftest import URL, Dashboard
from townhall.services.identity import guest
from townhall.types import Role


def test_stories_show_published_held_and_rejected_apart(dashboard: Dashboard) -> None:
    services = dashboard.services
    site = services.sites.get("ledger")
    posted = [
        services.comments.post(site, URL, f"Comment number {n}.", guest("Bo", None, f"r-{n}", "s")).comment
        for n in range(2)
    ]
    services.queue.approve(posted[0].id, "moderator")
    services.queue.reject(posted[1].id, "moderator")  # the fixture's own comment stays held
    story_id = dashboard.comment.story_id

    page = dashboard.client.get(f"/admin/stories/{story_id}", headers=dashboard.cookie(Role.EDITOR))
    assert "1 published · 1 held · 1 rejected" in page.text
    assert "the widget counts" in page.text
    listing = dashboard.client.get("/admin/stories", headers=dashboard.cookie(Role.EDITOR))
    row = listing.text[listing.text.index(f'href="/admin/stories/{story_id}"') :]
    cells = [cell.split("</td>")[0] for cell in row.split('<td class="num">')[1:4]]
    assert cells[0] == "1" and ">1</a>" in cells[1] and cells[2] == "1"
    # The widget's count (the API's) is the published one.
    thread = dashboard.client.get("/api/v1/threads", params={"site": "ledger", "url": URL}).json()
    assert thread["story"]["comment_count"] == 1

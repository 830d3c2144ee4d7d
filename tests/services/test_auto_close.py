"""Auto-close follows the publication date whenever it is set or changed, and a sweep closes
existing stories too (both backends; the last test on a real server process)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests import servers
from tests.conftest import ORIGIN, FakeClock
from townhall.config import load
from townhall.errors import Closed
from townhall.services import Services, build_services
from townhall.services.identity import guest
from townhall.storage import Storage
from townhall.types import ActorKind

URL = f"{ORIGIN}/politics/bridge-vote"


def _post(services: Services, site, url: str = URL):
    return services.comments.post(site, url, "A fair point.", guest("Ana", None, "reader-ana-000000001", "s"))


def test_a_pushed_publication_date_moves_the_closing_time(services: Services, clock: FakeClock) -> None:
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    site = services.sites.update_settings(site.id, {"auto_close_days": 3})
    story = services.stories.resolve(site, URL)  # first seen now: no publication date yet
    assert story.closes_at == clock.now + timedelta(days=3)
    published = clock.now + timedelta(days=1)
    pushed = services.stories.push(site, URL, {"published_at": published}, "cms")
    assert pushed.closes_at == published + timedelta(days=3)
    # Pushed again with a correction, the closing time follows again.
    earlier = clock.now - timedelta(days=2)
    assert services.stories.push(
        site, URL, {"published_at": earlier}, "cms"
    ).closes_at == earlier + timedelta(days=3)
    # Once an editor schedules the story, a pushed date leaves the editor's time alone.
    chosen = clock.now + timedelta(days=30)
    services.stories.schedule_close(story.id, chosen, ActorKind.PUBLISHER, "editor")
    assert services.stories.push(site, URL, {"published_at": published}, "cms").closes_at == chosen


def test_the_sweep_closes_stories_that_existed_before_auto_close(
    services: Services, clock: FakeClock
) -> None:
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    old = services.stories.push(site, URL, {"published_at": clock.now - timedelta(days=10)}, "cms")
    recent = _post(services, site, f"{ORIGIN}/recent").comment
    assert old.closes_at is None
    assert services.stories.sweep_auto_close() == (0, 0)  # the site does not auto-close yet

    site = services.sites.update_settings(site.id, {"auto_close_days": 7})
    assert services.stories.sweep_auto_close() == (2, 1)  # both scheduled; the old one is past it
    closed = services.stories.get(old.id)
    assert closed.closed and closed.closes_at == old.published_at + timedelta(days=7)
    with services.storage.read() as tx:
        last = tx.stories.events(old.id)[-1]
    assert (last["action"], last["actor"]) == ("closed", "schedule")
    with pytest.raises(Closed):
        _post(services, site)
    assert not services.stories.get(recent.story_id).closed

    clock.advance(days=8)
    assert services.stories.sweep_auto_close() == (0, 1)
    assert services.stories.get(recent.story_id).closed
    assert services.stories.sweep_auto_close() == (0, 0)  # nothing left to do


def test_a_reopened_story_stays_open_and_a_shorter_setting_reschedules(
    services: Services, clock: FakeClock
) -> None:
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    site = services.sites.update_settings(site.id, {"auto_close_days": 7})
    reopened = _post(services, site).comment.story_id
    other = _post(services, site, f"{ORIGIN}/other").comment.story_id
    clock.advance(days=8)
    services.stories.sweep_auto_close()
    services.stories.reopen(reopened, ActorKind.PUBLISHER, "editor", "readers asked")
    clock.advance(days=1)
    services.stories.sweep_auto_close()
    assert not services.stories.get(reopened).is_closed(clock.now)
    assert services.stories.get(other).closed

    third = _post(services, site, f"{ORIGIN}/third").comment.story_id
    services.sites.update_settings(site.id, {"auto_close_days": 1})
    assert services.stories.sweep_auto_close() == (1, 0)
    assert services.stories.get(third).closes_at == clock.now + timedelta(days=1)


def test_a_running_server_closes_an_old_story_by_itself(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'townhall.sqlite3'}"
    storage = Storage(database)
    storage.migrate()
    config = load(overrides={"database_url": database, "fetch_articles": False, "moderation_enabled": False})
    services = build_services(config, storage, "setup")
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    story = services.stories.push(
        site, URL, {"published_at": services.stories.clock() - timedelta(days=9)}, "cms"
    )
    services.sites.update_settings(site.id, {"auto_close_days": 5})  # after the story: no closing time yet
    assert services.stories.get(story.id).closes_at is None
    port = servers.free_port()
    env = {
        "TOWNHALL_DATABASE_URL": database,
        "TOWNHALL_SECRET_KEY": "auto-close",
        "TOWNHALL_FETCH_ARTICLES": "false",
        "TOWNHALL_MODERATION_ENABLED": "false",
    }
    with servers.townhall(["serve", "--port", str(port)], port, env) as url:
        deadline = services.stories.clock() + timedelta(seconds=30)
        while not services.stories.get(story.id).closed:
            assert services.stories.clock() < deadline, "the server's sweep did not close the story"
            time.sleep(0.2)
        thread = httpx.get(f"{url}/api/v1/threads", params={"site": "ledger", "url": URL}).json()
        assert thread["story"]["closed"] is True
        body = {"site": "ledger", "url": URL, "body": "Too late?", "author_name": "Ana"}
        assert httpx.post(f"{url}/api/v1/comments", json=body).status_code == 409
    storage.close()

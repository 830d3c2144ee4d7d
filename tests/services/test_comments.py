from __future__ import annotations

import pytest

from tests.conftest import ORIGIN, FakeClock
from townhall.errors import Closed, Conflict, Forbidden, Invalid, Unauthorized
from townhall.services import Services
from townhall.services.identity import guest
from townhall.types import ActorKind, CommentStatus, SortOrder

URL = f"{ORIGIN}/politics/bridge-vote"


@pytest.fixture
def site(services: Services):
    return services.sites.add("ledger", "The Ledger", [ORIGIN])


def _post(services: Services, site, body: str = "A fair point about the bridge.", name: str = "Ana", **kw):
    return services.comments.post(site, URL, body, guest(name, None, f"reader-{name}", "s"), **kw)


def test_post_creates_story_and_published_comment_with_audit_event(services: Services, site) -> None:
    posted = _post(services, site, "Hello **world** <script>alert(1)</script>")
    assert posted.comment.status is CommentStatus.PUBLISHED
    assert "<strong>world</strong>" in posted.comment.html
    assert "<script" not in posted.comment.html
    story = services.stories.get(posted.comment.story_id)
    assert story.url == URL and story.comment_count == 1
    with services.storage.read() as tx:
        events = tx.comments.events(posted.comment.id)
    assert [(e.from_status, e.to_status) for e in events] == [(None, CommentStatus.PUBLISHED)]


def test_links_are_marked_and_javascript_urls_dropped(services: Services, site) -> None:
    posted = _post(
        services, site, "[site](https://a.example) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    html = posted.comment.html
    assert 'rel="nofollow ugc noopener"' in html
    assert 'href="javascript' not in html and "<img" not in html
    assert "&lt;img" in html  # shown as text, not as a tag


def test_replies_nest_under_their_root_and_depth_is_limited(services: Services, site) -> None:
    top = _post(services, site).comment
    parent = top
    for _ in range(services.comments.limits.max_depth):
        parent = _post(services, site, "Replying.", parent_id=parent.id).comment
        assert parent.root_id == top.id
    with pytest.raises(Invalid, match="deeper"):
        _post(services, site, "Too deep.", parent_id=parent.id)
    page = services.comments.thread(services.stories.get(top.story_id))
    assert len(page.comments) == services.comments.limits.max_depth + 1


def test_closed_story_refuses_writes_but_stays_readable(services: Services, site) -> None:
    comment = _post(services, site).comment
    services.stories.close(comment.story_id, ActorKind.PUBLISHER, "editor")
    with pytest.raises(Closed, match="Comments are closed."):
        _post(services, site)
    with pytest.raises(Closed):
        services.feedback.vote(comment.id, "voter-1", 1)
    assert len(services.comments.thread(services.stories.get(comment.story_id)).comments) == 1
    services.stories.reopen(comment.story_id, ActorKind.PUBLISHER, "editor")
    assert _post(services, site).comment.status is CommentStatus.PUBLISHED


def test_auto_close_after_n_days(services: Services, site, clock: FakeClock) -> None:
    services.sites.update_settings(site.id, {"auto_close_days": 2})
    site = services.sites.get(site.id)
    _post(services, site)
    clock.advance(days=2, seconds=1)
    with pytest.raises(Closed):
        _post(services, site)


def test_edit_and_delete_need_the_token_and_the_window(services: Services, site, clock: FakeClock) -> None:
    posted = _post(services, site)
    with pytest.raises(Unauthorized):
        services.comments.edit(posted.comment.id, "wrong-token", "Changed")
    edited = services.comments.edit(posted.comment.id, posted.edit_token, "Changed *text*")
    assert "<em>text</em>" in edited.comment.html and edited.comment.edited_at is not None
    clock.advance(minutes=16)
    with pytest.raises(Forbidden, match="passed"):
        services.comments.edit(posted.comment.id, posted.edit_token, "Too late")
    fresh = _post(services, site)
    services.comments.delete(fresh.comment.id, fresh.edit_token)
    assert services.comments.get(fresh.comment.id).status is CommentStatus.DELETED
    assert services.stories.get(fresh.comment.story_id).comment_count == 1


def test_vote_once_per_reader_and_best_sort(services: Services, site) -> None:
    first = _post(services, site, "First").comment
    second = _post(services, site, "Second").comment
    services.feedback.vote(first.id, "r1", 1)
    services.feedback.vote(first.id, "r2", 1)
    with pytest.raises(Conflict):
        services.feedback.vote(first.id, "r1", 1)
    story = services.stories.get(first.story_id)
    best = services.comments.thread(story, SortOrder.BEST)
    assert [c.id for c in best.comments] == [first.id, second.id]
    newest = services.comments.thread(story, SortOrder.NEWEST)
    assert [c.id for c in newest.comments] == [second.id, first.id]


def test_cursor_pagination_walks_every_top_level_comment_once(services: Services, site) -> None:
    ids = [_post(services, site, f"Comment {i}").comment.id for i in range(7)]
    story = services.stories.get(services.comments.get(ids[0]).story_id)
    seen, cursor = [], None
    while True:
        page = services.comments.thread(story, SortOrder.OLDEST, cursor, limit=3)
        seen += [c.id for c in page.comments]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ids


def test_report_reasons_and_once_per_reader(services: Services, site) -> None:
    comment = _post(services, site).comment
    services.feedback.report(comment.id, "r1", "abuse", "rude")
    with pytest.raises(Conflict):
        services.feedback.report(comment.id, "r1", "spam")
    with pytest.raises(Invalid):
        services.feedback.report(comment.id, "r2", "boring")


def test_other_origin_is_refused(services: Services, site) -> None:
    with pytest.raises(Forbidden):
        services.comments.post(site, "https://evil.example/x", "Hi", guest("Ana", None, "r", "s"))


def test_empty_and_oversize_bodies_are_refused_and_nothing_is_written(services: Services, site) -> None:
    with pytest.raises(Invalid):
        _post(services, site, "   ")
    with pytest.raises(Invalid):
        _post(services, site, "x" * (services.comments.limits.max_chars + 1))
    assert services.stories.list(site.id) == [] or all(
        s.comment_count == 0 for s in services.stories.list(site.id)
    )

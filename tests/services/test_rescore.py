"""Re-assessing stored comments: fresh verdicts always, moves only with --apply and never over a moderator."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.conftest import ORIGIN, FakeClock
from townhall.cli import main
from townhall.config import load
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.services import Services, build_services
from townhall.services.identity import guest
from townhall.services.rescore import Rescorer
from townhall.storage import Storage
from townhall.types import ActorKind, CommentStatus, Decision


class HoldsEverything:
    def __init__(self) -> None:
        self.seen: list[ModerationRequest] = []

    def assess(self, request: ModerationRequest) -> Verdict:
        self.seen.append(request)
        return Verdict(Decision.HOLD, ("new model says hold",), "Awaiting review.", {}, "post")


def _two_comments(services: Services) -> tuple[int, int]:
    site = services.sites.add("ledger", "Ledger", [ORIGIN])
    url = f"{ORIGIN}/news/bridge"
    first = services.comments.post(site, url, "The bridge vote was close.", guest("Ana", None, "a", "s"))
    second = services.comments.post(site, url, "It was not that close.", guest("Ben", None, "b", "s"))
    return first.comment.id, second.comment.id


def test_rescore_stores_fresh_verdicts_and_moves_nothing_without_apply(
    services: Services, storage: Storage, clock: FakeClock
) -> None:
    first, second = _two_comments(services)
    moderator = HoldsEverything()
    rescorer = Rescorer(storage, moderator, clock)
    assert rescorer.targets() == [first, second]
    result = rescorer.rescore(first)
    assert result.before is result.after is CommentStatus.PUBLISHED
    assert services.comments.get(first).verdict["reasons"] == ["new model says hold"]  # type: ignore[index]
    assert moderator.seen[0].comment_id == str(first)  # reassessed as an edit of itself


def test_rescore_with_apply_moves_comments_but_not_those_a_moderator_decided(
    services: Services, storage: Storage, clock: FakeClock
) -> None:
    first, second = _two_comments(services)
    with storage.write() as tx:  # a moderator confirmed the second one
        tx.comments.add_event(
            second,
            CommentStatus.PUBLISHED,
            CommentStatus.PUBLISHED,
            ActorKind.MODERATOR,
            "mod",
            "fine",
            clock(),
        )
    rescorer = Rescorer(storage, HoldsEverything(), clock)
    assert rescorer.rescore(first, apply=True).after is CommentStatus.HELD
    assert rescorer.rescore(second, apply=True).after is CommentStatus.PUBLISHED
    story = services.stories.get(services.comments.get(first).story_id)
    assert story.comment_count == 1
    with storage.read() as tx:
        last = tx.comments.events(first)[-1]
    assert (last.actor_kind, last.actor, last.to_status) == (ActorKind.SIGNAL, "rescore", CommentStatus.HELD)


def test_rescore_command_runs_the_real_models_over_stored_comments(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'th.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(main, ["--database-url", url, "migrate"]).exit_code == 0
    added = runner.invoke(
        main, ["--database-url", url, "site", "add", "ledger", "--name", "L", "--origin", ORIGIN]
    )
    assert added.exit_code == 0, added.output
    storage = Storage(url)
    config = load(overrides={"database_url": url, "fetch_articles": False, "moderation_enabled": False})
    services = build_services(config, storage, "s")
    site = services.sites.get("ledger")
    services.comments.post(site, f"{ORIGIN}/a", "You are all idiots and liars.", guest("Pat", None, "p", "s"))
    result = runner.invoke(main, ["--database-url", url, "moderate", "rescore", "--apply"])
    assert result.exit_code == 0, result.output
    assert "rescored 1 comment(s); 1 changed status" in result.output
    assert services.comments.get(1).status is CommentStatus.HELD
    storage.close()

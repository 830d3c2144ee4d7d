"""`townhall moderate score | rescore`: the models in batch, with a progress bar on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

import click
from tqdm import tqdm

from townhall.cli import Context, pass_context
from townhall.types import CommentStatus, ModerationMode


@click.group()
def moderate() -> None:
    """Score comments with the local moderation models."""


def _word_file(path: Path | None) -> tuple[str, ...]:
    if path is None:
        return ()
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@moderate.command("score")
@click.option(
    "--input",
    "input_file",
    type=click.File("r", encoding="utf-8"),
    default="-",
    show_default=True,
    help="JSONL comments ('-' = stdin)",
)
@click.option(
    "--output",
    "output_file",
    type=click.File("w", encoding="utf-8"),
    default="-",
    show_default=True,
    help="JSONL verdicts ('-' = stdout)",
)
@click.option(
    "--mode",
    type=click.Choice(["post", "pre"]),
    default="post",
    show_default=True,
    help="post: publish unless a signal objects; pre: hold everything not rejected",
)
@click.option(
    "--banned", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Banned words, one a line"
)
@click.option(
    "--suspect",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Suspect words, one a line",
)
@click.option(
    "--site",
    "site_id",
    help="Decide with this stored site's settings (mode, thresholds, word lists, calibration) "
    "instead of the defaults and the options above",
)
@click.option("--quiet", is_flag=True, help="No progress bar")
@pass_context
def score(
    ctx: Context,
    input_file: IO[str],
    output_file: IO[str],
    mode: str,
    banned: Path | None,
    suspect: Path | None,
    site_id: str | None,
    quiet: bool,
) -> None:
    """Score JSONL comments: one verdict line per input line; bad lines are reported on stderr.

    The file is scored as the server scores one site: its distinct articles are the site's
    stories, each line's parent and thread are taken as given."""
    from townhall.models import SiteSettings  # noqa: PLC0415 - models load only for this command
    from townhall.moderation.batch import BatchScorer  # noqa: PLC0415
    from townhall.moderation.pipeline import Models, Pipeline  # noqa: PLC0415

    if site_id is not None:
        services = ctx.services()
        site = services.sites.get(site_id)
        context = services.contexts.site(site)
        scorer = BatchScorer(
            Pipeline(Models.load(threads=2)),
            site.settings,
            site.id,
            site.origins,
            calibration=dict(context.calibration) if context.calibration else None,
        )
    else:
        settings = SiteSettings(
            moderation_mode=ModerationMode(mode),
            banned_words=_word_file(banned),
            suspect_words=_word_file(suspect),
        )
        scorer = BatchScorer(Pipeline(Models.load(threads=2)), settings)
    bad = 0
    progress = tqdm(desc="scoring", unit=" comments", file=sys.stderr, disable=quiet)
    for number, output, error in scorer.run(input_file):
        if error is not None:
            bad += 1
            click.echo(f"line {number}: {error}", err=True)
        else:
            output_file.write(json.dumps(output, ensure_ascii=False) + "\n")
        progress.update(1)
    progress.close()
    if bad:
        click.echo(f"{bad} line(s) could not be scored", err=True)


@moderate.command("rescore")
@click.option("--site", "site_id", help="Only this site's comments")
@click.option("--story", "story_id", type=int, help="Only this story's comments")
@click.option(
    "--status", type=click.Choice([s.value for s in CommentStatus]), help="Only comments in this status"
)
@click.option(
    "--apply", is_flag=True, help="Also move comments no moderator has decided on (default: verdicts only)"
)
@pass_context
def rescore(ctx: Context, site_id: str | None, story_id: int | None, status: str | None, apply: bool) -> None:
    """Re-assess stored comments, e.g. after an import or a model update."""
    from townhall.moderation import build_moderator  # noqa: PLC0415
    from townhall.services.rescore import Rescorer  # noqa: PLC0415

    settings = ctx.settings()
    storage = ctx.storage(settings)
    rescorer = Rescorer(storage, build_moderator())
    targets = rescorer.targets(site_id, story_id, CommentStatus(status) if status else None)
    moved = 0
    for comment_id in tqdm(targets, desc="rescoring", unit=" comments", file=sys.stderr):
        result = rescorer.rescore(comment_id, apply=apply)
        moved += result.before is not result.after
    click.echo(f"rescored {len(targets)} comment(s); {moved} changed status")


@moderate.command("calibrate")
@click.option("--site", "site_id", required=True, help="The site whose moderators' decisions to learn from")
@click.option("--reset", is_flag=True, help="Return the site to the default thresholds (and no head)")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing")
@pass_context
def calibrate(ctx: Context, site_id: str, reset: bool, dry_run: bool) -> None:
    """Recalibrate a site's thresholds from its moderators' approvals and rejections."""
    from townhall.moderation.calibrate import MIN_DECISIONS  # noqa: PLC0415 - numpy, only for this command

    services = ctx.services()
    if reset:
        outcome = services.calibration.reset(site_id, "cli")
    else:
        outcome = services.calibration.run(site_id, "cli", dry_run=dry_run)
    result = outcome.result

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1%}"

    click.echo(f"{result.decisions} moderator decision(s) on {outcome.site_id}")
    if result.unread:
        click.echo(
            f"{result.unread} more left out: on comments in a language the models do not read, "
            "so they carry no score to learn from"
        )
    if not reset and not result.learned:
        click.echo(f"too few decisions to learn from ({MIN_DECISIONS} needed): nothing changed")
        return
    click.echo(f"agreement with the moderators: {share(result.before)} before, {share(result.after)} after")
    for name in sorted(set(outcome.before) | set(outcome.after)):
        old, new = outcome.before.get(name, {}).get("hold"), outcome.after.get(name, {}).get("hold")
        click.echo(f"  {name} hold: {old} -> {new}" if old != new else f"  {name} hold: {old} (unchanged)")
    if result.head:
        click.echo(f"  per-site head: {result.head['weights']} bias {result.head['bias']}")
    click.echo("dry run: nothing changed" if dry_run else "recorded")


COMMANDS = [moderate]

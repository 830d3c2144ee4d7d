"""Learning from a site's moderators: recalibrate its thresholds from their decisions, or reset.

`townhall moderate calibrate --site S`, the dashboard's Stats page and the server's schedule all
call this. Each run is one transaction that changes the site's thresholds (and its learned head)
and records what changed, from how many decisions, and the agreement before and after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from townhall.models import Site
from townhall.moderation.calibrate import (
    MODEL_SIGNALS,
    Calibration,
    Example,
    agreement,
    calibrate,
    example,
    unread,
)
from townhall.moderation.policy import thresholds_for
from townhall.services.clock import Clock, utcnow
from townhall.services.moderation_context import ModerationContexts
from townhall.services.sites import SiteService, apply_settings
from townhall.storage import Storage
from townhall.types import CommentStatus

log = logging.getLogger(__name__)

RESET = "reset"
CALIBRATE = "calibrate"


@dataclass(frozen=True, slots=True)
class Outcome:
    site_id: str
    result: Calibration
    before: dict[str, dict[str, float]]  # the model signals' thresholds before
    after: dict[str, dict[str, float]]
    recorded: bool


def _model_pairs(limits: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {name: dict(limits[name]) for name in MODEL_SIGNALS if name in limits}


class CalibrationService:
    def __init__(
        self, storage: Storage, sites: SiteService, contexts: ModerationContexts, clock: Clock = utcnow
    ):
        self.storage = storage
        self.sites = sites
        self.contexts = contexts
        self.clock = clock

    def examples(self, site: Site) -> list[Example]:
        """The site's moderator decisions, each with the scores its comment arrived with."""
        return self.gather(site)[0]

    def gather(self, site: Site) -> tuple[list[Example], int]:
        """The examples, and how many decisions were left out because a model could not read the
        comment's language (they carry no score to learn from)."""
        limits = thresholds_for(site.settings)
        with self.storage.read() as tx:
            rows = tx.calibrations.decided(site.id)
            outcomes = tx.stats.moderator_outcomes([row["id"] for row in rows])
        found, left_out = [], 0
        for row in rows:
            outcome = outcomes.get(row["id"])
            if outcome in (CommentStatus.PUBLISHED.value, CommentStatus.REJECTED.value):
                if unread(row["verdict"]):
                    left_out += 1
                    continue
                ex = example(row["verdict"], outcome == CommentStatus.REJECTED.value, limits)
                if ex is not None:
                    found.append(ex)
        return found, left_out

    def run(self, site_id: str, actor: str, dry_run: bool = False) -> Outcome:
        """Recalibrate from every decision so far; with ``dry_run``, only say what would change.
        Decisions on comments the models could not read are left out and counted (``unread``)."""
        site = self.sites.get(site_id)
        limits = thresholds_for(site.settings)
        examples, left_out = self.gather(site)
        result = replace(calibrate(examples, limits), unread=left_out)
        before, after = _model_pairs(limits), _model_pairs(result.thresholds)
        if dry_run or not result.learned:
            return Outcome(site.id, result, before, after, False)
        thresholds = {**site.settings.thresholds, **after}
        self._record(site, actor, CALIBRATE, result, before, thresholds, result.head)
        return Outcome(site.id, result, before, after, True)

    def reset(self, site_id: str, actor: str) -> Outcome:
        """Back to the default thresholds, no head; recorded like a calibration."""
        site = self.sites.get(site_id)
        before = _model_pairs(thresholds_for(site.settings))
        thresholds = {k: v for k, v in site.settings.thresholds.items() if k not in MODEL_SIGNALS}
        examples = self.examples(site)
        defaults = thresholds_for(apply_settings(site.settings, {"thresholds": thresholds}))
        result = Calibration(
            len(examples),
            agreement(examples, thresholds_for(site.settings), self.head(site.id)),
            agreement(examples, defaults),
            defaults,
        )
        self._record(site, actor, RESET, result, before, thresholds, None)
        return Outcome(site.id, result, before, _model_pairs(defaults), True)

    def history(self, site_id: str, limit: int = 20) -> list[dict[str, Any]]:
        with self.storage.read() as tx:
            return tx.calibrations.history(site_id, limit)

    def head(self, site_id: str) -> dict[str, Any] | None:
        """The site's learned head, if its last calibration fitted one."""
        latest = self.history(site_id, 1)
        return latest[0]["head"] if latest and latest[0]["kind"] == CALIBRATE else None

    def due(self, site_id: str, every: timedelta, now: datetime | None = None) -> bool:
        """Whether the schedule should recalibrate this site: never done, or not within ``every``."""
        latest = self.history(site_id, 1)
        return not latest or latest[0]["created_at"] <= (now or self.clock()) - every

    def run_due(self, every: timedelta) -> int:
        """The schedule's job: recalibrate each site not calibrated within ``every``; how many ran.
        With several processes, the record of the last run keeps the others from repeating it."""
        ran = 0
        for site in self.sites.list():
            try:
                if self.due(site.id, every):
                    ran += self.run(site.id, "schedule").recorded
            except Exception:  # one site's trouble must not stop the others' recalibration
                log.exception("scheduled calibration of %s failed", site.id)
        return ran

    def _record(
        self,
        site: Site,
        actor: str,
        kind: str,
        result: Calibration,
        before: dict[str, dict[str, float]],
        thresholds: dict[str, dict[str, float]],
        head: dict[str, Any] | None,
    ) -> None:
        settings = apply_settings(site.settings, {"thresholds": thresholds})
        with self.storage.write() as tx:
            tx.sites.update(site.id, settings=settings)
            tx.calibrations.add(
                site_id=site.id,
                created_at=self.clock(),
                actor=actor[:200],
                kind=kind,
                decisions=result.decisions,
                agreement_before=result.before,
                agreement_after=result.after,
                thresholds_before=before,
                thresholds_after=_model_pairs(thresholds_for(settings)),
                head=head,
            )
        self.contexts.forget(site.id)

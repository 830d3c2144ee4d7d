"""The calibration's parts without the models: threshold search, the per-site head, the policy
with a head, and `townhall moderate calibrate` on a database."""

from __future__ import annotations

import random
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import ORIGIN
from townhall.cli import main
from townhall.models import SiteSettings
from townhall.moderation import calibrate, policy
from townhall.moderation.signal import SignalResult
from townhall.storage import Storage
from townhall.types import Decision

LIMITS = policy.thresholds_for(SiteSettings())


def _examples(n: int, seed: int = 7) -> list[calibrate.Example]:
    """A site whose moderators reject a comment when toxicity and off-topic are high *together*:
    neither score alone separates them, their sum does."""
    rng = random.Random(seed)
    found = []
    for _ in range(n):
        tox, off = rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9)
        found.append(
            calibrate.Example({"toxicity": tox, "off_topic": off, "spam": 0.01}, False, tox + off > 1.3)
        )
    return found


def test_a_head_is_fitted_when_thresholds_cannot_agree_and_the_policy_uses_it() -> None:
    learned = calibrate.calibrate(_examples(200), LIMITS)
    assert learned.head is not None and learned.after is not None and learned.before is not None
    assert learned.after > learned.before + 0.1
    unseen = _examples(200, seed=8)
    assert calibrate.agreement(unseen, learned.thresholds, learned.head) > calibrate.agreement(unseen, LIMITS)  # type: ignore[operator]

    def signals(tox: float, off: float) -> dict[str, SignalResult]:
        return {"toxicity": SignalResult("toxicity", tox), "off_topic": SignalResult("off_topic", off)}

    calibration = {"head": learned.head}
    held = policy.decide(signals(0.85, 0.85), SiteSettings(), calibration=calibration)
    assert held.decision is Decision.HOLD and held.reasons[0].startswith("site calibration")
    # Off-topic just over its default hold, toxicity low: the thresholds hold it, this site's head
    # (which wants both high) publishes it.
    off = min(0.9, LIMITS["off_topic"]["hold"] + 0.05)
    assert policy.decide(signals(0.3, off), SiteSettings()).decision is Decision.HOLD
    passed = policy.decide(signals(0.3, off), SiteSettings(), calibration=calibration)
    assert passed.decision is Decision.PUBLISH
    top = min(1.0, LIMITS["toxicity"]["reject"] + 0.001)
    rejected = policy.decide(signals(top, 0.1), SiteSettings(), calibration=calibration)
    assert rejected.decision is Decision.REJECT  # rejects stay the site's thresholds


def test_too_few_decisions_learn_nothing() -> None:
    few = calibrate.calibrate(_examples(calibrate.MIN_DECISIONS - 1), LIMITS)
    assert not few.learned and few.thresholds == LIMITS and few.head is None


def test_calibrate_command_reports_and_resets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'th.sqlite3'}"
    storage = Storage(url)
    storage.migrate()
    storage.close()
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["--database-url", url, "site", "add", "ledger", "--name", "L", "--origin", ORIGIN]
        ).exit_code
        == 0
    )
    few = runner.invoke(main, ["--database-url", url, "moderate", "calibrate", "--site", "ledger"])
    assert few.exit_code == 0 and "too few decisions to learn from" in few.output
    reset = runner.invoke(
        main, ["--database-url", url, "moderate", "calibrate", "--site", "ledger", "--reset"]
    )
    assert reset.exit_code == 0 and "recorded" in reset.output
    unknown = runner.invoke(main, ["--database-url", url, "moderate", "calibrate", "--site", "nope"])
    assert unknown.exit_code == 1 and "no site 'nope'" in unknown.output


def test_a_hold_by_the_head_names_its_signal_for_the_queues_and_stats() -> None:
    from townhall.services.holds import causes  # noqa: PLC0415

    head = {"weights": {"toxicity": 6.0, "off_topic": 6.0, "spam": 0.0}, "bias": -6.0, "threshold": 0.5}
    signals = {"toxicity": SignalResult("toxicity", 0.6), "off_topic": SignalResult("off_topic", 0.7)}
    verdict = policy.decide(signals, SiteSettings(), calibration={"head": head})
    assert verdict.decision is Decision.HOLD
    assert causes(verdict.to_dict(), SiteSettings()) == ("off_topic",)  # below both default holds

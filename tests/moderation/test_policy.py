from __future__ import annotations

from townhall.models import SiteSettings
from townhall.moderation.policy import Trust, decide
from townhall.moderation.signal import SignalResult
from townhall.types import Decision, ModerationMode


def _signals(**scores: float | None) -> dict[str, SignalResult]:
    return {name: SignalResult(name, score, {"note": name}, "v1") for name, score in scores.items()}


def test_quiet_signals_publish_in_post_moderation() -> None:
    verdict = decide(_signals(toxicity=0.1, off_topic=0.2, spam=0.0, words=0.0), SiteSettings())
    assert verdict.decision is Decision.PUBLISH
    assert verdict.signals["toxicity"] == {"score": 0.1, "evidence": {"note": "toxicity"}, "version": "v1"}


def test_pre_moderation_holds_what_would_be_published() -> None:
    settings = SiteSettings(moderation_mode=ModerationMode.PRE)
    verdict = decide(_signals(toxicity=0.1), settings)
    assert verdict.decision is Decision.HOLD
    assert "pre-moderation" in verdict.reasons
    assert "moderator reads every comment" in verdict.reader_message


def test_hold_and_reject_thresholds_with_readable_reasons_and_no_scores_for_readers() -> None:
    held = decide(_signals(toxicity=0.97), SiteSettings())
    assert held.decision is Decision.HOLD
    assert held.reasons == ("toxicity 0.97 ≥ hold threshold 0.94",)
    assert "0.9" not in held.reader_message and "respectful" in held.reader_message
    rejected = decide(_signals(words=1.0), SiteSettings())
    assert rejected.decision is Decision.REJECT
    assert "not published" in rejected.reader_message


def test_site_thresholds_override_the_defaults() -> None:
    settings = SiteSettings(thresholds={"toxicity": {"hold": 0.9}})
    assert decide(_signals(toxicity=0.7), settings).decision is Decision.PUBLISH


def test_off_topic_never_rejects_and_abstention_counts_for_nothing() -> None:
    assert decide(_signals(off_topic=1.0), SiteSettings()).decision is Decision.HOLD
    assert decide(_signals(off_topic=None), SiteSettings()).decision is Decision.PUBLISH


def test_trusted_reader_skips_borderline_holds_but_not_strong_ones_or_word_lists() -> None:
    trusted = Trust(trusted=True)
    skipped = decide(_signals(toxicity=0.95), SiteSettings(), trusted)
    assert skipped.decision is Decision.PUBLISH
    assert "trusted reader" in skipped.reasons[0]
    assert decide(_signals(toxicity=0.985), SiteSettings(), trusted).decision is Decision.HOLD
    assert decide(_signals(words=0.5), SiteSettings(), trusted).decision is Decision.HOLD


def test_recent_rejection_holds_through_the_trust_signal() -> None:
    verdict = decide(_signals(toxicity=0.0, trust=1.0), SiteSettings(), Trust(recent_rejections=1))
    assert verdict.decision is Decision.HOLD
    assert "recent comments from you" in verdict.reader_message


def test_without_models_a_pre_moderated_site_still_holds() -> None:
    from datetime import UTC, datetime

    from townhall.moderation.policy import WithoutModels
    from townhall.moderation.verdict import ModerationRequest, SiteContext, StoryText

    now = datetime(2026, 11, 20, tzinfo=UTC)
    story = StoryText("1", "T")
    for mode, expected in ((ModerationMode.PRE, Decision.HOLD), (ModerationMode.POST, Decision.PUBLISH)):
        site = SiteContext("s", SiteSettings(moderation_mode=mode), ("https://a.example",))
        assert WithoutModels().assess(ModerationRequest(site, story, "Hello", now)).decision is expected

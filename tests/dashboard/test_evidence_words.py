"""Evidence cards speak a moderator's language: levels in words, rounded numbers, internals folded
behind "Details", never raw JSON."""

from __future__ import annotations

import re

from tests.dashboard.conftest import Dashboard
from townhall.types import Role

# What the models stored for a comment in the report, internals and all.
SIGNALS = {
    "off_topic": {
        "score": 0.6403,
        "version": "off-topic-minilm-3",
        "evidence": {
            "nearest_passage": "Buses will run every forty minutes between midnight and five.",
            "similarity": 0.2845,
            "parent_similarity": None,
            "background": {"article": 0.411, "thread": None, "stories": 4},
            "margin": 0.0055,
            "nearest_passage_index": 5,
        },
    },
    "toxicity": {
        "score": 0.9844,
        "version": "toxicity-lr-2026.11-1",
        "evidence": {
            "spans": [{"start": 0, "end": 4, "text": "Jerk", "weight": 1.5571}],
            "categories": ["insult", "threat"],
            "lexical": 0.74329,
        },
    },
    "name": {
        "score": 0.8548,
        "version": "names-1",
        "evidence": {"name": "Mayor Hollis is a thief", "words": [], "toxicity": 0.8548},
    },
}


def test_evidence_reads_as_words_with_internals_folded_away(dashboard: Dashboard) -> None:
    comment_id = dashboard.comment.id
    with dashboard.services.storage.write() as tx:
        tx.comments.update(
            comment_id, verdict={"decision": "hold", "reasons": ["toxicity 0.98"], "signals": SIGNALS}
        )
    page = dashboard.client.get(f"/admin/comments/{comment_id}", headers=dashboard.cookie(Role.MODERATOR))
    assert page.status_code == 200
    html = page.text
    signals = html[html.index('class="d-signals"') : html.index('class="d-context"')]
    # Levels in words and rounded percentages up front.
    assert "Very high · 98%" in signals and "High · 64%" in signals
    assert "Closeness to the article: 28%" in signals
    assert "Kind: insults, threats" in signals
    assert "Mayor Hollis is a thief" in signals and "toxicity: very high (85%)" in signals
    # No raw JSON, no long decimals anywhere in the evidence.
    assert not re.search(r'[{\[]\s*"', signals), "raw JSON in the evidence"
    assert not re.search(r"\d\.\d{3,}", signals), "unrounded numbers in the evidence"
    # The internals are there for whoever wants them, inside a Details disclosure.
    for folded in (
        "other stories compared",
        "closeness to this story rather than the site&#39;s others",
        "paragraph of the article",
        "model",
    ):
        before, _, after = signals.partition(f"<dt>{folded}")
        assert after, folded
        assert before.rfind("<details") > before.rfind("</details>"), f"{folded} is not inside Details"
    assert "article 0.41; thread none; stories 4" in signals and "0.01" in signals

"""How moderation treats comments that are not in English: held civil and caught shares per language.

    .venv/bin/python -m modelling.evaluate_languages [--verbose] [--json]

Reads ``modelling/data/languages.json`` (German and French stories with civil on-topic, civil
off-topic and hostile comments, and an English site whose readers write in other languages; all
written by us) and scores each site's comments exactly as ``townhall moderate score`` does: one
``BatchScorer`` per site over the server's ``Pipeline``, default thresholds, the site's
``language`` setting, no word lists of the site's own. Comments come in story order, on-topic,
off-topic and hostile in turn; each one's thread is the civil on-topic comments before it.

Prints, per site: the share of civil on-topic comments held (any signal, and each signal), the
share of civil off-topic comments the off-topic signal holds, and the share of hostile comments
held or rejected (any signal, and the toxicity and words signals). A small set we wrote: it
measures how the models behave outside English, not how a real German newsroom's comments fare.
Nothing is trained or tuned on it.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from modelling.paths import REPO
from townhall.models import SiteSettings
from townhall.moderation.batch import BatchScorer
from townhall.moderation.language import DEFAULT, Detector, Reading
from townhall.moderation.pipeline import Models, Pipeline

DATA_FILE = REPO / "modelling" / "data" / "languages.json"
LABELS = ("on", "off", "hostile")
SIGNALS = ("toxicity", "off_topic", "spam", "words", "name", "trust")


class AlwaysEnglish(Detector):
    """Reads every comment as English: the pipeline as it was before the language check."""

    def __init__(self) -> None:
        pass

    def detect(self, text: str) -> Reading:
        return Reading(DEFAULT, 1.0)


def lines_for(site: dict[str, Any]) -> list[dict[str, Any]]:
    """The site's comments as ``townhall moderate score`` input lines, with their label and language."""
    stories = {s["key"]: s for s in site["stories"]}
    items: list[tuple[str, str, str, str]] = []  # (story key, label, language, text)
    for story in site["stories"]:
        per_label = [story.get(label, []) for label in LABELS]
        for i in range(max((len(p) for p in per_label), default=0)):
            for label, texts in zip(LABELS, per_label, strict=True):
                if i < len(texts):
                    items.append((story["key"], label, site["language"], texts[i]))
    items += [(c["story"], c["label"], c["lang"], c["text"]) for c in site.get("comments", [])]
    published: dict[str, list[str]] = defaultdict(list)
    lines = []
    for n, (key, label, lang, text) in enumerate(items):
        story = stories[key]
        lines.append(
            {
                "id": f"{key}-{n}",
                "text": text,
                "article": {"title": story["title"], "text": story["text"]},
                "parent": None,
                "thread": list(published[key]),
                "label": label,
                "lang": lang,
            }
        )
        if label == "on":
            published[key].append(text)
    return lines


def score_site(pipeline: Pipeline, site: dict[str, Any]) -> list[dict[str, Any]]:
    lines = lines_for(site)
    scorer = BatchScorer(pipeline, SiteSettings(language=site["language"]))
    outputs = {}
    for number, output, error in scorer.run(json.dumps(line) for line in lines):
        if error:
            raise SystemExit(f"line {number}: {error}")
        assert output is not None
        outputs[output["id"]] = output
    return [{**line, **outputs[line["id"]]} for line in lines]


def held_by(result: dict[str, Any]) -> set[str]:
    """The signals whose hold (or reject) is among the verdict's reasons."""
    return {
        name
        for name in SIGNALS
        for reason in result["reasons"]
        if reason.startswith(f"{name} ") and " ≥ " in reason
    }


def summary(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by[r["label"]].append(r)
    out: dict[str, dict[str, Any]] = {}
    for label in LABELS:
        rows = by.get(label, [])
        if not rows:
            continue
        n = len(rows)
        stopped = [r for r in rows if r["decision"] != "publish"]
        entry: dict[str, Any] = {"n": n, "held_any": len(stopped) / n}
        for name in ("toxicity", "off_topic", "spam", "words"):
            entry[name] = sum(1 for r in stopped if name in held_by(r)) / n
        entry["not_checked"] = {
            name: sum(1 for r in rows if "not_checked" in r["signals"].get(name, {}).get("evidence", {})) / n
            for name in ("toxicity", "off_topic", "spam")
        }
        out[label] = entry
    return out


def pct(x: float) -> str:
    return f"{100 * x:5.1f} %"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA_FILE)
    ap.add_argument(
        "--verbose", action="store_true", help="print every comment that is not decided as its label says"
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument(
        "--without-language",
        action="store_true",
        help="read every comment as English (the pipeline before the language check: the baseline)",
    )
    args = ap.parse_args(argv)
    sites = json.loads(args.data.read_text(encoding="utf-8"))["sites"]
    models = Models.load(threads=2)
    if args.without_language:
        models = replace(models, language=AlwaysEnglish())
    pipeline = Pipeline(models)
    report = {}
    for name, site in sites.items():
        results = score_site(pipeline, site)
        report[name] = summary(results)
        if args.verbose:
            for r in results:
                expected_stop = r["label"] != "on"
                if (r["decision"] != "publish") != expected_stop:
                    print(
                        f"  [{name} {r['lang']} {r['label']}] {r['decision']}: {r['text'][:70]!r} {r['reasons']}"
                    )
    if args.json:
        print(json.dumps(report, indent=2))
        return
    header = "site        class     n   held(any)  toxicity  off_topic   spam     words   | not checked tox/off/spam"
    print(header)
    for name, per_label in report.items():
        for label, e in per_label.items():
            ab = e["not_checked"]
            print(
                f"{name:<11} {label:<8} {e['n']:>3}  {pct(e['held_any'])}  {pct(e['toxicity'])} {pct(e['off_topic'])}"
                f" {pct(e['spam'])} {pct(e['words'])}  | {pct(ab['toxicity'])} {pct(ab['off_topic'])} {pct(ab['spam'])}"
            )


if __name__ == "__main__":
    main()

"""One scorer, two doors: the server (through the comment service) and `townhall moderate score`
give the same verdict and scores for the same comment on the same site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ORIGIN, FakeClock
from townhall.cli import main
from townhall.demo.content import load as load_demo
from townhall.models import Site
from townhall.services import Services
from townhall.services.identity import guest
from townhall.types import CommentStatus

SLUGS = ("night-bus-pilot", "flood-barrier-delay", "mayor-expenses-inquiry")
EARLIER = [  # (story, author, text): the site's comments before the ones compared
    ("night-bus-pilot", "Gareth", "Forty minutes between buses is a long wait in January on the estates."),
    ("night-bus-pilot", "Mina", "I finish at the hospital at half past one, so this pilot is welcome."),
    ("flood-barrier-delay", "Sue", "Another year of sandbags on Quay Street while the barrier waits."),
    ("flood-barrier-delay", "Tom", "Our flood insurance premium went up by a third after the last storm."),
    ("mayor-expenses-inquiry", "Ravi", "The inquiry should publish every receipt from the conference trip."),
]
COMPARED = [  # posted after the others on the night bus story; the first is about the mayor's story
    (
        "Colin",
        "The mayor should explain the expenses claims from her trip to the twin town conference "
        "before anyone trusts her with another budget, instead of hiding behind her deputy.",
    ),
    ("Ana", "Two buses every forty minutes is cheap compared with the taxis night workers pay for now."),
]


def _articles() -> dict[str, dict[str, str]]:
    return {a.slug: {"title": a.title, "text": a.text.strip()} for a in load_demo()[0] if a.slug in SLUGS}


def test_server_and_batch_tool_decide_alike(moderated: Services, clock: FakeClock, tmp_path: Path) -> None:
    site: Site = moderated.sites.add("ledger", "The Ledger", [ORIGIN])
    articles = _articles()
    for slug in SLUGS:
        moderated.stories.push(site, f"{ORIGIN}/news/{slug}", articles[slug], "test")
    lines: list[dict[str, object]] = []
    threads: dict[str, list[str]] = {slug: [] for slug in SLUGS}

    def line(key: str, slug: str, text: str, name: str) -> dict[str, object]:
        thread = list(threads[slug])
        return {"id": key, "name": name, "text": text, "article": articles[slug], "thread": thread}

    for number, (slug, name, text) in enumerate(EARLIER):
        posted = moderated.comments.post(site, f"{ORIGIN}/news/{slug}", text, guest(name, None, name, "s"))
        assert posted.comment.status is CommentStatus.PUBLISHED
        lines.append(line(f"earlier-{number}", slug, text, name))
        threads[slug].append(text)
    clock.advance(minutes=10)  # the server's view of the site's stories is refreshed every few minutes
    by_server = {}
    for name, text in COMPARED:
        lines.append(line(name, "night-bus-pilot", text, name))
        posted = moderated.comments.post(
            site, f"{ORIGIN}/news/night-bus-pilot", text, guest(name, None, name, "s")
        )
        by_server[name] = moderated.comments.get(posted.comment.id).verdict
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(item) + "\n" for item in lines))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main, ["moderate", "score", "--input", str(source), "--output", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    by_batch = {v["id"]: v for v in map(json.loads, out.read_text().splitlines())}

    assert by_server["Colin"]["decision"] == "hold"  # about another story of this site
    assert by_server["Ana"]["decision"] == "publish"
    for name in by_server:
        served, batched = by_server[name], by_batch[name]
        assert batched["decision"] == served["decision"], name
        assert batched["reasons"] == served["reasons"], name
        assert set(batched["signals"]) == set(served["signals"])
        for signal, reading in served["signals"].items():
            other = batched["signals"][signal]["score"]
            if reading["score"] is None:
                assert other is None, (name, signal)
            else:
                assert other == pytest.approx(reading["score"], abs=2e-3), (name, signal)
        background = served["signals"]["off_topic"]["evidence"]["background"]
        assert background["stories"] == 3  # the site's own stories, not the shipped set
        assert batched["signals"]["off_topic"]["evidence"]["background"] == pytest.approx(
            background, abs=2e-3
        )


def test_each_site_is_compared_with_its_own_stories(moderated: Services, clock: FakeClock) -> None:
    """Two sites in one process: a comment on one is never measured against the other's stories."""
    articles = _articles()
    ledger = moderated.sites.add("ledger", "The Ledger", [ORIGIN])
    other = moderated.sites.add("gazette", "The Gazette", ["https://gazette.example"])
    for slug in SLUGS:
        moderated.stories.push(ledger, f"{ORIGIN}/news/{slug}", articles[slug], "test")
    recipes = [
        ("Slow-roast tomatoes", "Roast tomatoes slowly with garlic and thyme for three hours until sweet."),
        ("A week of soups", "Lentil, leek and potato, and a spiced squash soup for cold evenings."),
        ("Bread at home", "A simple loaf needs flour, water, salt, yeast and a warm kitchen."),
        ("Night bus fares", "The Gazette's own report on the night bus pilot and what it costs riders."),
    ]
    for number, (title, text) in enumerate(recipes):
        moderated.stories.push(
            other, f"https://gazette.example/food/{number}", {"title": title, "text": text}, "t"
        )
    text = COMPARED[0][1]
    on_ledger = moderated.comments.post(
        ledger, f"{ORIGIN}/news/night-bus-pilot", text, guest("A", None, "a", "s")
    )
    on_gazette = moderated.comments.post(
        other, "https://gazette.example/food/3", text, guest("B", None, "b", "s")
    )
    ledger_bg = moderated.comments.get(on_ledger.comment.id).verdict["signals"]["off_topic"]["evidence"][
        "background"
    ]  # type: ignore[index]
    gazette_bg = moderated.comments.get(on_gazette.comment.id).verdict["signals"]["off_topic"]["evidence"][
        "background"
    ]  # type: ignore[index]
    assert ledger_bg["stories"] == 3 and gazette_bg["stories"] == 4
    # The mayor's story is the Ledger's: next to it the comment sits nearer another story.
    assert ledger_bg["article"] > gazette_bg["article"]

"""Names are moderated like bodies: the site's word lists and the toxicity model, with the real models."""

from __future__ import annotations

import pytest

from tests.conftest import ORIGIN
from townhall.models import Site
from townhall.moderation import names
from townhall.services import Services
from townhall.services.identity import guest
from townhall.types import CommentStatus, SortOrder

URL = f"{ORIGIN}/news/night-bus-pilot"
CLEAN = "Forty minutes between buses is a long wait in January."


@pytest.fixture
def site(moderated: Services) -> Site:
    site = moderated.sites.add("ledger", "The Ledger", [ORIGIN])
    site = moderated.sites.update_settings(site.id, {"banned_words": ["scumbag"]})
    text = "The council will run a night bus between the station and the hospital for six months."
    moderated.stories.push(site, URL, {"title": "Night bus pilot", "text": text}, "test")
    return site


def _post(services: Services, site: Site, name: str, body: str = CLEAN, reader: str = "reader-jo") -> object:
    return services.comments.post(site, URL, body, guest(name, None, reader, "secret"))


@pytest.mark.parametrize("name", ["Scumbag Steve", "sc.um.bag", "Mayor Hollis is a thief", "stupid bitch"])
def test_a_name_on_the_word_list_or_abusive_holds_the_comment(
    moderated: Services, site: Site, name: str
) -> None:
    posted = _post(moderated, site, name)
    assert posted.comment.status is CommentStatus.HELD  # type: ignore[attr-defined]
    assert "name" in posted.message  # type: ignore[attr-defined]
    verdict = moderated.comments.get(posted.comment.id).verdict  # type: ignore[attr-defined]
    assert verdict is not None
    signal = verdict["signals"]["name"]
    assert signal["score"] >= 0.5 and signal["evidence"]["name"] == name
    assert any(reason.startswith("name ") for reason in verdict["reasons"])
    # The body alone would have been published.
    assert verdict["signals"]["words"]["score"] == 0.0


def test_a_plain_name_is_published(moderated: Services, site: Site) -> None:
    posted = _post(moderated, site, "Jo Reader")
    assert posted.comment.status is CommentStatus.PUBLISHED  # type: ignore[attr-defined]


def test_a_held_name_never_replaces_the_name_on_published_comments(moderated: Services, site: Site) -> None:
    """The issue's walk-through: a clean comment as "Jo Reader", then an abusive name, same reader."""
    first = _post(moderated, site, "Jo Reader")
    second = _post(moderated, site, "Mayor Hollis is a thief", "Buy cheap pills at pills.example now!!!")
    assert second.comment.status is not CommentStatus.PUBLISHED  # type: ignore[attr-defined]
    story = moderated.stories.find(site, URL)
    assert story is not None
    shown = moderated.comments.thread(story, SortOrder.OLDEST).comments
    assert [(c.id, c.author.name) for c in shown] == [(first.comment.id, "Jo Reader")]  # type: ignore[attr-defined]
    with moderated.storage.read() as tx:
        author = tx.authors.get(first.comment.author.id)  # type: ignore[attr-defined]
    assert author is not None and author.name == "Jo Reader"
    # The moderator sees the held comment under the name it was posted with.
    held = moderated.comments.get(second.comment.id)  # type: ignore[attr-defined]
    assert held.author.name == "Mayor Hollis is a thief"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\u202eAdmin", "Admin"),
        ("Jo\u200b\u200c\u200d\ufeffReader", "JoReader"),
        ("\uff2a\uff4f", "Jo"),
        ("  Jo \n\t Reader ", "Jo Reader"),
        ("Jo\u2066\u2069\u061c\u200e\u200f", "Jo"),
    ],
)
def test_clean_removes_what_a_reader_cannot_see(raw: str, clean: str) -> None:
    assert names.clean(raw) == clean


@pytest.mark.parametrize(
    ("name", "word"),
    [("Adm1n", "admin"), ("The Ledger", "The Ledger"), ("ledger", "Ledger"), ("Mods", "mod")],
)
def test_staff_words_and_the_site_name_are_found(name: str, word: str) -> None:
    assert names.imitates(name, "The Ledger") == word


@pytest.mark.parametrize("name", ["Modesto", "Theo Ledgerwood", "Edith", "Jo Reader", "Admiral Nelson"])
def test_ordinary_names_are_not_taken_for_staff(name: str) -> None:
    assert names.imitates(name, "The Ledger") is None

"""WordPress (WXR) import on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ORIGIN
from tests.importers.conftest import DATA, counts
from townhall.errors import Invalid
from townhall.importers import wordpress
from townhall.models import Site
from townhall.services import Services
from townhall.services.imports import ImportService
from townhall.types import CommentStatus

EXPORT = DATA / "wordpress-export.xml"


def _import(services: Services, site: Site, path: Path = EXPORT):
    return ImportService(services.storage).run(site, "wordpress", wordpress.read(path))


def test_wxr_comes_in_with_replies_statuses_and_closed_posts(services: Services, site: Site) -> None:
    summary = _import(services, site)
    assert (summary.stories, summary.comments, summary.authors) == (2, 6, 5)
    assert summary.skipped == {"pingback (not a reader's comment)": 1}
    frost = services.stories.find(site, f"{ORIGIN}/2024/04/orchard-frost/")
    bridge = services.stories.find(site, f"{ORIGIN}/2023/11/aller-bridge/")
    assert frost and bridge and services.stories.find(site, f"{ORIGIN}/about/") is None  # no comments
    assert bridge.closed and not frost.closed
    assert frost.comment_count == 2 and bridge.comment_count == 1

    with services.storage.read() as tx:
        by_source = {
            row["import_id"]: services.comments.get(row["id"])
            for row in tx.connection.exec_driver_sql(
                "SELECT import_id, id FROM comments WHERE import_source = 'wordpress'"
            ).mappings()
        }
    greta, editor, pat, spam, trashed = (by_source[k] for k in ("301", "302", "304", "305", "306"))
    assert greta.created_at == datetime(2024, 4, 9, 7, 12, tzinfo=UTC)  # the _gmt field, in UTC
    assert greta.html == (
        "<p>We lost half the blossom in 2017.<br>The fires help, but only if the wind stays down.</p>"
        "<p>Good luck to everyone up there <em>tonight</em>.</p>"
    )
    assert greta.body.startswith("We lost half the blossom in 2017.\nThe fires help")
    assert editor.parent_id == greta.id and trashed.parent_id == editor.id and trashed.depth == 2
    assert trashed.root_id == greta.id
    assert (pat.status, spam.status, trashed.status) == (
        CommentStatus.HELD,
        CommentStatus.REJECTED,
        CommentStatus.DELETED,
    )
    assert editor.author.external_id == "wordpress:user:1" and pat.author.name == "Pat"


def test_wxr_import_is_idempotent(services: Services, site: Site) -> None:
    _import(services, site)
    before = counts(services)
    again = _import(services, site)
    assert again.comments == 0 and again.skipped["already imported"] == 6
    assert counts(services) == before


def test_a_disqus_file_is_not_taken_for_wxr(services: Services, site: Site, tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="not a WordPress export"):
        _import(services, site, DATA / "disqus-export.xml")
    external = tmp_path / "xxe.xml"
    external.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">]>'
        "<rss><channel><item><title>&x;</title></item></channel></rss>"
    )
    with pytest.raises(Invalid, match="refused"):
        _import(services, site, external)
    assert set(counts(services)) == {"sites"}

"""Votes come along where the source format carries them: Isso's likes and dislikes columns, and a
WordPress voting plugin's comment meta (Comments Like Dislike, wpDiscuz). A Disqus export has no
votes. Totals only, on the imported comment; importing again adds nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import ORIGIN
from tests.importers.conftest import DATA
from townhall.importers import disqus, isso, wordpress
from townhall.models import Site
from townhall.services import Services
from townhall.services.imports import ImportService
from townhall.types import SortOrder

WXR = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>The Harbour Gazette</title>
  <wp:wxr_version>1.2</wp:wxr_version>
  <item>
    <title><![CDATA[The ferry timetable changes in May]]></title>
    <link>{origin}/2024/05/ferry-timetable/</link>
    <wp:post_id>77</wp:post_id>
    <wp:post_date_gmt><![CDATA[2024-05-02 06:00:00]]></wp:post_date_gmt>
    <wp:comment_status><![CDATA[open]]></wp:comment_status>
    <wp:post_type><![CDATA[post]]></wp:post_type>
    {comments}
  </item>
</channel>
</rss>
"""

COMMENT = """<wp:comment>
      <wp:comment_id>{id}</wp:comment_id>
      <wp:comment_author><![CDATA[{name}]]></wp:comment_author>
      <wp:comment_author_email><![CDATA[]]></wp:comment_author_email>
      <wp:comment_date_gmt><![CDATA[2024-05-02 0{id_last}:30:00]]></wp:comment_date_gmt>
      <wp:comment_content><![CDATA[{text}]]></wp:comment_content>
      <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
      <wp:comment_type><![CDATA[comment]]></wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
      <wp:comment_user_id>0</wp:comment_user_id>
      {meta}
    </wp:comment>"""

META = (
    "<wp:commentmeta><wp:meta_key><![CDATA[{key}]]></wp:meta_key>"
    "<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:commentmeta>"
)


def _wxr(tmp_path: Path) -> Path:
    rows = [
        (
            "901",
            "Ola",
            "The 7:10 boat was always late anyway.",
            [("cld_like_count", "12"), ("cld_dislike_count", "3")],
        ),
        (
            "902",
            "Bert",
            "Fewer sailings on Sundays is a shame.",
            [("wpdiscuz_votes_seperate", 'a:2:{s:4:"like";i:5;s:7:"dislike";i:1;}'), ("wpdiscuz_votes", "4")],
        ),
        ("903", "Cai", "Who decided this?", [("wpdiscuz_votes", "-2"), ("akismet_result", "false")]),
        ("904", "Dee", "Nobody voted on me.", [("cld_like_count", "lots")]),
    ]
    comments = "\n    ".join(
        COMMENT.format(
            id=ident,
            id_last=ident[-1],
            name=name,
            text=text,
            meta="".join(META.format(key=key, value=value) for key, value in meta),
        )
        for ident, name, text, meta in rows
    )
    path = tmp_path / "gazette.xml"
    path.write_text(WXR.format(origin=ORIGIN, comments=comments), encoding="utf-8")
    return path


def _votes(services: Services, site: Site, url: str) -> dict[str, tuple[int, int]]:
    story = services.stories.find(site, url)
    assert story is not None
    return {c.author.name: (c.upvotes, c.downvotes) for c in services.comments.thread(story).comments}


def test_wordpress_voting_plugins_meta_comes_in_once(services: Services, site: Site, tmp_path: Path) -> None:
    path = _wxr(tmp_path)
    summary = ImportService(services.storage).run(site, "wordpress", wordpress.read(path))
    assert summary.comments == 4 and summary.votes == 12 + 3 + 5 + 1 + 2
    votes = _votes(services, site, f"{ORIGIN}/2024/05/ferry-timetable/")
    assert votes == {"Ola": (12, 3), "Bert": (5, 1), "Cai": (0, 2), "Dee": (0, 0)}
    again = ImportService(services.storage).run(site, "wordpress", wordpress.read(path))
    assert again.comments == 0 and again.votes == 0
    assert _votes(services, site, f"{ORIGIN}/2024/05/ferry-timetable/") == votes
    # The best-first order reads the imported totals like any other votes.
    story = services.stories.find(site, f"{ORIGIN}/2024/05/ferry-timetable/")
    assert story is not None
    best = services.comments.thread(story, sort=SortOrder.BEST).comments
    assert [c.author.name for c in best][:2] == ["Ola", "Bert"]


SCHEMA = """
CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT NOT NULL,
    modified FLOAT, mode INTEGER, remote_addr VARCHAR, text VARCHAR, author VARCHAR, email VARCHAR,
    website VARCHAR, {votes} notification INTEGER DEFAULT 0);
"""


PLACES = ", ".join("?" * 7)


def _isso(tmp_path: Path, with_votes: bool) -> Path:
    path = tmp_path / ("isso.db" if with_votes else "old-isso.db")
    votes = "likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL," if with_votes else ""
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA.format(votes=votes))
        db.execute("INSERT INTO threads VALUES (1, '/2022/06/tide-tables/', 'Tide tables')")
        rows = [
            (1, 1, None, 1654000000.0, 1, "Printed ones are back!", "Ines"),
            (1, 2, 1, 1654000600.0, 1, "At last.", "Tomas"),
        ]
        if with_votes:
            db.executemany(
                "INSERT INTO comments (tid, id, parent, created, mode, text, author, likes, dislikes,"
                " voters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, x'00')",
                [(*rows[0], 7, 2), (*rows[1], 0, 0)],
            )
        else:
            db.executemany(
                f"INSERT INTO comments (tid, id, parent, created, mode, text, author) VALUES ({PLACES})",
                rows,
            )
    return path


def test_isso_likes_and_dislikes_come_in_once(services: Services, site: Site, tmp_path: Path) -> None:
    path = _isso(tmp_path, with_votes=True)
    summary = ImportService(services.storage).run(site, "isso", isso.read(path, ORIGIN))
    assert summary.comments == 2 and summary.votes == 9
    url = f"{ORIGIN}/2022/06/tide-tables/"
    assert _votes(services, site, url) == {"Ines": (7, 2), "Tomas": (0, 0)}
    again = ImportService(services.storage).run(site, "isso", isso.read(path, ORIGIN))
    assert again.comments == 0 and _votes(services, site, url) == {"Ines": (7, 2), "Tomas": (0, 0)}


def test_an_isso_database_from_before_votes_still_comes_in(
    services: Services, site: Site, tmp_path: Path
) -> None:
    summary = ImportService(services.storage).run(site, "isso", isso.read(_isso(tmp_path, False), ORIGIN))
    assert summary.comments == 2 and summary.votes == 0


def test_a_disqus_export_carries_no_votes(services: Services, site: Site) -> None:
    summary = ImportService(services.storage).run(site, "disqus", disqus.read(DATA / "disqus-export.xml"))
    assert summary.comments > 0 and summary.votes == 0

"""Disqus import on SQLite and PostgreSQL: threads, statuses, authors, idempotence, hostile files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ORIGIN
from tests.importers.conftest import DATA, counts
from townhall.cli import main
from townhall.errors import Invalid
from townhall.importers import disqus
from townhall.models import Site
from townhall.services import Services
from townhall.services.imports import ImportService
from townhall.types import CommentStatus

EXPORT = DATA / "disqus-export.xml"


def _import(services: Services, site: Site, path: Path = EXPORT, **kw):
    return ImportService(services.storage, services.comments.clock).run(
        site, "disqus", disqus.read(path), **kw
    )


def _by_source(services: Services) -> dict[str, dict]:
    with services.storage.read() as tx:
        rows = tx.connection.exec_driver_sql(
            "SELECT import_id, id, parent_id, root_id, depth, status, body, html, author_id "
            "FROM comments WHERE import_source = 'disqus'"
        ).mappings()
        return {row["import_id"]: dict(row) for row in rows}


def test_disqus_export_comes_in_with_threads_statuses_and_authors(services: Services, site: Site) -> None:
    summary = _import(services, site)
    assert (summary.stories, summary.stories_existing, summary.comments, summary.authors) == (2, 0, 10, 5)
    assert summary.skipped == {
        "thread URL not under the site's origins": 1,
        "its thread was skipped": 1,
        "its thread is not in the file": 1,
    }
    assert summary.notes == {
        "reply to a comment not imported, placed at the top level": 1,
        "reply to a comment in another thread, placed at the top level": 1,
    }

    ferry = services.stories.find(site, f"{ORIGIN}/harbour/ferry-timetable")  # tracking parameter dropped
    lighthouse = services.stories.find(site, f"{ORIGIN}/harbour/lighthouse")
    assert ferry is not None and lighthouse is not None
    assert ferry.title == "New ferry timetable cuts the late crossing" and not ferry.closed
    assert lighthouse.closed  # closed in Disqus, closed here
    assert ferry.comment_count == 4 and lighthouse.comment_count == 3  # published ones only

    rows = _by_source(services)
    # 900003 came before its parent 900002 in the file; it still hangs under it.
    assert rows["900002"]["parent_id"] == rows["900001"]["id"]
    assert rows["900003"]["parent_id"] == rows["900002"]["id"]
    assert rows["900003"]["root_id"] == rows["900001"]["id"] and rows["900003"]["depth"] == 2
    assert rows["900010"]["parent_id"] is None  # its parent is not in the file
    assert rows["900012"]["parent_id"] is None and rows["900012"]["root_id"] == rows["900012"]["id"]
    status = {key: row["status"] for key, row in rows.items()}
    assert status["900004"] == "deleted" and rows["900004"]["body"] == ""
    assert status["900006"] == "rejected" and status["900007"] == "held" and status["900001"] == "published"
    assert "<script" not in rows["900002"]["html"] and 'rel="nofollow ugc noopener"' in rows["900002"]["html"]
    assert (
        rows["900001"]["body"]
        == "The late ferry was the only way home for night-shift workers.\n\nWho decided this?"
    )
    assert all(services.comments.get(row["id"]).verdict is None for row in rows.values())  # not re-moderated
    # One author per Disqus user, kept apart from anonymous posters by e-mail or name.
    assert rows["900003"]["author_id"] == rows["900005"]["author_id"] == rows["900008"]["author_id"]
    assert rows["900001"]["author_id"] == rows["900004"]["author_id"]

    # Readers see the thread with the deleted comment as a placeholder above its reply.
    page = services.comments.thread(ferry)
    assert [c.body for c in page.comments if c.status is CommentStatus.DELETED] == [""]
    assert len(page.comments) == 5
    with services.storage.read() as tx:
        events = tx.comments.events(rows["900006"]["id"])
        email = tx.authors.details(rows["900001"]["author_id"])["email"]
    assert [(e.actor, e.to_status) for e in events] == [("import:disqus", CommentStatus.REJECTED)]
    assert email == "marit@example.org"  # kept, and like every e-mail never shown by the API


def test_running_the_same_import_again_adds_nothing(services: Services, site: Site) -> None:
    _import(services, site)
    before = counts(services)
    again = _import(services, site)
    assert (again.stories, again.stories_existing, again.comments, again.authors) == (0, 2, 0, 0)
    assert again.skipped["already imported"] == 10
    assert counts(services) == before


def test_a_dry_run_writes_nothing(services: Services, site: Site) -> None:
    before = counts(services)
    summary = _import(services, site, dry_run=True)
    assert summary.comments == 10 and summary.dry_run
    assert counts(services) == before


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE disqus [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<disqus xmlns="http://disqus.com"><thread><title>&lol4;</title></thread></disqus>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE disqus [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<disqus xmlns="http://disqus.com"><thread><title>&secret;</title></thread></disqus>
"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "xxe"])
def test_entity_attacks_are_refused_with_a_clear_error(
    services: Services, site: Site, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(content)
    with pytest.raises(Invalid, match="DTD.*refused"):
        _import(services, site, path)
    assert "stories" not in counts(services)


def test_a_file_broken_halfway_imports_nothing(services: Services, site: Site, tmp_path: Path) -> None:
    text = EXPORT.read_text()
    path = tmp_path / "cut.xml"
    path.write_text(text[: text.index('<post dsq:id="900008">')])  # threads and most posts, then the end
    with pytest.raises(Invalid, match="not well-formed XML at line"):
        _import(services, site, path)
    assert set(counts(services)) == {"sites"}


def test_a_wordpress_file_is_not_taken_for_a_disqus_export(services: Services, site: Site) -> None:
    with pytest.raises(Invalid, match="not a Disqus export"):
        _import(services, site, DATA / "wordpress-export.xml")


def test_import_command_prints_a_summary(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    for args in (["migrate"], ["site", "add", "gazette", "--name", "Gazette", "--origin", ORIGIN]):
        assert runner.invoke(main, ["--database-url", url, *args]).exit_code == 0
    result = runner.invoke(
        main, ["--database-url", url, "import", "disqus", str(EXPORT), "--site", "gazette"]
    )
    assert result.exit_code == 0, result.output
    assert "stories: 2 new, 0 already in Townhall" in result.output
    assert "comments: 10" in result.output and "authors: 5 new" in result.output
    assert "1  its thread is not in the file" in result.output
    hostile = tmp_path / "bomb.xml"
    hostile.write_text(BILLION_LAUGHS)
    result = runner.invoke(
        main, ["--database-url", url, "import", "disqus", str(hostile), "--site", "gazette"]
    )
    assert result.exit_code == 1 and "Error: bomb.xml: the file declares a DTD" in result.output


def test_imported_comments_are_moderated_only_when_asked(services: Services, site: Site) -> None:
    from tests.services.test_rescore import HoldsEverything  # noqa: PLC0415
    from townhall.services.rescore import Rescorer  # noqa: PLC0415

    _import(services, site)
    rows = _by_source(services)
    rescorer = Rescorer(services.storage, HoldsEverything())
    targets = rescorer.targets(site.id)
    assert sorted(targets) == sorted(row["id"] for row in rows.values())
    results = [rescorer.rescore(comment_id, apply=True) for comment_id in targets]
    moved = {r.comment_id for r in results if r.before is not r.after}
    # Published and rejected ones move to held; deleted ones stay deleted; all get a verdict.
    assert rows["900001"]["id"] in moved and rows["900004"]["id"] not in moved
    assert services.comments.get(rows["900001"]["id"]).status is CommentStatus.HELD
    assert services.comments.get(rows["900001"]["id"]).verdict["reasons"] == ["new model says hold"]

"""A reader's data rights on SQLite and PostgreSQL: find, export everything, erase without a trace."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ORIGIN, FakeClock
from townhall.errors import Invalid, NotFound
from townhall.models import Site
from townhall.services import Services
from townhall.services.identity import Identity, guest
from townhall.types import ActorKind, AuthorKind, CommentStatus

URL = f"{ORIGIN}/city/library-hours"
FIRST = "The library should open on Sundays, when students and families finally have the time to use it."


@pytest.fixture
def site(services: Services) -> Site:
    return services.sites.add("ledger", "The Ledger", [ORIGIN])


def _ana(secret: str = "test-secret") -> Identity:
    return guest("Ana", "Ana@Example.org", "reader-token-of-ana", secret)


def _thread(services: Services, site: Site, clock: FakeClock) -> dict[str, int]:
    """Ana posts twice (one reply gets an answer from Bo), votes and reports; Cai signs in."""
    ana = _ana()
    first = services.comments.post(site, URL, FIRST, ana, network_key="ip-ana").comment
    bo = guest("Bo", None, "reader-token-of-bo", "test-secret")
    answer = services.comments.post(site, URL, "Agreed, students need it.", bo, first.id).comment
    clock.advance(minutes=1)
    second = services.comments.post(site, URL, "And late on Thursdays.", ana, network_key="ip-ana").comment
    services.feedback.vote(answer.id, ana.external_id, 1)
    services.feedback.report(answer.id, ana.external_id, "other", "a note from Ana")
    cai = Identity(AuthorKind.SSO, "sub-77", "Cai", "cai@example.org")
    services.comments.post(site, URL, "Sundays would be fine.", cai)
    return {"first": first.id, "answer": answer.id, "second": second.id, "author": first.author.id}


def test_find_a_reader_by_email_sso_id_or_comment(services: Services, site: Site, clock: FakeClock) -> None:
    ids = _thread(services, site, clock)
    by_email = services.readers.find(site, email="  ana@EXAMPLE.org ")
    assert [(r["id"], r["name"], r["comments"], r["has_email"]) for r in by_email] == [
        (ids["author"], "Ana", 2, True)
    ]
    assert services.readers.find(site, comment_id=ids["second"])[0]["id"] == ids["author"]
    assert services.readers.find(site, sso_id="sub-77")[0]["name"] == "Cai"
    assert services.readers.find(site, email="nobody@example.org") == []
    with pytest.raises(Invalid, match="exactly one"):
        services.readers.find(site, email="a@b.c", comment_id=1)


def test_export_holds_everything_stored_about_the_reader(
    services: Services, site: Site, clock: FakeClock
) -> None:
    ids = _thread(services, site, clock)
    data = services.readers.export(site, ids["author"])
    json.dumps(data)  # JSON as it is
    assert data["format"] == "townhall-reader-data" and data["reader"]["email"] == "Ana@Example.org"
    assert [c["body"] for c in data["comments"]] == [
        FIRST,
        "And late on Thursdays.",
    ]
    assert data["comments"][0]["story_url"] == URL and data["comments"][0]["ip_hash"] == "ip-ana"
    assert len(data["comment_events"]) == 2
    assert [v["comment_id"] for v in data["votes"]] == [ids["answer"]]
    assert [r["note"] for r in data["reports"]] == ["a note from Ana"]
    assert data["reply_subscriptions"] == [] and data["mails"] == []
    with pytest.raises(NotFound):
        services.readers.export(
            services.sites.add("other", "Other", ["https://other.example"]), ids["author"]
        )


@pytest.mark.parametrize("mode", ["remove", "anonymise"])
def test_erase_keeps_the_thread_and_leaves_no_personal_data(
    services: Services, site: Site, clock: FakeClock, mode: str
) -> None:
    services.sites.update_settings("ledger", {"erasure_mode": mode})
    site = services.sites.get("ledger")
    ids = _thread(services, site, clock)
    story = services.stories.find(site, URL)
    assert story and story.comment_count == 4

    with services.storage.read() as tx:
        prints_before = tx.connection.exec_driver_sql(
            f"SELECT count(*) FROM comment_fingerprints WHERE comment_id IN ({ids['first']}, {ids['second']})"
        ).scalar()
    assert prints_before > 0
    record = services.readers.erase(site, ids["author"], ActorKind.MODERATOR, "admin", "reader's request")
    assert record["mode"] == mode and record["comments"] == 2 and record["actor"] == "admin"
    assert "Ana" not in json.dumps(record) and "example.org" not in json.dumps(record)

    assert services.readers.find(site, email="ana@example.org") == []
    first, second = services.comments.get(ids["first"]), services.comments.get(ids["second"])
    assert first.author.name == "[deleted]" and second.author.name == "[deleted]"
    page = services.comments.thread(services.stories.get(story.id))
    if mode == "remove":
        assert first.status is CommentStatus.DELETED and first.body == "" and first.html == ""
        # The removed comment above Bo's reply stays as a placeholder; the other one goes.
        assert [c.id for c in page.comments if c.status is CommentStatus.DELETED] == [ids["first"]]
        assert services.stories.get(story.id).comment_count == 2
    else:
        assert first.status is CommentStatus.PUBLISHED and first.body == FIRST
        assert services.stories.get(story.id).comment_count == 4
    assert services.comments.get(ids["answer"]).parent_id == ids["first"]
    with services.storage.read() as tx:
        rows = tx.connection.exec_driver_sql(
            f"SELECT ip_hash, reader_key FROM comments WHERE id IN ({ids['first']}, {ids['second']})"
        ).all()
        assert all(row == (None, None) for row in rows)
        leftovers = tx.connection.exec_driver_sql(
            "SELECT count(*) FROM authors WHERE lower(email) = 'ana@example.org' OR name = 'Ana'"
        ).scalar()
        votes = tx.connection.exec_driver_sql("SELECT count(*) FROM votes").scalar()
        reports = tx.connection.exec_driver_sql("SELECT count(*) FROM reports").scalar()
        events = tx.comments.events(ids["first"])
        prints = tx.connection.exec_driver_sql(
            f"SELECT count(*) FROM comment_fingerprints WHERE comment_id IN ({ids['first']}, {ids['second']})"
        ).scalar()
    assert leftovers == 0 and votes == 0 and reports == 0
    assert prints == (0 if mode == "remove" else prints_before)  # derived from the text, they go with it
    assert (events[-1].actor, events[-1].reason) == ("admin", f"author erased ({mode})")
    assert services.readers.erasures(site)[0]["author_id"] == ids["author"]
    with pytest.raises(NotFound):
        services.readers.erase(site, ids["author"], ActorKind.MODERATOR, "admin")


def test_erasing_a_signed_in_reader_drops_their_account_votes(services: Services, site: Site) -> None:
    cai = Identity(AuthorKind.SSO, "sub-9", "Cai", "cai@example.org")
    mine = services.comments.post(site, URL, "Open on Sundays.", cai).comment
    other = services.comments.post(site, URL, "Why?", guest("Di", None, "reader-token-of-di", "s")).comment
    services.feedback.vote(other.id, "device-hash", 1, sso_id="sub-9")
    services.readers.erase(site, mine.author.id, ActorKind.MODERATOR, "admin")
    with services.storage.read() as tx:
        assert tx.connection.exec_driver_sql("SELECT count(*) FROM votes").scalar() == 0


def test_reader_commands(tmp_path) -> None:
    from click.testing import CliRunner  # noqa: PLC0415

    from townhall.cli import main  # noqa: PLC0415
    from townhall.config import load  # noqa: PLC0415
    from townhall.services import build_services  # noqa: PLC0415
    from townhall.storage import Storage  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(main, ["--database-url", url, "migrate"]).exit_code == 0
    storage = Storage(url)
    services = build_services(load(overrides={"database_url": url, "fetch_articles": False}), storage, "s")
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    services.comments.post(
        site, URL, "Sunday opening, please.", guest("Ana", "ana@example.org", "reader-ana-1", "s")
    )
    storage.close()

    def run(*args: str, **kw):
        return runner.invoke(main, ["--database-url", url, "reader", *args], **kw)

    found = run("find", "--site", "ledger", "--email", "ana@example.org")
    assert found.exit_code == 0 and "\tAna\t1 comment(s)\te-mail stored" in found.output
    reader_id = found.output.split("\t")[0]
    exported = run("export", reader_id, "--site", "ledger")
    assert exported.exit_code == 0 and json.loads(exported.output)["reader"]["email"] == "ana@example.org"
    refused = run("erase", reader_id, "--site", "ledger", input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    erased = run("erase", reader_id, "--site", "ledger", "--yes", "--reason", "ticket 12")
    assert erased.exit_code == 0 and "1 comment(s) removed" in erased.output, erased.output
    assert "ticket 12" in run("erasures", "--site", "ledger").output
    assert run("find", "--site", "ledger", "--email", "ana@example.org").output == "no reader found\n"
    gone = run("export", reader_id, "--site", "ledger")
    assert gone.exit_code == 1 and "no reader" in gone.output


def test_retention_drops_old_ip_hashes_and_unconfirmed_emails(
    services: Services, site: Site, clock: FakeClock
) -> None:
    old = services.comments.post(site, URL, "An old comment.", _ana(), network_key="ip-old").comment
    quiet = services.comments.post(
        site,
        URL,
        "Another old one.",
        guest("Bo", "bo@example.org", "reader-token-of-bo", "s"),
        network_key="ip-bo",
    ).comment
    clock.advance(days=services.config.retention_days + 1)
    fresh = services.comments.post(site, URL, "Ana is back.", _ana(), network_key="ip-new").comment

    swept = services.retention.sweep()
    assert (swept.ip_hashes, swept.emails) == (2, 1)  # Bo has been quiet since; Ana commented again
    with services.storage.read() as tx:
        hashes = dict(tx.connection.exec_driver_sql("SELECT id, ip_hash FROM comments").all())
        emails = dict(tx.connection.exec_driver_sql("SELECT name, email FROM authors").all())
    assert hashes == {old.id: None, quiet.id: None, fresh.id: "ip-new"}
    assert emails == {"Ana": "Ana@Example.org", "Bo": None}
    assert services.retention.sweep() == type(swept)(0, 0)  # nothing left to drop


def test_the_server_runs_retention_on_its_scheduler(tmp_path, clock: FakeClock) -> None:
    import time  # noqa: PLC0415

    from starlette.testclient import TestClient  # noqa: PLC0415

    from townhall.app import RETENTION_SECONDS, create_app  # noqa: PLC0415
    from townhall.config import load  # noqa: PLC0415
    from townhall.storage import Storage  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    storage = Storage(url)
    storage.migrate()
    config = load(
        overrides={
            "database_url": url,
            "secret_key": "s",
            "fetch_articles": False,
            "moderation_enabled": False,
        }
    )
    app = create_app(config, storage=storage, clock=clock)
    services = app.state.services
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    old = services.comments.post(site, URL, "Long ago.", _ana(), network_key="ip-old").comment
    clock.advance(days=config.retention_days + 1)
    assert app.state.scheduler.jobs["retention"].seconds == RETENTION_SECONDS == 3600
    with TestClient(app):  # the lifespan starts the scheduler; every job runs once soon after start
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with storage.read() as tx:
                if (
                    tx.connection.exec_driver_sql(
                        f"SELECT ip_hash FROM comments WHERE id = {old.id}"
                    ).scalar()
                    is None
                ):
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("the retention job did not run")
    with storage.read() as tx:
        assert tx.connection.exec_driver_sql("SELECT email FROM authors").scalar() is None


def test_erasing_a_subscriber_drops_their_subscription_and_queued_mail(
    storage, config, clock: FakeClock
) -> None:
    from townhall.services import build_services  # noqa: PLC0415

    mail = config.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": 9,  # nothing is sent here: the outbox only queues
            "smtp_security": "none",
            "mail_from": "Comments <comments@news.example>",
            "public_url": "https://comments.news.example",
        }
    )
    services = build_services(mail, storage, "test-secret", clock=clock)
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    comment = services.comments.post(site, URL, "Tell me when someone answers.", _ana()).comment
    services.notices.subscribe(site, comment, "ana@example.org")
    data = services.readers.export(site, comment.author.id)
    assert [s["email"] for s in data["reply_subscriptions"]] == ["ana@example.org"]
    assert [m["kind"] for m in data["mails"]] == ["confirm"]
    services.readers.erase(site, comment.author.id, ActorKind.MODERATOR, "admin")
    with services.storage.read() as tx:
        assert tx.connection.exec_driver_sql("SELECT count(*) FROM reply_subscriptions").scalar() == 0
        assert tx.connection.exec_driver_sql("SELECT count(*) FROM mail_outbox").scalar() == 0

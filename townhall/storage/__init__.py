"""Storage: the only code that speaks SQL.

Services open a unit of work and call the repositories on it::

    with storage.write() as tx:          # one transaction; rolled back on any error
        story = tx.stories.get(story_id)
        tx.comments.insert(...)

On SQLite every write transaction starts with ``BEGIN IMMEDIATE`` behind one in-process lock
(a single writer); reads run concurrently on WAL snapshots. PostgreSQL uses a pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from townhall.storage import migrate
from townhall.storage.accounts import AccountRepo
from townhall.storage.authors import AuthorRepo
from townhall.storage.bans import BanRepo
from townhall.storage.calibrations import CalibrationRepo
from townhall.storage.changes import CommentChange, StoryChange
from townhall.storage.comments import CommentRepo
from townhall.storage.dump import DumpRepo
from townhall.storage.engine import WRITE_OPTION, make_engine
from townhall.storage.feedback import FeedbackRepo
from townhall.storage.imports import ImportRepo
from townhall.storage.limits import LimitRepo
from townhall.storage.outbox import OutboxRepo
from townhall.storage.queue import QueueRepo
from townhall.storage.readers import ReaderRepo
from townhall.storage.recent import RecentRepo
from townhall.storage.sites import SiteRepo
from townhall.storage.stats import StatsRepo
from townhall.storage.stories import StoryRepo
from townhall.storage.subscriptions import SubscriptionRepo
from townhall.storage.webhooks import WebhookRepo

__all__ = ["MigrationsPending", "Repos", "Storage"]


class MigrationsPending(Exception):
    """The database schema is behind this version of Townhall."""


class Repos:
    """The repositories, bound to one connection (and so to one transaction)."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.touched: set[int] = set()  # stories whose threads this unit of work changed
        self.comment_changes: list[CommentChange] = []  # gathered from the audit events written
        self.story_changes: list[StoryChange] = []
        self.after_commit: list[Callable[[], None]] = []  # e.g. wake a worker for what was queued
        self.sites = SiteRepo(connection)
        self.stories = StoryRepo(connection, self.touched, self.story_changes)
        self.authors = AuthorRepo(connection)
        self.bans = BanRepo(connection)
        self.comments = CommentRepo(connection, self.comment_changes)
        self.feedback = FeedbackRepo(connection)
        self.limits = LimitRepo(connection)
        self.accounts = AccountRepo(connection)
        self.queue = QueueRepo(connection)
        self.stats = StatsRepo(connection)
        self.recent = RecentRepo(connection)
        self.calibrations = CalibrationRepo(connection)
        self.dump = DumpRepo(connection)
        self.imports = ImportRepo(connection, self.touched)
        self.readers = ReaderRepo(connection)
        self.outbox = OutboxRepo(connection)
        self.subscriptions = SubscriptionRepo(connection)
        self.webhooks = WebhookRepo(connection)


class Storage:
    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = make_engine(url)
        self.backend = self.engine.dialect.name
        self._write_lock = threading.Lock() if self.backend == "sqlite" else None
        self._listeners: list[Callable[[set[int]], None]] = []
        self._before_commit: dict[str, Callable[[Repos], None]] = {}

    def on_change(self, listener: Callable[[set[int]], None]) -> None:
        """Call ``listener(story_ids)`` after each committed write that changed those stories' threads."""
        self._listeners.append(listener)

    def before_commit(self, name: str, hook: Callable[[Repos], None]) -> None:
        """Call ``hook(repos)`` at the end of each write that changed comments or stories, inside
        its transaction: what the hook writes commits with the change, or not at all. A hook
        registered again under the same name replaces the earlier one."""
        self._before_commit[name] = hook

    @contextmanager
    def read(self) -> Iterator[Repos]:
        """A read-only unit of work on one consistent snapshot."""
        with self.engine.connect() as connection:
            yield Repos(connection)
            connection.rollback()

    @contextmanager
    def write(self) -> Iterator[Repos]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        if self._write_lock is not None:
            with self._write_lock, self._begin() as repos:
                yield repos
        else:
            with self._begin() as repos:
                yield repos

    @contextmanager
    def _begin(self) -> Iterator[Repos]:
        with (
            self.engine.connect().execution_options(**{WRITE_OPTION: True}) as connection,
            connection.begin(),
        ):
            repos = Repos(connection)
            yield repos
            if repos.comment_changes or repos.story_changes:
                for hook in list(self._before_commit.values()):
                    hook(repos)
        if repos.touched:
            for listener in self._listeners:
                listener(set(repos.touched))
        for callback in repos.after_commit:
            callback()

    @contextmanager
    def snapshot(self) -> Iterator[Repos]:
        """A read-only unit of work that sees one consistent state across tables (for a backup)."""
        with self.engine.connect() as connection:
            if self.backend == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            yield Repos(connection)
            connection.rollback()

    def migrate(self, revision: str = "head") -> None:
        migrate.upgrade(self.engine, revision)

    def revision(self) -> str | None:
        """The schema revision the database is at (None for a database never migrated)."""
        return migrate.current_revision(self.engine)

    def revisions(self) -> tuple[str | None, str]:
        """The schema revision the database is at, and the one this code needs (asks the database)."""
        return migrate.current_revision(self.engine), migrate.head_revision()

    def check_migrations(self) -> None:
        current, head = self.revisions()
        if current != head:
            raise MigrationsPending(
                f"database schema is at {current or 'nothing'}, this Townhall needs {head}: "
                "run `townhall migrate`"
            )

    def close(self) -> None:
        self.engine.dispose()

"""Bring an archive in from another comment system, in one transaction.

An importer (``townhall.importers.*``) yields stories, comments and skipped records as it reads
the file; this service writes them in batches inside ONE write transaction, so a file that
turns out to be broken halfway leaves nothing behind. Each comment and story keeps its source
and its id there, so running the same import again adds nothing twice. Imported comments keep
the status they had and are not moderated again (``townhall moderate rescore`` does that).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from townhall.errors import Invalid, TownhallError
from townhall.importers.records import Record, Skipped, SourceAuthor, SourceComment, SourceStory
from townhall.models import Site
from townhall.services.clock import Clock, utcnow
from townhall.services.text import from_html, from_wordpress, plain, render
from townhall.services.urls import check_allowed, normalise
from townhall.storage import Repos, Storage
from townhall.types import ActorKind, AuthorKind, CommentStatus

BATCH = 500
# Matches no edit token (a token's hash is 64 hex digits): nobody can edit an imported comment.
NO_EDIT_TOKEN = "!"  # noqa: S105 - a marker, not a secret
_MARKUP = {"html": from_html, "wordpress": from_wordpress}


@dataclass
class ImportSummary:
    source: str
    stories: int = 0  # stories created
    stories_existing: int = 0  # threads matched to a story Townhall already had
    comments: int = 0
    votes: int = 0  # up- and down-votes carried over on the imported comments
    authors: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False


class _DryRun(Exception):
    """Raised at the end of a dry run so the transaction rolls back."""


def _body_and_html(comment: SourceComment) -> tuple[str, str]:
    if comment.status is CommentStatus.DELETED:
        return "", ""  # as when a reader deletes: the text goes, the place in the thread stays
    if comment.markup == "markdown":
        return comment.text.strip(), render(comment.text)
    return _MARKUP[comment.markup](comment.text)


class _Run:
    """One import: the maps from source ids to Townhall ids, and the batch being built."""

    def __init__(self, tx: Repos, site: Site, source: str, summary: ImportSummary, now: datetime):
        self.tx, self.site, self.source, self.summary, self.now = tx, site, source, summary, now
        self.stories: dict[str, int | None] = {}  # None: the story was skipped
        self.comments = tx.imports.imported(site.id, source)  # source id → (id, root, depth, story)
        self.authors = tx.imports.authors(site.id, f"{source}:")  # external id → author id
        self.new_authors: dict[str, dict[str, Any]] = {}  # to insert with the next batch
        self.waiting: dict[str, list[SourceComment]] = defaultdict(list)  # by missing parent
        self.batch: list[tuple[SourceComment, dict[str, Any]]] = []
        self.in_batch: set[str] = set()
        self.seen: set[str] = set()
        self.touched: set[int] = set()

    def story(self, story: SourceStory) -> None:
        try:
            url = normalise(story.url, self.site.settings.query_params)
            check_allowed(url, self.site.origins)
        except TownhallError:
            self.stories[story.source_id] = None
            self.summary.skipped["thread URL not under the site's origins"] += 1
            return
        if len(url) > 2048:
            self.stories[story.source_id] = None
            self.summary.skipped["thread URL too long"] += 1
            return
        existing = self.tx.stories.find(self.site.id, url)
        if existing is not None:
            self.stories[story.source_id] = existing.id
            self.summary.stories_existing += 1
            return
        created = story.created_at or self.now
        values: dict[str, Any] = {
            "title": plain(story.title)[:500],
            "closed": story.closed,
            "import_source": self.source,
            "import_id": story.source_id[:200],
        }
        days = self.site.settings.auto_close_days
        if days:
            values["closes_at"] = created + timedelta(days=days)
        story_id = self.tx.stories.insert(self.site.id, url, created, **values)
        self.tx.stories.add_event(
            story_id,
            "created",
            ActorKind.SYSTEM,
            f"import:{self.source}",
            f"imported from {self.source}",
            self.now,
        )
        if story.closed:
            self.tx.stories.add_event(
                story_id,
                "closed",
                ActorKind.SYSTEM,
                f"import:{self.source}",
                f"closed in {self.source}",
                self.now,
            )
        self.stories[story.source_id] = story_id
        self.summary.stories += 1

    def comment(self, comment: SourceComment) -> None:
        if comment.source_id in self.comments:
            self.summary.skipped["already imported"] += 1
            return
        if comment.source_id in self.seen:
            self.summary.skipped["appears twice in the file"] += 1
            return
        if len(comment.source_id) > 200:
            self.summary.skipped["comment id too long"] += 1
            return
        if comment.story_id not in self.stories:
            self.summary.skipped["its thread is not in the file"] += 1
            return
        if self.stories[comment.story_id] is None:
            self.summary.skipped["its thread was skipped"] += 1
            return
        self.seen.add(comment.source_id)
        if comment.parent_id and comment.parent_id not in self.comments:
            self.waiting[comment.parent_id].append(comment)  # placed once its parent is
            return
        self._add(comment)

    def _add(self, comment: SourceComment) -> None:
        if comment.parent_id and comment.parent_id in self.in_batch:
            self.flush()  # the reply needs its parent's id
        story_id = self.stories[comment.story_id]
        assert story_id is not None
        parent = self.comments.get(comment.parent_id) if comment.parent_id else None
        if parent is not None and parent[3] != story_id:
            # A reply filed under another thread than its parent: keep it, at its own thread's top.
            self.summary.notes["reply to a comment in another thread, placed at the top level"] += 1
            parent = None
        body, html = _body_and_html(comment)
        row = {
            "site_id": self.site.id,
            "story_id": story_id,
            "parent_id": parent[0] if parent else None,
            "root_id": parent[1] if parent else None,
            "depth": parent[2] + 1 if parent else 0,
            "author_id": self._author(comment.author, comment.created_at),  # an external id until flushed
            "author_name": plain(comment.author.name)[:200] or "Anonymous",
            "body": body,
            "html": html,
            "status": comment.status.value,
            "created_at": comment.created_at,
            "deleted_at": self.now if comment.status is CommentStatus.DELETED else None,
            "edit_token_hash": NO_EDIT_TOKEN,
            "ip_hash": None,  # IP addresses are not imported
            "verdict": None,
            "upvotes": comment.upvotes,
            "downvotes": comment.downvotes,
            "score": comment.upvotes - comment.downvotes,
            "featured": False,
            "import_source": self.source,
            "import_id": comment.source_id,
        }
        self.summary.votes += comment.upvotes + comment.downvotes
        self.batch.append((comment, row))
        self.in_batch.add(comment.source_id)
        if len(self.batch) >= BATCH:
            self.flush()

    def _author(self, author: SourceAuthor, seen_at: datetime) -> str:
        external_id = f"{self.source}:{author.key}"[:200]
        if external_id not in self.authors and external_id not in self.new_authors:
            email = (
                author.email if author.email and "@" in author.email and len(author.email) <= 320 else None
            )
            self.new_authors[external_id] = {
                "site_id": self.site.id,
                "kind": AuthorKind.GUEST.value,
                "external_id": external_id,
                "name": plain(author.name)[:200] or "Anonymous",
                "email": email,
                "created_at": seen_at,
                "notes": "",
            }
        return external_id

    def flush(self) -> None:
        while self.batch:
            batch, self.batch, self.in_batch = self.batch, [], set()
            if self.new_authors:
                rows = list(self.new_authors.values())
                ids = self.tx.imports.add_authors(rows)
                self.authors.update((row["external_id"], i) for row, i in zip(rows, ids, strict=True))
                self.summary.authors += len(rows)
                self.new_authors = {}
            ids = self.tx.imports.add_comments(
                [{**row, "author_id": self.authors[row["author_id"]]} for _comment, row in batch]
            )
            events = []
            for (comment, row), comment_id in zip(batch, ids, strict=True):
                self.comments[comment.source_id] = (
                    comment_id,
                    row["root_id"] or comment_id,
                    row["depth"],
                    row["story_id"],
                )
                self.touched.add(row["story_id"])
                events.append(
                    {
                        "comment_id": comment_id,
                        "from_status": None,
                        "to_status": row["status"],
                        "actor_kind": ActorKind.SYSTEM.value,
                        "actor": f"import:{self.source}",
                        "reason": f"imported from {self.source}",
                        "details": {"source": self.source, "source_id": comment.source_id},
                        "created_at": self.now,
                    }
                )
            self.tx.imports.add_events(events)
            self.summary.comments += len(batch)
            for comment, _row in batch:  # replies that waited for these comments
                for reply in self.waiting.pop(comment.source_id, []):
                    self._add(reply)

    def finish(self) -> None:
        self.flush()
        # Replies whose parent never came (not in the file, or skipped) keep their text at the top level.
        while self.waiting:
            _parent, replies = self.waiting.popitem()
            for reply in replies:
                self.summary.notes["reply to a comment not imported, placed at the top level"] += 1
                self._add(SourceComment(**{**_fields(reply), "parent_id": None}))
            self.flush()
        self.tx.imports.recount(sorted(self.touched))


def _fields(comment: SourceComment) -> dict[str, Any]:
    return {name: getattr(comment, name) for name in SourceComment.__slots__}


class ImportService:
    def __init__(self, storage: Storage, clock: Clock = utcnow):
        self.storage = storage
        self.clock = clock

    def run(
        self,
        site: Site,
        source: str,
        records: Iterable[Record],
        progress: Callable[[int], None] | None = None,
        dry_run: bool = False,
    ) -> ImportSummary:
        """Write what ``records`` yields into ``site``; all or nothing."""
        summary = ImportSummary(source, dry_run=dry_run)
        try:
            with self.storage.write() as tx:
                run = _Run(tx, site, source, summary, self.clock())
                for record in records:
                    if isinstance(record, SourceStory):
                        run.story(record)
                    elif isinstance(record, SourceComment):
                        run.comment(record)
                        if progress:
                            progress(1)
                    elif isinstance(record, Skipped):
                        summary.skipped[record.reason] += 1
                run.finish()
                if summary.stories + summary.stories_existing + summary.comments == 0 and not summary.skipped:
                    raise Invalid(f"the file holds no threads or comments to import from {source}")
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return summary

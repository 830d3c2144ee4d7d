"""Every table, in one place. Migrations under ``migrations/versions`` create and change them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import true


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

sites = Table(
    "sites",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("origins", JSON, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("sso_secret", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("title", String(500), nullable=False, default=""),
    Column("author", String(200), nullable=False, default=""),
    Column("published_at", UTCDateTime),
    Column("text", Text, nullable=False, default=""),
    Column("fetched_at", UTCDateTime),
    Column("closed", Boolean, nullable=False, default=False),
    Column("closes_at", UTCDateTime),
    # True while closes_at follows the publication date and the site's auto_close_days; an editor
    # who schedules or reopens the story takes it over.
    Column("auto_close", Boolean, nullable=False, default=True, server_default=true()),
    Column("closed_at", UTCDateTime),  # when an editor closed it (auto-close uses closes_at)
    Column("close_reason", String(500), nullable=False, default=""),  # shown to readers
    Column("version", Integer, nullable=False, default=1),
    Column("comment_count", Integer, nullable=False, default=0),
    Column("representation", LargeBinary),
    Column("representation_version", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    # Where an imported story came from (disqus, wordpress, isso) and its id there.
    Column("import_source", String(16)),
    Column("import_id", String(200)),
    UniqueConstraint("site_id", "url"),
    Index(None, "site_id", "import_source", "import_id"),
)

story_events = Table(
    "story_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

authors = Table(
    "authors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320)),
    Column("avatar", String(2048)),
    Column("badge", String(40)),
    Column("banned_until", UTCDateTime),
    Column("ban_reason", Text),
    Column("notes", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("site_id", "kind", "external_id"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="CASCADE")),
    Column("root_id", Integer),
    Column("depth", SmallInteger, nullable=False, default=0),
    Column("author_id", Integer, ForeignKey("authors.id", ondelete="CASCADE"), nullable=False),
    Column("author_name", String(200)),  # the name it was posted under; a later name never rewrites it
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("edited_at", UTCDateTime),
    Column("deleted_at", UTCDateTime),
    Column("upvotes", Integer, nullable=False, default=0),
    Column("downvotes", Integer, nullable=False, default=0),
    Column("score", Integer, nullable=False, default=0),
    Column("featured", Boolean, nullable=False, default=False),
    Column("edit_token_hash", String(64), nullable=False),
    Column("ip_hash", String(64)),
    Column("reader_key", String(64)),  # keyed hash of the reader token it was posted with (for bans)
    Column("verdict", JSON),
    # An imported comment's source system and id there: re-running an import adds nothing twice.
    Column("import_source", String(16)),
    Column("import_id", String(200)),
    Index(None, "story_id", "status", "parent_id", "created_at"),
    Index(None, "story_id", "status", "id"),  # a story's latest comments, without sorting them all
    Index(None, "root_id"),
    Index(None, "author_id", "created_at"),
    Index(None, "site_id", "status", "created_at"),
    Index(None, "site_id", "import_source", "import_id", unique=True),
    Index(None, "site_id", "ip_hash", "created_at"),  # flooding from one network, across processes
)

# A comment's MinHash band keys (moderation/signals/spam.py): near-duplicates are looked up here,
# so every server process sees the comments the others stored.
comment_fingerprints = Table(
    "comment_fingerprints",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("band", String(32), primary_key=True),
    Column("site_id", String(63), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "site_id", "band", "created_at"),
)

# Each recalibration of a site's moderation from its moderators' decisions, and each reset.
site_calibrations = Table(
    "site_calibrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # "calibrate" or "reset"
    Column("decisions", Integer, nullable=False, default=0),  # moderator decisions it learned from
    Column("agreement_before", Float),
    Column("agreement_after", Float),
    Column("thresholds_before", JSON, nullable=False),
    Column("thresholds_after", JSON, nullable=False),
    Column("head", JSON),  # the per-site decision head, when there were enough decisions
)

comment_events = Table(
    "comment_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

votes = Table(
    "votes",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("voter", String(64), primary_key=True),
    Column("value", SmallInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # One vote per comment also per network address and per signed-in reader (keyed hashes).
    Column("network", String(64)),
    Column("account", String(64)),
    UniqueConstraint("comment_id", "network"),
    UniqueConstraint("comment_id", "account"),
)

bans = Table(
    "bans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Integer, ForeignKey("authors.id", ondelete="CASCADE"), nullable=False, index=True),
    # sso (the publisher's user id), email, reader (token hash) or network (address hash)
    Column("kind", String(16), nullable=False),
    Column("key", String(200), nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "site_id", "kind", "key"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("reporter", String(64), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    UniqueConstraint("comment_id", "reporter"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("last_failed_at", UTCDateTime),
    Column("totp_secret", String(64)),  # set once the account has enrolled a one-time-code app
    Column("created_at", UTCDateTime, nullable=False),
)

# The sites a dashboard account may see and act on; an account with no rows here sees every site.
user_sites = Table(
    "user_sites",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# A reader's erasure (GDPR art. 17): who erased which author id, when and how; none of the erased data.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", Integer, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("comments", Integer, nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)
# -- e-mail: an outbox written in the transaction that causes the mail, sent by a worker ----------

mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # confirm, reply, digest
    Column("dedupe_key", String(200), unique=True),  # a notice is queued once, however often it is caused
    Column("to_addr", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),  # null once sent or given up
    Column("sent_at", UTCDateTime),
    Column("failed_at", UTCDateTime),
    Column("last_error", Text, nullable=False, default=""),
    Index(None, "next_attempt_at"),
)

reply_subscriptions = Table(
    "reply_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("author_id", Integer, ForeignKey("authors.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("confirmed_at", UTCDateTime),
    Column("unsubscribed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "site_id", "email"),
)

digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("period_hours", Integer, nullable=False),
    Column("last_sent_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)

# -- webhooks: signed POSTs per site, queued in the transaction of the event ----------------------

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", String(63), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("url", String(2048), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("events", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(40), nullable=False),
    Column("payload", Text, nullable=False),  # the exact body that is signed and sent
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("failed_at", UTCDateTime),
    Column("last_status", Integer),
    Column("last_error", Text, nullable=False, default=""),
    Index(None, "next_attempt_at"),
    Index(None, "webhook_id", "id"),
)


rate_counters = Table(
    "rate_counters",
    metadata,
    # "<limit>:<keyed hash>", one row per fixed window (slot = epoch seconds // window length)
    Column("key", String(200), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires", Integer, nullable=False, index=True),  # epoch seconds
)

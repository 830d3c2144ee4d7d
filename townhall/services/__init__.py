"""The service layer: the product's rules. The API, the dashboard and the CLI all call these."""

from __future__ import annotations

from dataclasses import dataclass

from townhall.config import Settings
from townhall.models import SiteSettings
from townhall.moderation.verdict import Moderator
from townhall.services.accounts import AccountService
from townhall.services.articles import ArticleFetcher
from townhall.services.bans import BanKeys
from townhall.services.calibration import CalibrationService
from townhall.services.clock import Clock, utcnow
from townhall.services.comment_rules import Limits
from townhall.services.comments import CommentService
from townhall.services.counters import CounterStore, SlidingWindow, make_counters
from townhall.services.digest import Digests
from townhall.services.feedback import FeedbackService
from townhall.services.feeds import Feeds
from townhall.services.mail import Outbox
from townhall.services.moderation_context import ModerationContexts
from townhall.services.notices import ReplyNotices
from townhall.services.nudge import NudgeService
from townhall.services.queue import ModerationQueue
from townhall.services.readers import ReaderRights
from townhall.services.retention import Retention
from townhall.services.sites import SiteService
from townhall.services.stats import StatsService
from townhall.services.stories import StoryService
from townhall.services.throttle import LoginThrottle
from townhall.services.webhooks import WebhookService
from townhall.storage import Storage

__all__ = ["Services", "build_services"]


@dataclass
class Services:
    config: Settings
    storage: Storage
    secret: str
    sites: SiteService
    stories: StoryService
    comments: CommentService  # post, edit, delete; and reads (get, own, thread)
    feedback: FeedbackService  # votes and reports
    accounts: AccountService
    queue: ModerationQueue
    stats: StatsService
    contexts: ModerationContexts
    readers: ReaderRights
    outbox: Outbox
    notices: ReplyNotices
    digests: Digests
    webhooks: WebhookService
    feeds: Feeds
    retention: Retention
    calibration: CalibrationService
    nudge: NudgeService
    counters: CounterStore  # shared by every process: Redis when configured, else the database


def build_services(
    config: Settings,
    storage: Storage,
    secret: str,
    moderator: Moderator | None = None,
    fetcher: ArticleFetcher | None = None,
    clock: Clock = utcnow,
) -> Services:
    if fetcher is None and config.fetch_articles:
        fetcher = ArticleFetcher(config.fetch_timeout, config.fetch_allow_networks)
    counters = make_counters(config.redis_url, storage)
    defaults = SiteSettings(
        edit_window_minutes=config.default_edit_window_minutes, auto_close_days=config.default_auto_close_days
    )
    sites = SiteService(storage, clock, defaults, config.allow_private_origins)
    fetch_limit = SlidingWindow(counters, "fetches", config.fetch_rate_limit)
    stories = StoryService(storage, fetcher, clock, fetch_limit)
    limits = Limits(
        max_chars=config.max_comment_chars,
        max_depth=config.max_depth,
        page_size=config.page_size,
        max_page_size=config.max_page_size,
    )
    bans = BanKeys(secret, config.ban_address_hours)
    contexts = ModerationContexts(storage, clock)
    comments = CommentService(storage, stories, moderator, limits, clock, bans, contexts)
    accounts = AccountService(storage, clock, throttle=LoginThrottle(counters, secret, clock))
    queue = ModerationQueue(storage, clock, bans)
    stats = StatsService(storage, clock)
    readers = ReaderRights(storage, secret, clock)
    outbox = Outbox(storage, config, clock)
    notices = ReplyNotices(storage, outbox, secret, clock)
    webhooks = WebhookService(storage, config, clock)
    # What a change causes (a reply notice, a webhook delivery) is queued in the change's transaction.
    storage.before_commit("reply-notices", notices.on_changes)
    storage.before_commit("webhooks", webhooks.on_changes)
    retention = Retention(storage, config.retention_days, clock)
    return Services(
        config,
        storage,
        secret,
        sites,
        stories,
        comments,
        FeedbackService(storage, comments, bans, secret, clock),
        accounts,
        queue,
        stats,
        contexts,
        readers,
        outbox,
        notices,
        Digests(storage, outbox, clock),
        webhooks,
        Feeds(storage, stories),
        retention,
        CalibrationService(storage, sites, contexts, clock),
        NudgeService(comments),
        counters,
    )

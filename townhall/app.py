"""create_app(config): storage, services and moderation, with the API, widget and dashboard mounted."""

from __future__ import annotations

import contextlib
import gc
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import orjson
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from townhall import i18n, widget
from townhall.api import ApiState, build_api
from townhall.api.fastpath import ThreadFastPath
from townhall.api.limits import RateLimit
from townhall.api.middleware import BodyLimit
from townhall.config import Settings
from townhall.dashboard import build_dashboard
from townhall.dashboard.access import MAX_BODY as DASHBOARD_MAX_BODY
from townhall.live import make_broker
from townhall.moderation.verdict import Moderator
from townhall.ops import health, rehearsal
from townhall.ops.metrics import Metrics
from townhall.ops.requests import ObservedRequests
from townhall.scheduler import Scheduler
from townhall.services import Services, build_services
from townhall.services.clock import Clock, utcnow
from townhall.services.counters import SlidingWindow
from townhall.storage import Storage
from townhall.web.feeds import feed_routes
from townhall.web.mail import mail_routes

log = logging.getLogger(__name__)

# Seconds between runs of the periodic jobs (a write that queues work wakes its job at once).
MAIL_SECONDS = 30.0
RETENTION_SECONDS = 3600.0  # readers' IP hashes and unconfirmed e-mails past retention_days
WEBHOOK_SECONDS = 15.0
DIGEST_SECONDS = 300.0
CLOSE_DUE_SECONDS = 60.0  # stories past their closing date are recorded as closed (story.closed webhook)
CALIBRATION_SECONDS = 600.0  # how often sites are checked for a due recalibration
AUTO_CLOSE_SECONDS = 300.0  # automatic closing times kept in line with publication dates and settings


class ConfigurationProblem(Exception):
    """The server cannot start with this configuration; the message says what to change."""


def resolve_secret(config: Settings) -> str:
    """The configured secret, or one kept beside a SQLite database (made on first start)."""
    if config.secret_key.get_secret_value():
        return config.secret_key.get_secret_value()
    url = make_url(config.database_url.replace("postgres://", "postgresql://"))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        if url.get_backend_name() == "sqlite":
            return secrets.token_urlsafe(32)
        raise ConfigurationProblem("secret_key must be set when the database is PostgreSQL")
    path = Path(url.database).with_suffix(".secret")
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def load_moderator(config: Settings) -> Moderator | None:
    """The local models, loaded once; None (publish everything) when moderation is switched off."""
    if not config.moderation_enabled:
        return None
    from townhall.moderation import build_moderator  # noqa: PLC0415 - models load only when enabled

    return build_moderator()


def _widget_file(name: str, media_type: str) -> Route:
    data = widget.served(name)

    async def serve(_request: Request) -> Response:
        return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})

    return Route(f"/{name}", serve)


async def _widget_catalogue(request: Request) -> Response:
    """One language's widget strings (`/embed/i18n/de.json`); an unknown language gets English (none).

    Public and the same for everyone, so any page may read it (no credentials are sent).
    """
    lang = i18n.negotiate(request.path_params["lang"])
    return Response(
        orjson.dumps(i18n.widget_messages(lang)),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


def _queue_sizes(services: Services) -> dict[str, int]:
    try:
        counts = services.queue.counts()
    except SQLAlchemyError:
        return {}  # /readyz says what is wrong; the other metrics are still worth scraping
    return {name: counts[name] for name in ("held", "pending", "reported")}


def schedule_jobs(scheduler: Scheduler, services: Services) -> None:
    """The server's periodic jobs: sending mail, delivering webhooks, moderators' digests, retention
    (readers' data, old mail and webhook deliveries), and recalibrating each site from its
    moderators' decisions when it is due."""
    scheduler.every(MAIL_SECONDS, "mail", services.outbox.send_pending)
    scheduler.every(WEBHOOK_SECONDS, "webhooks", services.webhooks.deliver_pending)
    scheduler.every(DIGEST_SECONDS, "digests", services.digests.send_due)
    scheduler.every(RETENTION_SECONDS, "retention", services.retention.sweep)
    scheduler.every(RETENTION_SECONDS, "mail-sweep", services.outbox.sweep)
    scheduler.every(RETENTION_SECONDS, "webhook-sweep", services.webhooks.sweep)
    scheduler.every(CLOSE_DUE_SECONDS, "close-due", services.stories.close_due)
    scheduler.every(AUTO_CLOSE_SECONDS, "auto-close", services.stories.sweep_auto_close)
    if services.config.calibrate_every_hours and services.config.moderation_enabled:
        every = timedelta(hours=services.config.calibrate_every_hours)
        scheduler.every(CALIBRATION_SECONDS, "calibration", lambda: services.calibration.run_due(every))
    services.outbox.wake = lambda: scheduler.wake("mail")
    services.webhooks.wake = lambda: scheduler.wake("webhooks")


WARM_SITES = 20  # sites whose moderation context is warmed before the server says ready
WARM_STORIES = 10  # of each, the most recently commented stories whose threads are encoded
WARM_SECONDS = 10.0  # at most, so that a server with many sites still starts soon
WARM_TEXT = "Looking forward to reading what happens next with this."


def _warm_sites(services: Services, rehearse: Callable[..., None] | None) -> None:
    """The first post's SQL and each site's context, compiled before the first reader pays for it;
    with the models on, each site's background and its busiest stories' threads too (~5 ms an
    unseen comment), for the first WARM_SITES sites and within WARM_SECONDS."""
    deadline = time.monotonic() + WARM_SECONDS
    for number, site in enumerate(services.sites.list()):
        services.comments.warm(site)
        if rehearse is not None and number < WARM_SITES and time.monotonic() < deadline:
            contexts = services.comments.contexts
            rehearse(contexts.site(site), contexts.rehearsals(site, WARM_STORIES, WARM_TEXT))


def create_app(
    config: Settings,
    *,
    storage: Storage | None = None,
    moderator: Moderator | None = None,
    clock: Clock = utcnow,
    extra_routes: list[BaseRoute] | None = None,
) -> Starlette:
    storage = storage or Storage(config.database_url)
    storage.check_migrations()
    if moderator is None:
        moderator = load_moderator(config)
    # Warmed in the lifespan, before uvicorn accepts a connection; /readyz says so until then.
    warm = getattr(moderator, "warm", None)
    # The pipeline itself, not the timed wrapper below: the warm-up is not counted as moderation.
    rehearse = getattr(moderator, "rehearse", None)
    warmup = health.Warmup() if warm is not None else None
    metrics = Metrics(queue_counts=lambda: _queue_sizes(services)) if config.metrics_enabled else None
    if metrics is not None and moderator is not None:
        moderator = metrics.timed(moderator)
    services = build_services(config, storage, resolve_secret(config), moderator=moderator, clock=clock)
    for declared in config.sites:
        services.sites.ensure(declared.id, declared.name, list(declared.origins))
    broker = make_broker(config.redis_url)
    writes = SlidingWindow(services.counters, "writes", config.write_rate_limit)
    state = ApiState(services, writes=RateLimit(writes, services.secret), broker=broker, metrics=metrics)
    # A change made here drops the cached story at once; one made elsewhere, when the broker hears of it.
    storage.on_change(state.threads.forget)
    storage.on_change(broker.publish)
    broker.observers.append(lambda story_id: state.threads.forget([story_id]))

    routes: list[BaseRoute] = [*health.routes(storage, config.redis_url, metrics, warmup)]
    routes.append(Mount("/api/v1", app=build_api(state)))
    routes.append(Mount("/admin", app=build_dashboard(services)))
    routes += mail_routes(services) + feed_routes(services)
    routes += [_widget_file(name, media_type) for name, media_type in widget.FILES.items()]
    routes.append(Route("/embed/i18n/{lang:str}.json", _widget_catalogue))
    routes += extra_routes or []

    scheduler = Scheduler()
    if config.background_jobs:
        schedule_jobs(scheduler, services)

    @contextlib.asynccontextmanager
    async def lifespan(the_app: Starlette) -> AsyncIterator[None]:
        if warm is not None and warmup is not None:
            await run_in_threadpool(warm)
        await run_in_threadpool(_warm_sites, services, rehearse)
        # The first request through every layer (middleware stacks, validators, thread pool).
        statuses = await rehearsal.rehearse(the_app)
        if statuses != [404, 404]:
            log.warning("warm-up requests answered %s, not 404: the first ones may be slower", statuses)
        # Everything alive now (models, tables, compiled statements: ~160,000 objects) lives as long
        # as the process: out of the collector's sight, a full collection no longer walks them all
        # (100-200 ms here, which was a post's or a read's p99 whenever it struck).
        gc.collect()
        gc.freeze()
        if warmup is not None:
            warmup.finish()
        await broker.start()
        await scheduler.start()
        yield
        await scheduler.stop()
        await broker.stop()
        storage.close()

    middleware = [
        Middleware(ObservedRequests, metrics=metrics),
        # Every layer below sees the reader's address, not the proxy's.
        Middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.trusted_proxies)),
        # Every route: bodies are counted as they arrive, chunked or not (the API caps lower inside).
        Middleware(BodyLimit, limit=max(config.max_body_bytes, DASHBOARD_MAX_BODY)),
        Middleware(ThreadFastPath, state=state, path="/api/v1/threads"),
        Middleware(GZipMiddleware, minimum_size=2048),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.services = services
    app.state.scheduler = scheduler  # add periodic jobs with scheduler.every(...) before start
    return app

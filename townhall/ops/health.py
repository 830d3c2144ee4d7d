"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database, migrations, and the
moderation models loaded and warmed; Redis is reported, but its absence only degrades the process)."""

from __future__ import annotations

import threading

import redis
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from townhall.ops.metrics import Metrics
from townhall.storage import Storage

REDIS_TIMEOUT = 2.0
# Checks whose failure leaves the process able to serve: while Redis is down the limits are counted
# in the database and live updates reach this process's readers only. Failing readiness for it
# would have a load balancer take every process out at once, closing comments everywhere.
DEGRADING = frozenset({"redis"})
WARMING = "warming up: the moderation models are not warm yet"


class Warmup:
    """Set once the process has warmed what its first requests would otherwise pay for."""

    def __init__(self) -> None:
        self._done = threading.Event()

    def finish(self) -> None:
        self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()


def _database(storage: Storage) -> tuple[str, str]:
    """("database" | "migrations", problem) or ("", "") when the schema is current."""
    try:
        current, head = storage.revisions()
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        return "database", f"the database does not answer: {type(cause).__name__}"
    if current != head:
        return "migrations", f"schema is at {current or 'nothing'}, needs {head}: run `townhall migrate`"
    return "", ""


def _redis(url: str) -> str:
    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"Redis does not answer: {type(exc).__name__}"
    finally:
        client.close()
    return ""


def readiness(storage: Storage, redis_url: str, warmup: Warmup | None = None) -> dict[str, str]:
    """Each check's result: "ok" or what is wrong (``warmup``: the models, when moderation is on)."""
    checks = {"database": "ok", "migrations": "ok"}
    failed, problem = _database(storage)
    if failed == "database":
        checks = {"database": problem, "migrations": "unknown: the database does not answer"}
    elif failed:
        checks["migrations"] = problem
    if redis_url:
        checks["redis"] = _redis(redis_url) or "ok"
    if warmup is not None:
        checks["models"] = "ok" if warmup.done else WARMING
    return checks


def routes(
    storage: Storage, redis_url: str, metrics: Metrics | None, warmup: Warmup | None = None
) -> list[Route]:
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def readyz(_request: Request) -> JSONResponse:
        checks = await run_in_threadpool(readiness, storage, redis_url, warmup)
        failing = {name: result for name, result in checks.items() if result != "ok"}
        problems = {name: result for name, result in failing.items() if name not in DEGRADING}
        if not problems:
            body: dict[str, object] = {"ok": True, "checks": checks}
            if failing:
                body["degraded"] = failing
            return JSONResponse(body, headers={"Cache-Control": "no-store"} if failing else None)
        message = "not ready: " + "; ".join(problems.values())
        body = {"error": {"code": "not_ready", "message": message, "fields": problems}}
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})

    found: list[Route] = [Route("/healthz", healthz), Route("/readyz", readyz)]
    if metrics is not None:

        async def scrape(_request: Request) -> Response:
            body, media_type = await run_in_threadpool(metrics.exposition)
            return Response(body, media_type=media_type)

        found.append(Route("/metrics", scrape))
    return found

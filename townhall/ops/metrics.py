"""Prometheus metrics, kept by the maintained ``prometheus_client`` library.

With one process, the metrics live in this app's own registry. With several worker processes
(``townhall serve --workers N``), ``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at an empty
directory before the workers start; each worker then writes its counters and histograms to
files there, and a scrape of any worker adds up every worker's files (prometheus_client's
multiprocess mode). Queue sizes are read from the database at scrape time, so they are the
same whichever worker answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from townhall.moderation.verdict import ModerationRequest, Moderator, Verdict

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MODEL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_ENV) or None


class QueueSizes(Collector):
    """``townhall_queue_size{queue}``: read from the database when Prometheus scrapes."""

    def __init__(self, counts: Callable[[], dict[str, int]]):
        self._counts = counts

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "townhall_queue_size", "Comments waiting for a moderator, by queue", labels=["queue"]
        )

    def describe(self) -> Iterable[Metric]:
        yield self._family()  # without asking the database at registration

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        for queue, size in self._counts().items():
            family.add_metric([queue], size)
        yield family


class Metrics:
    def __init__(self, queue_counts: Callable[[], dict[str, int]] | None = None):
        self.registry = CollectorRegistry(auto_describe=True)
        self._queue_counts = queue_counts
        self.requests = Counter(
            "townhall_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "townhall_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.comments = Counter(
            "townhall_comments",
            "New and edited comments, by moderation decision",
            ["decision"],
            registry=self.registry,
        )
        self.flags = Counter(
            "townhall_comment_flags",
            "Comments a signal held or rejected, by signal and decision",
            ["signal", "decision"],
            registry=self.registry,
        )
        self.model_latency = Histogram(
            "townhall_moderation_duration_seconds",
            "Time the local models took to assess one comment",
            buckets=MODEL_BUCKETS,
            registry=self.registry,
        )
        self.cache = Counter(
            "townhall_thread_cache_requests",
            "Thread page reads, answered from the rendered-page cache (hit) or rendered (miss)",
            ["result"],
            registry=self.registry,
        )
        if queue_counts is not None:
            self.registry.register(QueueSizes(queue_counts))

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def comment(self, decision: str, flagged_by: Iterable[str]) -> None:
        self.comments.labels(decision).inc()
        for signal in flagged_by:
            self.flags.labels(signal, decision).inc()

    def cache_result(self, hit: bool) -> None:
        self.cache.labels("hit" if hit else "miss").inc()

    def timed(self, moderator: Moderator) -> Moderator:
        return _TimedModerator(moderator, self.model_latency)

    def exposition(self) -> tuple[bytes, str]:
        """The text Prometheus scrapes: every worker's figures when several processes share them."""
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        if self._queue_counts is not None:
            registry.register(QueueSizes(self._queue_counts))
        return generate_latest(registry), CONTENT_TYPE_LATEST


class _TimedModerator:
    """The moderator, with each assessment's time recorded."""

    def __init__(self, inner: Moderator, histogram: Histogram):
        self.inner = inner
        self.histogram = histogram

    def assess(self, request: ModerationRequest) -> Verdict:
        started = time.perf_counter()
        try:
            return self.inner.assess(request)
        finally:
            self.histogram.observe(time.perf_counter() - started)

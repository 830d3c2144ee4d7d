"""A server with the models on says it is not ready until it has warmed them (in its lifespan,
before uvicorn accepts a connection)."""

from __future__ import annotations

import numpy as np
from starlette.testclient import TestClient

from tests.api.conftest import assert_error
from tests.conftest import ORIGIN, FakeClock
from townhall.app import create_app
from townhall.config import Settings
from townhall.moderation.embedder import Embedder
from townhall.moderation.pipeline import Models, Pipeline
from townhall.moderation.signals.off_topic import OffTopicSignal
from townhall.moderation.signals.spam import SpamSignal
from townhall.moderation.signals.toxicity import ToxicitySignal
from townhall.ops.health import WARMING
from townhall.services import build_services
from townhall.services.identity import guest
from townhall.storage import Storage


def test_readyz_says_not_ready_until_the_models_are_warm(
    config: Settings, clock: FakeClock, models: Models
) -> None:
    Storage(config.database_url).migrate()
    pipeline = Pipeline(models)
    client = TestClient(create_app(config, moderator=pipeline, clock=clock), base_url="http://townhall.test")
    # No lifespan yet: the app exists but has not warmed its models.
    error = assert_error(client.get("/readyz"), 503, "not_ready")
    assert error["fields"] == {"models": WARMING}
    assert client.get("/healthz").status_code == 200
    with client:  # the lifespan runs the warm-up before the first request is taken
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["models"] == "ok"


class CountingEmbedder:
    """The real encoder, noting every text it is asked to encode."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.version = inner.version
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts: list[str], max_tokens: int = 128) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts, max_tokens)


def test_the_first_post_after_start_encodes_only_itself(
    storage: Storage, config: Settings, clock: FakeClock, models: Models
) -> None:
    """Before it says ready, the server loads each site's background and its busiest stories'
    threads (the first post after start cost ten warm ones while it encoded them) and rehearses a
    post's write and its first requests, keeping nothing: the first real post encodes its own
    text and its author's name, nothing else, and no story or comment was added at start."""
    seeding = build_services(config, storage, "secret", moderator=Pipeline(models), clock=clock)
    site = seeding.sites.add("ledger", "The Ledger", [ORIGIN])
    urls = [f"{ORIGIN}/news/story-{n}" for n in range(3)]
    for n, url in enumerate(urls):
        text = f"The council met on day {n} to discuss the harbour bridge, buses and the budget."
        seeding.stories.push(site, url, {"title": f"Council meeting {n}", "text": text}, "test")
        for k in range(4):
            body = f"Reader comment {k} on meeting {n}: the bridge repairs and the bus lanes matter."
            seeding.comments.post(site, url, body, guest(f"Seed {n}-{k}", None, f"seed-{n}-{k}", "secret"))
    with storage.read() as tx:
        before = (len(tx.stories.list(site.id)), len(tx.comments.ids(site_id=site.id)))

    counting = CountingEmbedder(models.embedder)
    off_topic = OffTopicSignal(counting, background=[])  # type: ignore[arg-type]
    fresh = Models(counting, ToxicitySignal.load(vectors=off_topic.vectors), off_topic, SpamSignal())  # type: ignore[arg-type]
    app = create_app(config, storage=Storage(storage.url), moderator=Pipeline(fresh), clock=clock)
    with TestClient(app, base_url="http://townhall.test") as client:
        with storage.read() as tx:
            assert (len(tx.stories.list(site.id)), len(tx.comments.ids(site_id=site.id))) == before
        assert counting.texts  # the warm-up encoded the threads
        counting.texts.clear()
        body = "The bus lanes on the bridge should open before the repairs end, not after them."
        answer = client.post(
            "/api/v1/comments",
            json={"site": site.id, "url": urls[1], "body": body, "author_name": "Ada"},
            headers={"Origin": ORIGIN},
        )
        assert answer.status_code == 201, answer.text
    assert sorted(counting.texts) == sorted([body, "Ada"])

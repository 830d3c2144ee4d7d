"""/metrics in one process: requests by route template and status, latency, decisions, queues, cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from tests.api.conftest import READER, SITE, URL, post_comment
from tests.conftest import ORIGIN, FakeClock
from townhall.app import create_app
from townhall.config import Settings
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.types import Decision


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


class ToxicWhenShouted:
    """Holds comments written in capitals, as if the toxicity model had flagged them."""

    def assess(self, request: ModerationRequest) -> Verdict:
        if request.text.isupper():
            signals = {"toxicity": {"score": 0.95, "evidence": {}, "version": "t"}}
            return Verdict(Decision.HOLD, ("toxicity 0.95",), "", signals)
        return Verdict(
            Decision.PUBLISH, (), "", {"toxicity": {"score": 0.01, "evidence": {}, "version": "t"}}
        )


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    posted = post_comment(client).json()
    comment_id = posted["comment"]["id"]
    headers = {"X-Townhall-Edit-Token": posted["edit_token"]}
    assert client.get(f"/api/v1/comments/{comment_id}", headers=headers).status_code == 200
    assert client.get("/api/v1/comments/999999", headers=headers).status_code == 404
    assert client.get("/no/such/page").status_code == 404
    found = samples(client)
    route = "/api/v1/comments/{comment_id}"
    assert (
        value(found, "townhall_http_requests_total", method="POST", route="/api/v1/comments", status="201")
        == 1
    )
    assert value(found, "townhall_http_requests_total", method="GET", route=route, status="200") == 1
    assert value(found, "townhall_http_requests_total", method="GET", route=route, status="404") == 1
    assert value(found, "townhall_http_requests_total", method="GET", route="unmatched", status="404") == 1
    count = value(found, "townhall_http_request_duration_seconds_count", method="GET", route=route)
    assert count == 2
    assert not any("999999" in dict(labels).get("route", "") for _name, labels in found)


def test_fast_path_reads_and_cache_hits_are_counted(client: TestClient) -> None:
    post_comment(client)
    params = {"site": SITE, "url": URL}
    first = client.get("/api/v1/threads", params=params)
    second = client.get("/api/v1/threads", params=params)  # answered by the fast path, before routing
    third = client.get("/api/v1/threads", params=params, headers={"If-None-Match": first.headers["etag"]})
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 304)
    found = samples(client)
    reads = {
        status: value(
            found, "townhall_http_requests_total", method="GET", route="/api/v1/threads", status=status
        )
        for status in ("200", "304")
    }
    assert reads == {"200": 2, "304": 1}
    assert value(found, "townhall_thread_cache_requests_total", result="miss") == 1
    assert value(found, "townhall_thread_cache_requests_total", result="hit") == 2


def test_decisions_signals_queue_sizes_and_model_time(
    config: Settings, clock: FakeClock, migrated_sqlite: Path
) -> None:
    shutil.copyfile(migrated_sqlite, config.database_url.removeprefix("sqlite:///"))
    app = create_app(config, clock=clock, moderator=ToxicWhenShouted())
    app.state.services.sites.add(SITE, "The Ledger", [ORIGIN])
    with TestClient(app, base_url="http://townhall.test") as client:
        assert post_comment(client, "A calm remark about the bridge.").json()["status"] == "published"
        assert post_comment(client, "THIS BRIDGE IS A DISGRACE").json()["status"] == "held"
        assert post_comment(client, "WHO SIGNED THIS OFF").json()["status"] == "held"
        found = samples(client)
    assert value(found, "townhall_comments_total", decision="published") == 1
    assert value(found, "townhall_comments_total", decision="held") == 2
    assert value(found, "townhall_comment_flags_total", signal="toxicity", decision="held") == 2
    assert value(found, "townhall_queue_size", queue="held") == 2
    assert value(found, "townhall_queue_size", queue="reported") == 0
    assert value(found, "townhall_moderation_duration_seconds_count") == 3


def test_request_id_is_returned_and_a_bad_one_replaced(client: TestClient) -> None:
    mine = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.42"})
    assert mine.headers["x-request-id"] == "edge-7f3a.42"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 300})
    assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"].isalnum()
    error = post_comment(client, body="")
    assert error.status_code == 422 and error.headers["x-request-id"]
    assert READER  # the reader header is sent by post_comment


def test_metrics_can_be_switched_off(config: Settings, clock: FakeClock, migrated_sqlite: Path) -> None:
    shutil.copyfile(migrated_sqlite, config.database_url.removeprefix("sqlite:///"))
    app = create_app(config.model_copy(update={"metrics_enabled": False}), clock=clock)
    with TestClient(app, base_url="http://townhall.test") as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/healthz").headers["x-request-id"]

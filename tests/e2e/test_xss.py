"""The XSS proof of #9: every payload of our corpus, posted as a comment body, a guest's name, a
signed-in reader's claims and a report's note, is rendered in the widget and in the dashboard in
headless Chromium, and none runs.

A page-level hook replaces alert, confirm, prompt and print in every frame before any script runs
and records each call; Playwright's `dialog` event catches any that slips past it (another
frame's own functions). On top of execution, the rendered DOM is checked: no `on…` attribute
anywhere (neither the widget nor the dashboard uses inline handlers), and no javascript:,
vbscript: or data: URL in a link, source or form target.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, Page, expect

from tests import servers
from tests.e2e.xss_corpus import corpus, short
from townhall.cli.demo import DEMO_ADMIN, DEMO_PASSWORD
from townhall.config import load
from townhall.demo.content import article_url
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.services import build_services
from townhall.services.identity import guest
from townhall.storage import Storage
from townhall.types import Decision

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

HOOK = """
window.__xss = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = (...args) => { (window.top.__xss || window.__xss).push(name + '(' + args.join(',') + ')'); };
}
"""
DOM_CHECK = """
() => {
  const bad = [];
  const urls = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background'];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push(el.tagName + ' ' + name);
      const scheme = /^(javascript|vbscript|data):/.test(value);
      if (urls.includes(name) && scheme) bad.push(el.tagName + ' ' + name + '=' + value);
      if (name === 'srcdoc') bad.push(el.tagName + ' srcdoc');
    }
  }
  return bad;
}
"""
STORIES = ("night-bus-pilot", "flood-barrier-delay", "mayor-expenses-inquiry")


@dataclass
class Posted:
    url: str
    story_id: int = 0
    comment_ids: list[int] = field(default_factory=list)
    refused: int = 0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    port = servers.free_port()
    data = tmp_path_factory.mktemp("xss-demo")
    env = {"TOWNHALL_WRITE_RATE_LIMIT": "0", "TOWNHALL_PAGE_SIZE": "200", "TOWNHALL_MAX_PAGE_SIZE": "500"}
    args = ["demo", "--port", str(port), "--data-dir", str(data), "--no-models"]
    with servers.townhall(args, port, env=env) as url:
        yield url, data


def _sso_secret(data: Path) -> str:
    """Give the demo site an SSO secret, through the services, as `townhall site sso-secret` does."""
    config = load(
        overrides={"database_url": f"sqlite:///{data / 'demo.sqlite3'}", "moderation_enabled": False}
    )
    storage = Storage(config.database_url)
    try:
        return build_services(config, storage, "unused").sites.rotate_sso_secret("demo")
    finally:
        storage.close()


def _post_all(base: str, payloads: list[str], secret: str) -> dict[str, Posted]:
    """Bodies and names (half as replies, to fit one page) and SSO claims; then a report per body."""
    headers = {"Origin": base}
    stories = {
        kind: Posted(article_url(base, slug))
        for kind, slug in zip(("body", "name", "sso"), STORIES, strict=True)
    }
    client = httpx.Client(base_url=base, headers=headers, timeout=30)

    def post(kind: str, index: int, payload: str, parent: int | None) -> tuple[str, int | None]:
        data: dict[str, Any] = {"site": "demo", "url": stories[kind].url, "parent_id": parent}
        if kind == "body":
            data |= {"body": payload, "author_name": f"Reader {index}"}
        elif kind == "name":
            data |= {"body": f"A plain comment, number {index}.", "author_name": short(payload, 80)}
        else:
            claims = {
                "sub": f"sso-{index}",
                "name": short(payload, 80),
                "badge": short(payload, 40),
                "avatar": "https://news.example/a.png?" + payload,
                "exp": datetime.now(UTC) + timedelta(hours=1),
            }
            data |= {"body": payload, "sso_token": jwt.encode(claims, secret, algorithm="HS256")}
        response = client.post(
            "/api/v1/comments", json=data, headers={"X-Townhall-Reader": f"reader-{uuid.uuid4()}"}
        )
        assert response.status_code < 500, response.text
        return kind, response.json()["comment"]["id"] if response.status_code == 201 else None

    half = (len(payloads) + 1) // 2
    for kind in ("body", "name", "sso"):
        chosen = payloads if kind != "sso" else payloads[::4]
        with ThreadPoolExecutor(4) as pool:
            tops = list(pool.map(post, [kind] * half, range(half), chosen[:half], [None] * half))
            parents = [t for _k, t in tops if t is not None] or [None]
            rest = range(half, len(chosen))
            replies = list(
                pool.map(
                    post, [kind] * len(rest), rest, chosen[half:], [parents[i % len(parents)] for i in rest]
                )
            )
        ids = [i for _k, i in tops + replies if i is not None]
        stories[kind].comment_ids = ids
        stories[kind].refused = len(chosen) - len(ids)
    body_ids = stories["body"].comment_ids
    for comment_id, payload in zip(body_ids, payloads, strict=True):
        report = {"reason": "other", "note": payload[:500]}
        response = client.post(f"/api/v1/comments/{comment_id}/reports", json=report,
                               headers={"X-Townhall-Reader": f"reporter-{uuid.uuid4()}"})  # fmt: skip
        assert response.status_code == 202, response.text
    for posted in stories.values():
        thread = client.get(
            "/api/v1/threads", params={"site": "demo", "url": posted.url, "limit": 500}
        ).json()
        posted.story_id = thread["story"]["id"]
    client.close()
    return stories


class EvidenceOverPayloads:
    """Holds each comment with evidence built from its own text, so the dashboard's highlighting,
    word-list labels, nearest passage and extra evidence all carry the payload."""

    def assess(self, request: ModerationRequest) -> Verdict:
        text = request.text
        middle = len(text) // 2
        signals = {
            "toxicity": {
                "score": 0.91,
                "version": "xss",
                "evidence": {"spans": [{"start": 0, "end": middle, "text": text[:middle], "weight": 0.5},
                                       {"start": 1, "end": len(text), "text": text[1:], "weight": 0.4}]},
            },
            "words": {"score": 1.0, "version": "xss",
                      "evidence": {"matches": [{"start": 0, "end": len(text), "text": text, "word": text,
                                                "list": "suspect"}]}},
            "off_topic": {"score": 0.8, "version": "xss",
                          "evidence": {"nearest_passage": text, "similarity": 0.1, "note": text}},
        }  # fmt: skip
        return Verdict(Decision.HOLD, (f"held: {text}",), text, signals, "post")


def _hold_with_evidence(data: Path, base: str, payloads: list[str]) -> list[int]:
    """Comments held with payload-laden evidence, written into the running demo's database."""
    config = load(
        overrides={"database_url": f"sqlite:///{data / 'demo.sqlite3'}", "moderation_enabled": False}
    )
    storage = Storage(config.database_url)
    try:
        services = build_services(config, storage, "unused", moderator=EvidenceOverPayloads())
        site = services.sites.get("demo")
        url = article_url(base, STORIES[0])
        return [
            services.comments.post(site, url, payload, guest(f"Held {n}", None, f"held-{n}", "s")).comment.id
            for n, payload in enumerate(payloads)
        ]
    finally:
        storage.close()


def _executed(page: Page, dialogs: list[str]) -> list[str]:
    page.wait_for_timeout(300)  # handlers on load, error and focus fire within this
    ran = list(page.evaluate("window.__xss || []")) + dialogs
    return ran + [f"DOM: {problem}" for problem in page.evaluate(DOM_CHECK)]


def test_no_payload_runs_in_the_widget_or_the_dashboard(demo: tuple[str, Path], browser: Browser) -> None:
    base, data = demo
    payloads = corpus()
    assert len(payloads) >= 150
    stories = _post_all(base, payloads, _sso_secret(data))
    held = _hold_with_evidence(data, base, payloads[::6])
    context = browser.new_context()
    context.add_init_script(HOOK)
    page = context.new_page()
    page.set_default_timeout(20_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
    # The hooks work: a handler that does run is seen, by the hook and by the DOM check.
    page.set_content('<img src="nowhere.png" onerror="alert(0)">')
    assert _executed(page, dialogs)[:2] == ["alert(0)", "DOM: IMG onerror"]
    findings: dict[str, list[str]] = {}
    rendered = 0
    for kind, posted in stories.items():
        page.goto(posted.url)
        comments = page.locator(".townhall article.th-comment")
        expect(comments).to_have_count(len(posted.comment_ids) + _seeded(page, posted))
        rendered += len(posted.comment_ids)
        findings[f"widget {kind}"] = _executed(page, dialogs)

    # Through the widget's own form too: the author's fresh comment is drawn from the POST's answer,
    # and the name it remembers is put back in the form on the next visit.
    page.goto(stories["sso"].url)
    typed = payloads[1::50]
    for n, payload in enumerate(typed):
        form = page.locator(".townhall form.th-form").first
        form.locator("textarea[name=body]").fill(payload)
        name = form.locator("input[name=author_name]")
        if name.count() and name.is_visible():
            name.fill(short(payloads[n * 7], 80))
        posted_it = lambda r: r.url.endswith("/api/v1/comments") and r.request.method == "POST"  # noqa: E731
        with page.expect_response(posted_it):
            form.locator("button[type=submit]").click()
        expect(page.locator(".townhall article.th-own")).to_have_count(n + 1)
    page.reload()
    expect(page.locator(".townhall article.th-comment").first).to_be_visible()
    findings["widget form"] = _executed(page, dialogs)
    rendered += len(typed)

    page.goto(base + "/admin/login")
    page.get_by_label("Name").fill(DEMO_ADMIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header.top")).to_contain_text(DEMO_ADMIN)
    pages = [f"/admin/stories/{posted.story_id}" for posted in stories.values()]
    pages += [f"/admin/queue/reported?page={n}" for n in range(1, len(stories["body"].comment_ids) // 25 + 2)]
    pages += [f"/admin/comments/{i}" for posted in stories.values() for i in posted.comment_ids[::20]]
    pages += [f"/admin/comments/{i}" for i in held] + ["/admin/queue/held", "/admin/queue/held?page=2"]
    for path in pages:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        findings[f"dashboard {path}"] = _executed(page, dialogs)
    context.close()

    executed = {where: found for where, found in findings.items() if found}
    tried = sum(len(p.comment_ids) + p.refused for p in stories.values()) + len(stories["body"].comment_ids)
    tried += len(held) + len(typed)
    refused = sum(p.refused for p in stories.values())
    print(
        f"\nXSS corpus: {len(payloads)} payloads; {tried} placements (bodies, names, SSO claims, report "
        f"notes, moderation evidence, the widget's form); {refused} refused at the API; {rendered} "
        f"comments rendered in the widget, {len(pages)} dashboard pages; "
        f"executed: {sum(map(len, executed.values()))}"
    )
    assert not executed, executed
    assert stories["body"].refused == 0, "bodies are text: every payload is stored and rendered harmless"


def _seeded(page: Page, posted: Posted) -> int:
    """The demo's own sample comments on this story (shown beside ours)."""
    query = "'/api/v1/threads?site=demo&limit=500&url=' + encodeURIComponent(url)"
    total = page.evaluate(f"async (url) => (await (await fetch({query})).json())", posted.url)
    count = 0
    stack = list(total["comments"])
    while stack:
        node = stack.pop()
        count += 1
        stack += node.get("replies", [])
    return count - len(posted.comment_ids)

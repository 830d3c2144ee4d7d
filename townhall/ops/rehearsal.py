"""Requests the server sends itself before it says it is ready, so the first reader's don't pay.

A process's first request builds what later ones reuse: Starlette's and FastAPI's middleware
stacks, FastAPI's route and body validators, the anyio thread pool, the error and JSON paths.
That made the first post after start cost two to three warm ones. Before ``/readyz`` says 200
the app sends itself a comment and a thread read for a site that does not exist: each goes
through every layer a real one does (body parsing, the request model's validation,
dependencies, the route) and ends in the usual 404, so nothing is written. Rehearsals are
marked in the scope and left out of the request metrics.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Scope

MARK = "townhall.rehearsal"  # in the scope of a request the app sends itself
SITE = "-warm-up-"  # not a valid site id (they start with a letter or digit), so never a real site


def is_rehearsal(scope: Scope) -> bool:
    return bool(scope.get(MARK))


async def rehearse(app: ASGIApp, origin: str = "http://warm-up.invalid") -> list[int]:
    """Send the warm-up requests through ``app``; returns their statuses (404 expected)."""
    url = f"{origin}/warm-up"
    post = json.dumps(
        {"site": SITE, "url": url, "body": "A comment that warms the post path.", "author_name": "Warm-up"}
    ).encode()
    statuses = [
        await _request(app, "POST", "/api/v1/comments", b"", post),
        await _request(app, "GET", "/api/v1/threads", f"site={SITE}&url={url}".encode(), b""),
    ]
    return statuses


async def _request(app: ASGIApp, method: str, path: str, query: bytes, body: bytes) -> int:
    headers = [
        (b"host", b"127.0.0.1"),
        # No Origin: the CORS layer would fill its short-lived cache of allowed origins with the
        # sites as they are now, and a site added just after start would wait for it to expire.
        (b"accept", b"application/json"),
        (b"accept-language", b"en"),
    ]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        "state": {},
        MARK: True,
    }
    sent = False
    status = 0

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    try:
        await app(scope, receive, send)
    except Exception:  # noqa: BLE001 - a failed rehearsal must not stop the server from starting
        return status or 500
    return status

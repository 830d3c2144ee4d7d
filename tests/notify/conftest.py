"""A real SMTP server (aiosmtpd) and a real HTTP receiver on loopback, for mail and webhook tests."""

from __future__ import annotations

import contextlib
import email
import email.policy
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import ORIGIN, FakeClock
from tests.servers import free_port
from townhall.config import Settings
from townhall.services import Services, build_services
from townhall.storage import Storage

PUBLIC_URL = "https://comments.news.example"


class Inbox:
    """An SMTP server that keeps what it receives; it can be stopped and started on the same port."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[EmailMessage] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, seconds: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@contextlib.contextmanager
def running_inbox() -> Iterator[Inbox]:
    server = Inbox(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with running_inbox() as server:
        yield server


def mail_settings(config: Settings, port: int, **more: Any) -> Settings:
    return config.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "mail_from": "Comments <comments@news.example>",
            "public_url": PUBLIC_URL,
            "webhook_allow_private": True,  # the receiver is on loopback
            **more,
        }
    )


@pytest.fixture
def mail_config(config: Settings, inbox: Inbox) -> Settings:
    return mail_settings(config, inbox.port)


@pytest.fixture
def notify_services(storage: Storage, mail_config: Settings, clock: FakeClock) -> Services:
    return build_services(mail_config, storage, "test-secret", clock=clock)


@pytest.fixture
def site(notify_services: Services):
    return notify_services.sites.add("ledger", "The Ledger", [ORIGIN])


class Receiver:
    """An HTTP server that records each POST (headers and body) and answers with a chosen status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status: Callable[[int], int] = lambda _n: 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status(len(receiver.requests)))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/townhall"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait_for(self, count: int, seconds: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.requests


@contextlib.contextmanager
def running_receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server

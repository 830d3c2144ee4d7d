"""SMTP security and login against a real aiosmtpd: STARTTLS, implicit TLS, a wrong password and an
untrusted certificate; the password comes from the environment and `config show` masks it."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from pydantic import SecretStr

from tests.conftest import ORIGIN, FakeClock
from tests.notify.conftest import Inbox, mail_settings
from tests.servers import free_port
from townhall.cli import main
from townhall.config import Settings, load
from townhall.services import Services, build_services
from townhall.services.identity import guest
from townhall.storage import Storage
from townhall.types import ActorKind

USER, PASSWORD = "townhall", "smtp-pass-789"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl is in the Makefile's Debian packages)."""
    base = tmp_path_factory.mktemp("tls")
    cert, key = base / "cert.pem", base / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _login(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok)


class SecureInbox(Inbox):
    """The test inbox behind STARTTLS or implicit TLS, asking for a login."""

    def __init__(self, port: int, context: ssl.SSLContext, implicit: bool):
        super().__init__(port)
        self.context, self.implicit = context, implicit

    def start(self) -> None:
        options: dict[str, Any] = {"authenticator": _login, "auth_require_tls": True}
        if self.implicit:
            # aiosmtpd does not see the implicit TLS layer under it, so it must not ask for STARTTLS first.
            options.update(ssl_context=self.context, auth_require_tls=False)
        else:
            options.update(tls_context=self.context, require_starttls=True)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture(params=["starttls", "tls"])
def secure(
    request: pytest.FixtureRequest, certificate: tuple[Path, Path]
) -> Iterator[tuple[SecureInbox, str]]:
    inbox = SecureInbox(free_port(), _server_context(certificate), implicit=request.param == "tls")
    inbox.start()
    yield inbox, request.param
    inbox.stop()


def _services(storage: Storage, config: Settings, clock: FakeClock, inbox: Inbox, **more: Any) -> Services:
    settings = mail_settings(config, inbox.port, smtp_user=USER, **more)
    services = build_services(settings, storage, "test-secret", clock=clock)
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    comment = services.comments.post(
        site, f"{ORIGIN}/a", "Hello.", guest("Ana", None, "reader-ana-0123456789", "s")
    )
    services.notices.subscribe(site, comment.comment, "ana@example.org")
    return services


def test_login_over_starttls_and_tls_with_a_trusted_certificate(
    sqlite_storage: Storage, config: Settings, clock: FakeClock, secure, certificate, monkeypatch
) -> None:
    inbox, security = secure
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test's own CA, as an operator would
    services = _services(
        sqlite_storage, config, clock, inbox, smtp_security=security, smtp_password=SecretStr(PASSWORD)
    )
    assert services.outbox.send_pending().sent == 1
    (message,) = inbox.wait_for(1)
    assert message["To"] == "ana@example.org"


def test_a_wrong_password_or_an_untrusted_certificate_is_retried_not_lost(
    sqlite_storage: Storage, config: Settings, clock: FakeClock, secure, certificate, monkeypatch
) -> None:
    inbox, security = secure
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    services = _services(
        sqlite_storage,
        config,
        clock,
        inbox,
        smtp_security=security,
        smtp_password=SecretStr("wrong"),
        smtp_timeout=2.0,
    )
    assert services.outbox.send_pending().failed == 1
    # Refused login (or the server hanging up on it): an error kept with the message, tried again later.
    assert services.outbox.recent()[0]["last_error"].startswith(
        ("SMTPAuthenticationError", "SMTPServerDisconnected")
    )
    monkeypatch.delenv("SSL_CERT_FILE")  # now the certificate is not trusted
    right = mail_settings(
        config, inbox.port, smtp_user=USER, smtp_security=security, smtp_password=SecretStr(PASSWORD)
    )
    services = build_services(right, sqlite_storage, "test-secret", clock=clock)
    clock.advance(minutes=2)
    assert services.outbox.send_pending().failed == 1
    assert "CERTIFICATE_VERIFY_FAILED" in services.outbox.recent()[0]["last_error"]
    assert inbox.messages == []
    assert services.outbox.counts() == {"sent": 0, "failed": 0, "waiting": 1}


def test_password_from_the_environment_is_masked_and_send_pending_runs_from_cron(
    tmp_path: Path, inbox: Inbox
) -> None:
    database = f"sqlite:///{tmp_path / 'townhall.sqlite3'}"
    env = {
        "TOWNHALL_SECRET_KEY": "cli-secret",
        "TOWNHALL_SMTP_HOST": "127.0.0.1",
        "TOWNHALL_SMTP_PORT": str(inbox.port),
        "TOWNHALL_SMTP_SECURITY": "none",
        "TOWNHALL_SMTP_PASSWORD": "very-secret-smtp",
        "TOWNHALL_MAIL_FROM": "comments@news.example",
        "TOWNHALL_PUBLIC_URL": "https://comments.news.example",
        "TOWNHALL_FETCH_ARTICLES": "false",
        "TOWNHALL_MODERATION_ENABLED": "false",
    }
    runner = CliRunner()
    shown = runner.invoke(main, ["--database-url", database, "config", "show"], env=env)
    assert shown.exit_code == 0 and "very-secret-smtp" not in shown.output
    assert "smtp_password = '********'" in shown.output
    assert runner.invoke(main, ["--database-url", database, "migrate"], env=env).exit_code == 0
    settings = load(environ=env, overrides={"database_url": database})
    storage = Storage(database)
    services = build_services(
        settings.model_copy(update={"smtp_password": SecretStr("")}), storage, "cli-secret"
    )
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    comment = services.comments.post(
        site, f"{ORIGIN}/a", "Hi.", guest("Ana", None, "reader-ana-0123456789", "s")
    )
    services.notices.subscribe(site, comment.comment, "ana@example.org")
    storage.close()
    sent = runner.invoke(main, ["--database-url", database, "mail", "send-pending"], env=env)
    assert sent.exit_code == 0, sent.output
    assert sent.output.startswith("sent 1, failed 0")
    assert len(inbox.wait_for(1)) == 1
    status = runner.invoke(main, ["--database-url", database, "mail", "status"], env=env)
    assert (
        "sent 1, waiting 0, given up 0" in status.output and "confirm\tana@example.org\tsent" in status.output
    )


def test_story_close_due_from_the_cli(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'townhall.sqlite3'}"
    env = {"TOWNHALL_SECRET_KEY": "cli-secret", "TOWNHALL_FETCH_ARTICLES": "false"}
    runner = CliRunner()
    assert runner.invoke(main, ["--database-url", database, "migrate"], env=env).exit_code == 0
    storage = Storage(database)
    settings = load(
        overrides={"database_url": database, "fetch_articles": False, "moderation_enabled": False}
    )
    services = build_services(settings, storage, "cli-secret")
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    story = services.stories.resolve(site, f"{ORIGIN}/a")
    services.stories.schedule_close(
        story.id, story.created_at.replace(year=2020), ActorKind.PUBLISHER, "editor"
    )
    storage.close()
    result = runner.invoke(main, ["--database-url", database, "story", "close-due"], env=env)
    assert result.exit_code == 0 and result.output == "closed 1 story past their closing date\n", (
        result.output
    )

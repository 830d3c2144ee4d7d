"""What e-mail and webhooks cost, on this machine, with real servers on loopback.

1. Posting: the time to post a reply through the comment service (SQLite) with nothing
   listening, with a confirmed reply subscription on the parent (a notice is queued in the same
   transaction), and with three webhooks on the site (five deliveries queued per reply).
2. Draining: messages sent per second from the outbox to a local aiosmtpd server, and
   webhook deliveries per second to a local HTTP receiver (both single-threaded senders, as the
   server's jobs are).

Run: .venv/bin/python bench/notify.py [--posts 300] [--messages 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.notify.conftest import Receiver, mail_settings, running_inbox  # noqa: E402
from townhall.config import load  # noqa: E402
from townhall.services import Services, build_services  # noqa: E402
from townhall.services.identity import guest  # noqa: E402
from townhall.storage import Storage  # noqa: E402

ORIGIN = "https://news.example"


def _services(base: Path, name: str, smtp_port: int) -> Services:
    url = f"sqlite:///{base / name}.sqlite3"
    config = load(overrides={"database_url": url, "fetch_articles": False, "moderation_enabled": False})
    storage = Storage(url)
    storage.migrate()
    return build_services(mail_settings(config, smtp_port), storage, "bench-secret")


def _post_times(services: Services, posts: int, parent_id: int) -> list[float]:
    site = services.sites.get("ledger")
    times = []
    for n in range(posts):
        reader = guest(f"Reader {n}", None, f"reader-{n:04d}-0123456789", "s")
        start = time.perf_counter()
        services.comments.post(site, f"{ORIGIN}/story", f"Reply number {n}.", reader, parent_id=parent_id)
        times.append(time.perf_counter() - start)
    return times


def _scenario(
    base: Path, name: str, smtp_port: int, posts: int, receiver: Receiver | None, notify: bool
) -> list[float]:
    services = _services(base, name, smtp_port)
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    parent = services.comments.post(
        site, f"{ORIGIN}/story", "Top.", guest("Ana", None, "reader-ana-0123456789", "s")
    )
    if notify:
        sub = services.notices.subscribe(site, parent.comment, "ana@example.org")
        services.notices.confirm(services.notices.token("confirm", sub.subscription_id))
    if receiver is not None:
        for _ in range(3):
            services.webhooks.add(site.id, receiver.url)
    return _post_times(services, posts, parent.comment.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    receiver = Receiver()
    receiver.thread.start()
    with running_inbox() as inbox, tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        print(f"posting {args.posts} replies (SQLite, moderation off), median / p95 per post:")
        for label, hooks, notify in (
            ("nothing listening", None, False),
            ("reply subscription", None, True),
            ("3 webhooks", receiver, False),
        ):
            times = sorted(_scenario(base, label.replace(" ", "-"), inbox.port, args.posts, hooks, notify))
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"  {label:20s} {statistics.median(times) * 1000:6.2f} ms / {p95 * 1000:6.2f} ms")

        services = _services(base, "drain", inbox.port)
        site = services.sites.add("ledger", "The Ledger", [ORIGIN])
        with services.storage.write() as tx:
            for n in range(args.messages):
                services.outbox.queue(tx, "bench", f"reader{n}@example.org", "Bench", "Hello.\n")
        start = time.perf_counter()
        sent = 0
        while (report := services.outbox.send_pending()).sent:
            sent += report.sent
        elapsed = time.perf_counter() - start
        inbox.wait_for(args.messages)
        print(f"outbox → aiosmtpd: {sent} messages in {elapsed:.2f} s = {sent / elapsed:.0f} messages/s")

        services.webhooks.add(site.id, receiver.url)
        for _ in range(args.messages):
            services.webhooks.send_test(services.webhooks.list(site.id)[0].id)
        start = time.perf_counter()
        delivered = 0
        while (result := services.webhooks.deliver_pending()).delivered:
            delivered += result.delivered
        elapsed = time.perf_counter() - start
        print(f"webhooks → receiver: {delivered} deliveries in {elapsed:.2f} s = {delivered / elapsed:.0f}/s")
    receiver.server.shutdown()
    receiver.server.server_close()


if __name__ == "__main__":
    main()

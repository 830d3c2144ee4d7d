"""Several server processes that share one copy of the moderation models (``serve --workers N``).

Uvicorn's own worker supervisor starts each worker with ``spawn``: every worker imports
everything again and loads its own models. Here the parent loads and warms the models once,
binds the socket, and forks the workers; the weights (ONNX Runtime's buffers, numpy arrays)
are never written after loading, so their pages stay shared copy-on-write between the workers
(figures in docs/architecture.md). Each worker then builds its own app, database pool and
caches (nothing with a connection or a thread crosses the fork) and runs uvicorn on the
shared socket. The parent forwards SIGINT/SIGTERM and starts a new worker if one dies.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

import uvicorn

from townhall.config import Settings
from townhall.moderation.verdict import Moderator

RESTART_PAUSE = 1.0  # seconds between restarts of a worker that keeps dying


def serve_forked(settings: Settings, moderator: Moderator | None, uvicorn_options: dict[str, Any]) -> None:
    """Run ``settings.workers`` forked workers on one socket until SIGINT/SIGTERM."""
    config = uvicorn.Config(
        "townhall.app:create_app", host=settings.host, port=settings.port, **uvicorn_options
    )
    sock = config.bind_socket()
    children: set[int] = set()
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for _ in range(settings.workers):
        children.add(_fork_worker(settings, moderator, sock, uvicorn_options))
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        children.discard(pid)
        if not stopping:
            time.sleep(RESTART_PAUSE)
            children.add(_fork_worker(settings, moderator, sock, uvicorn_options))
    sock.close()


def _fork_worker(
    settings: Settings, moderator: Moderator | None, sock: socket.socket, uvicorn_options: dict[str, Any]
) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from prometheus_client import values  # noqa: PLC0415

        from townhall.app import create_app  # noqa: PLC0415

        # The parent imported prometheus_client before `serve` chose the multiprocess directory:
        # this worker's metrics are files of its own in that directory (multiprocess mode).
        values.ValueClass = values.get_value_class()
        app = create_app(settings, moderator=moderator)
        server = uvicorn.Server(uvicorn.Config(app, **uvicorn_options))
        server.run(sockets=[sock])
    except BaseException:  # noqa: BLE001 - a worker reports and exits; the parent starts another
        import traceback  # noqa: PLC0415

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

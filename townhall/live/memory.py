"""In-process fan-out of story-change events to the listeners on this process's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable

MAX_PENDING = 16  # a slow listener only needs to know "something changed"


class MemoryBroker:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queues: dict[int, set[asyncio.Queue[int]]] = {}
        self.observers: list[Callable[[int], None]] = []  # told of every change, from any process

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self._loop = None

    def publish(self, story_ids: Iterable[int]) -> None:
        """Thread-safe: called by storage after a commit, from a worker thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        for story_id in set(story_ids):
            loop.call_soon_threadsafe(self.deliver, story_id)

    def deliver(self, story_id: int) -> None:
        for observer in self.observers:
            observer(story_id)
        for queue in list(self._queues.get(story_id, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(story_id)

    @contextlib.asynccontextmanager
    async def listen(self, story_id: int) -> AsyncIterator[asyncio.Queue[int]]:
        queue: asyncio.Queue[int] = asyncio.Queue(MAX_PENDING)
        self._queues.setdefault(story_id, set()).add(queue)
        try:
            yield queue
        finally:
            listeners = self._queues.get(story_id)
            if listeners is not None:
                listeners.discard(queue)
                if not listeners:
                    del self._queues[story_id]

    def listener_count(self) -> int:
        return sum(len(queues) for queues in self._queues.values())

"""Story-change events relayed through Redis pub/sub, for several server processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import redis
import redis.asyncio as aioredis

from townhall.live.memory import MemoryBroker

log = logging.getLogger(__name__)

CHANNEL = "townhall:story"


class RedisBroker(MemoryBroker):
    """Publishes to Redis; one subscription per process fans events out to local listeners."""

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self._publisher = redis.Redis.from_url(url)
        self._relay: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        self._relay = asyncio.create_task(self._run_relay())

    async def stop(self) -> None:
        if self._relay is not None:
            self._relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay
        self._publisher.close()
        await super().stop()

    def publish(self, story_ids: Iterable[int]) -> None:
        for story_id in set(story_ids):
            try:
                self._publisher.publish(CHANNEL, str(story_id))
            except redis.RedisError as exc:
                # Live updates are a convenience: readers still see the change on their next load.
                log.warning("could not publish a live update to Redis: %s", exc)
                super().publish([story_id])

    async def _run_relay(self) -> None:
        while True:
            client = aioredis.Redis.from_url(self.url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self.deliver(int(message["data"]))
            except (redis.RedisError, OSError, ValueError) as exc:
                log.warning("live updates: Redis subscription lost (%s); retrying", exc)
                await asyncio.sleep(1)
            finally:
                await client.aclose()

"""Live updates: "this story's thread changed" events, for open widgets and dashboards.

``MemoryBroker`` serves one process. ``RedisBroker`` relays the same events through Redis
pub/sub, so readers connected to any process hear about a comment posted through another.
Storage calls ``publish`` (from any thread) after each committed change; the SSE route
``listen``s on the event loop.
"""

from __future__ import annotations

from townhall.live.memory import MemoryBroker
from townhall.live.redis import RedisBroker

__all__ = ["Broker", "MemoryBroker", "RedisBroker", "make_broker"]

Broker = MemoryBroker


def make_broker(redis_url: str) -> MemoryBroker:
    return RedisBroker(redis_url) if redis_url else MemoryBroker()

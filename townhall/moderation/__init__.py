"""Article-aware moderation: independent signals, one policy.

``build_moderator()`` loads the shipped models once (offline) and returns the pipeline the
comment service calls for every new or edited comment. Moderation reads no storage: the services
hand it each comment's context (``verdict.ModerationRequest``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from townhall.moderation.pipeline import Pipeline

__all__ = ["build_moderator"]

SERVER_ARTICLE_CACHE = 256


def build_moderator(threads: int = 1) -> Pipeline:
    # Imported here so that the CLI and a server with moderation off never load the models.
    from townhall.moderation.pipeline import Models, Pipeline  # noqa: PLC0415

    # ~30 kB a real article in memory; the stories table keeps every one (loading it back costs
    # about 1 ms), so the server keeps only the recently commented stories here.
    return Pipeline(Models.load(threads=threads), article_cache=SERVER_ARTICLE_CACHE)

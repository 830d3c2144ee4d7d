"""Article-aware moderation: independent signals, one policy.

``build_moderator(storage)`` loads the shipped models once (offline) and returns the pipeline
the comment service calls for every new or edited comment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from townhall.storage import Storage

if TYPE_CHECKING:
    from townhall.moderation.pipeline import Pipeline

__all__ = ["build_moderator"]


def build_moderator(storage: Storage, threads: int = 1) -> Pipeline:
    # Imported here so that the CLI and a server with moderation off never load the models.
    from townhall.moderation.pipeline import Models, Pipeline  # noqa: PLC0415

    return Pipeline(storage, Models.load(threads=threads))

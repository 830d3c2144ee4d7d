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


def build_moderator(threads: int = 1) -> Pipeline:
    # Imported here so that the CLI and a server with moderation off never load the models.
    from townhall.moderation.pipeline import Models, Pipeline  # noqa: PLC0415

    return Pipeline(Models.load(threads=threads))

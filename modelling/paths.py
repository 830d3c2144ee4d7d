"""Where the scripts find the labelled data and write the artefacts."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TOWNHALL_DATA", REPO.parent / "shared" / "data"))
ARTEFACTS = REPO / "townhall" / "moderation" / "artefacts"

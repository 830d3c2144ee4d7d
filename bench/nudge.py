"""How often the pre-submit nudge asks, on the self-written labelled comments of the calibration
test (comments about other stories of the site, hostile ones, on-topic ones), with the models
and default thresholds as shipped. Run: .venv/bin/python bench/nudge.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.moderation.test_calibration import HOSTILE, ON_TOPIC, TANGENTS, _site  # noqa: E402
from townhall.config import load  # noqa: E402
from townhall.moderation.pipeline import Models, Pipeline  # noqa: E402
from townhall.services import build_services  # noqa: E402
from townhall.storage import Storage  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="townhall-nudge-") as tmp:
        storage = Storage(f"sqlite:///{tmp}/nudge.sqlite3")
        storage.migrate()
        config = load(overrides={"database_url": storage.url, "fetch_articles": False, "secret_key": "bench"})
        services = build_services(config, storage, "bench", moderator=Pipeline(Models.load()))
        site = _site(services, "ledger")
        site = services.sites.update_settings(site.id, {"nudge": True})
        url = f"{site.origins[0]}/news/night-bus-pilot"
        for kind, texts in (("about other stories", TANGENTS), ("hostile", HOSTILE), ("on-topic", ON_TOPIC)):
            asked = [services.nudge.check(site, url, text) for text in texts]
            off = sum("off_topic" in a.concerns for a in asked)
            tox = sum("toxicity" in a.concerns for a in asked)
            count = sum(a.ask for a in asked)
            print(f"{kind}: asked {count} of {len(texts)} (off-topic {off}, uncivil {tox})")
        storage.close()


if __name__ == "__main__":
    main()

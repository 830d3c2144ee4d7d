from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ORIGIN
from townhall.models import Site
from townhall.services import Services

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def site(services: Services) -> Site:
    return services.sites.add("gazette", "The Harbour Gazette", [ORIGIN])


def counts(services: Services) -> dict[str, int]:
    with services.storage.read() as tx:
        return {name: count for name, count in tx.dump.counts().items() if count}

"""The widget readers download stays small: embed.js and embed.css as served, gzipped, ≤ 12 KiB."""

from __future__ import annotations

import gzip

from townhall import widget

BUDGET = 12 * 1024


def test_the_served_widget_fits_the_budget() -> None:
    sizes = {name: len(gzip.compress(widget.served(name), 9)) for name in widget.FILES}
    assert sum(sizes.values()) <= BUDGET, sizes
    for name in widget.FILES:  # minified: smaller than the readable source, nothing lost that matters
        assert len(widget.served(name)) < len(widget.source(name).encode())
    assert b"comments/check" in widget.served("embed.js")

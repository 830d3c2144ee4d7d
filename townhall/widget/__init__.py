"""The embeddable widget: hand-written embed.js and embed.css, served minified.

The files in ``static/`` are kept readable; the server minifies them once, at start (jsmin and
csscompressor: whitespace and comments out, nothing renamed), which is what readers download.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import csscompressor
import jsmin

FILES = {"embed.js": "text/javascript; charset=utf-8", "embed.css": "text/css; charset=utf-8"}


def source(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


@cache
def served(name: str) -> bytes:
    """The file as readers get it."""
    text = source(name)
    small = jsmin.jsmin(text, quote_chars="'\"`") if name.endswith(".js") else csscompressor.compress(text)
    return small.encode("utf-8")

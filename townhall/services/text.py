"""Comment bodies: Markdown rendered once, on write, to sanitised HTML."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    ["image", "heading", "lheading"]
)

_TAGS = {"p", "br", "strong", "em", "a", "code", "pre", "blockquote", "ul", "ol", "li", "del", "hr"}
_ATTRIBUTES = {"a": {"href"}}


def render(body: str) -> str:
    """Markdown → HTML a page can show: no scripts, handlers or javascript: URLs; links marked ugc."""
    html = _markdown.render(body)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    ).strip()


def plain(text: str) -> str:
    """Collapse whitespace: names and reasons are shown as plain text."""
    return " ".join(text.split())

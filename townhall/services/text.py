"""Comment bodies: Markdown rendered once, on write, to sanitised HTML."""

from __future__ import annotations

import html as htmllib
import re

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    ["image", "heading", "lheading"]
)

_TAGS = {"p", "br", "strong", "em", "a", "code", "pre", "blockquote", "ul", "ol", "li", "del", "hr"}
_ATTRIBUTES = {"a": {"href"}}


def render(body: str) -> str:
    """Markdown → HTML a page can show: no scripts, handlers or javascript: URLs; links marked ugc."""
    return sanitise(_markdown.render(body))


def sanitise(html: str) -> str:
    """Any HTML → the small set of tags and attributes a comment may have."""
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


_BREAKS = re.compile(r"<br\s*/?>|</(?:li|blockquote|pre)>", re.IGNORECASE)


def from_html(source: str) -> tuple[str, str]:
    """An imported HTML comment → (plain-text body, sanitised HTML)."""
    html = sanitise(source)
    text = htmllib.unescape(nh3.clean(_BREAKS.sub("\n", html).replace("</p>", "\n\n"), tags=set()))
    body = "\n".join(line.strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", body).strip(), html


def from_wordpress(source: str) -> tuple[str, str]:
    """WordPress comment text (inline HTML, blank lines between paragraphs) → (body, HTML)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", source.replace("\r\n", "\n")) if p.strip()]
    html = "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in paragraphs)
    return from_html(html)

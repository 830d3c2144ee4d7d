"""Disqus XML export: <category>, then <thread dsq:id> elements, then <post dsq:id> elements.

A post names its thread (<thread dsq:id="…"/>) and, for a reply, its parent (<parent dsq:id/>);
<isDeleted>, <isSpam> and (in newer exports) <isApproved> give its status.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from townhall.importers import dates
from townhall.importers.records import Record, Skipped, SourceAuthor, SourceComment, SourceStory
from townhall.importers.xml import child, child_text, items, local
from townhall.types import CommentStatus

SOURCE = "disqus"
_ID = "{http://disqus.com/disqus-internals}id"


def _flag(element: Element, name: str, default: bool = False) -> bool:
    text = child_text(element, name).lower()
    return default if not text else text == "true"


def _ref(element: Element, name: str) -> str | None:
    found = child(element, name)
    return found.get(_ID) if found is not None else None


def _author(post: Element) -> SourceAuthor:
    author = child(post, "author")
    if author is None:
        return SourceAuthor("anonymous", "Anonymous")
    name = child_text(author, "name") or "Anonymous"
    email = child_text(author, "email") or None
    username = child_text(author, "username")
    if username and not _flag(author, "isAnonymous"):
        key = f"user:{username}"
    elif email:
        key = f"email:{email.lower()}"
    else:
        key = f"name:{name.lower()}"
    return SourceAuthor(key, name, email)


def _status(post: Element) -> CommentStatus:
    if _flag(post, "isDeleted"):
        return CommentStatus.DELETED
    if _flag(post, "isSpam"):
        return CommentStatus.REJECTED
    if not _flag(post, "isApproved", default=True):
        return CommentStatus.HELD
    return CommentStatus.PUBLISHED


def _thread(element: Element) -> Record:
    source_id, url = element.get(_ID), child_text(element, "link")
    if not source_id or not url:
        return Skipped("thread without an id or link")
    if _flag(element, "isDeleted"):
        return Skipped("thread deleted in Disqus")
    created = dates.iso(child_text(element, "createdAt"))
    return SourceStory(source_id, url, child_text(element, "title"), created, _flag(element, "isClosed"))


def _post(element: Element) -> Record:
    source_id, story_id = element.get(_ID), _ref(element, "thread")
    created = dates.iso(child_text(element, "createdAt"))
    if not source_id or not story_id:
        return Skipped("post without an id or thread")
    if created is None:
        return Skipped("post without a valid date")
    return SourceComment(
        source_id=source_id,
        story_id=story_id,
        parent_id=_ref(element, "parent"),
        author=_author(element),
        text=child_text(element, "message"),
        markup="html",
        created_at=created,
        status=_status(element),
    )


def read(path: Path) -> Iterator[Record]:
    """Stories and comments from a Disqus export, in file order."""
    for element in items(path, "disqus", 1, "a Disqus export (<disqus> with threads and posts)"):
        name = local(element.tag)
        if name == "thread":
            yield _thread(element)
        elif name == "post":
            yield _post(element)

"""WordPress eXtended RSS (WXR, Tools → Export): <rss><channel><item>…</item></channel></rss>.

Each <item> is a post or page with its <wp:comment> elements inside; the wp namespace carries
the export version (http://wordpress.org/export/1.2/). <wp:comment_status>closed</…> closes the
story; <wp:comment_approved> is 1, 0 (pending), spam or trash.

WordPress itself keeps no votes on comments; voting plugins keep them in the comment's meta,
exported as <wp:commentmeta><wp:meta_key>…</wp:meta_key><wp:meta_value>…</wp:meta_value>. Read:
Comments Like Dislike (cld_like_count, cld_dislike_count) and wpDiscuz (wpdiscuz_votes_seperate,
a PHP-serialised {like, dislike}, else wpdiscuz_votes, the net total).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from townhall.importers import dates
from townhall.importers.records import Record, Skipped, SourceAuthor, SourceComment, SourceStory
from townhall.importers.xml import child_text, items, local
from townhall.types import CommentStatus

SOURCE = "wordpress"
_STATUS = {
    "1": CommentStatus.PUBLISHED,
    "approve": CommentStatus.PUBLISHED,
    "0": CommentStatus.HELD,
    "hold": CommentStatus.HELD,
    "spam": CommentStatus.REJECTED,
    "trash": CommentStatus.DELETED,
    "post-trashed": CommentStatus.DELETED,
}


def _author(comment: Element) -> SourceAuthor:
    name = child_text(comment, "comment_author") or "Anonymous"
    email = child_text(comment, "comment_author_email") or None
    user_id = child_text(comment, "comment_user_id")
    if user_id and user_id != "0":
        key = f"user:{user_id}"  # a registered WordPress user
    elif email:
        key = f"email:{email.lower()}"
    else:
        key = f"name:{name.lower()}"
    return SourceAuthor(key, name, email)


def _comment(element: Element, story_id: str) -> Record:
    source_id = child_text(element, "comment_id")
    kind = child_text(element, "comment_type")
    if kind in ("pingback", "trackback"):
        return Skipped(f"{kind} (not a reader's comment)")
    status = _STATUS.get(child_text(element, "comment_approved").lower())
    created = dates.wordpress(child_text(element, "comment_date_gmt")) or dates.wordpress(
        child_text(element, "comment_date")
    )
    if not source_id:
        return Skipped("comment without an id")
    if status is None:
        return Skipped("comment with an unknown approval status")
    if created is None:
        return Skipped("comment without a valid date")
    parent = child_text(element, "comment_parent")
    upvotes, downvotes = _votes(element)
    return SourceComment(
        source_id=source_id,
        story_id=story_id,
        parent_id=parent if parent and parent != "0" else None,
        author=_author(element),
        text=child_text(element, "comment_content"),
        markup="wordpress",
        created_at=created,
        status=status,
        upvotes=upvotes,
        downvotes=downvotes,
    )


def _meta(element: Element) -> dict[str, str]:
    meta = {}
    for entry in element:
        if local(entry.tag) == "commentmeta":
            meta[child_text(entry, "meta_key")] = child_text(entry, "meta_value")
    return meta


def _number(text: str | None) -> int:
    try:
        value = int((text or "").strip())
    except ValueError:
        return 0
    return value if abs(value) < 10_000_000 else 0


def _votes(element: Element) -> tuple[int, int]:
    """(up, down) from a voting plugin's comment meta; (0, 0) when there is none."""
    meta = _meta(element)
    if "cld_like_count" in meta or "cld_dislike_count" in meta:
        return max(0, _number(meta.get("cld_like_count"))), max(0, _number(meta.get("cld_dislike_count")))
    separate = meta.get("wpdiscuz_votes_seperate", "")  # sic: the plugin's spelling
    found = dict(re.findall(r's:\d+:"(like|dislike)";i:(\d+);', separate))
    if found:
        return _number(found.get("like")), _number(found.get("dislike"))
    net = _number(meta.get("wpdiscuz_votes"))
    return (net, 0) if net > 0 else (0, -net)


def _item(item: Element) -> Iterator[Record]:
    comments = [c for c in item if local(c.tag) == "comment"]
    if not comments:
        return  # a post nobody commented on is not a story here
    story_id, url = child_text(item, "post_id"), child_text(item, "link")
    if not story_id or not url:
        yield Skipped("post without an id or link")
        for _comment_element in comments:
            yield Skipped("its thread was skipped")
        return
    created = dates.wordpress(child_text(item, "post_date_gmt"))
    closed = child_text(item, "comment_status") == "closed"
    yield SourceStory(story_id, url, child_text(item, "title"), created, closed)
    # WordPress lists a post's comments in id order, parents first as a rule.
    yield from (_comment(c, story_id) for c in comments)


def read(path: Path) -> Iterator[Record]:
    """Stories and comments from a WXR file, one <item> at a time."""
    for element in items(path, "channel", 2, "a WordPress export (WXR: <rss><channel><item>)"):
        if local(element.tag) == "item":
            yield from _item(element)

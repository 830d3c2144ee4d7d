"""Row → model conversions shared by the repositories."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import RowMapping

from townhall.models import Author, Comment, Site, SiteSettings, Story
from townhall.types import AuthorKind, CommentStatus


def site(row: RowMapping) -> Site:
    return Site(
        id=row["id"],
        name=row["name"],
        origins=tuple(row["origins"]),
        settings=SiteSettings.from_dict(row["settings"]),
        sso_secret=row["sso_secret"],
        created_at=row["created_at"],
    )


def story(row: RowMapping) -> Story:
    return Story(
        id=row["id"],
        site_id=row["site_id"],
        url=row["url"],
        title=row["title"],
        author=row["author"],
        published_at=row["published_at"],
        text=row["text"],
        closed=row["closed"],
        closes_at=row["closes_at"],
        version=row["version"],
        comment_count=row["comment_count"],
        created_at=row["created_at"],
        closed_at=row["closed_at"],
        close_reason=row["close_reason"] or "",
        auto_close=row["auto_close"],
    )


def author(row: RowMapping, prefix: str = "") -> Author:
    return Author(
        id=row[f"{prefix}id"],
        site_id=row[f"{prefix}site_id"],
        kind=AuthorKind(row[f"{prefix}kind"]),
        external_id=row[f"{prefix}external_id"],
        name=row[f"{prefix}name"],
        avatar=row[f"{prefix}avatar"],
        badge=row[f"{prefix}badge"],
        banned_until=row[f"{prefix}banned_until"],
        created_at=row[f"{prefix}created_at"],
    )


def comment(row: RowMapping) -> Comment:
    verdict: Any = row["verdict"]
    by = author(row, prefix="a_")
    if row["author_name"]:
        by = replace(by, name=row["author_name"])  # the name it was posted under, not the latest
    return Comment(
        id=row["id"],
        story_id=row["story_id"],
        parent_id=row["parent_id"],
        root_id=row["root_id"],
        depth=row["depth"],
        author=by,
        body=row["body"],
        html=row["html"],
        status=CommentStatus(row["status"]),
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        upvotes=row["upvotes"],
        downvotes=row["downvotes"],
        featured=row["featured"],
        verdict=verdict,
    )

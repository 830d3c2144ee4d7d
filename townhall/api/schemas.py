"""Request bodies of the public and admin API (validated at the edge; OpenAPI is built from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NewComment(_Body):
    site: str = Field(min_length=1, max_length=63, description="Site id from the embed snippet")
    url: str = Field(min_length=1, max_length=2048, description="The story's page URL (canonical if it has one)")
    body: str = Field(min_length=1, max_length=100_000, description="Markdown")
    parent_id: int | None = Field(None, ge=1, description="The comment this one replies to")
    author_name: str | None = Field(None, max_length=500, description="Required for guests")
    author_email: str | None = Field(None, max_length=320, description="Optional, never shown")
    sso_token: str | None = Field(None, max_length=4096, description="Publisher-signed HS256 token")
    website: str | None = Field(None, max_length=2048, description="Honeypot: people leave it empty")


class EditComment(_Body):
    body: str = Field(min_length=1, max_length=100_000)


class NewVote(_Body):
    value: Literal[1, -1]


class NewReport(_Body):
    reason: Literal["spam", "abuse", "off_topic", "misinformation", "other"]
    note: str = Field("", max_length=500)


class StoryPush(_Body):
    url: str = Field(min_length=1, max_length=2048)
    title: str | None = Field(None, max_length=500)
    author: str | None = Field(None, max_length=200)
    published_at: AwareDatetime | None = None
    text: str | None = Field(None, max_length=200_000, description="The article's text, used by moderation")


class StoryState(_Body):
    reason: str = Field("", max_length=500)


class StorySchedule(_Body):
    closes_at: AwareDatetime | None = Field(description="When comments close; null = stay open")


class SiteSettingsChange(_Body):
    model_config = ConfigDict(extra="forbid")
    origins: list[str] | None = Field(None, min_length=1, max_length=50)
    moderation_mode: Literal["pre", "post"] | None = None
    thresholds: dict[str, dict[str, float]] | None = None
    banned_words: list[str] | None = None
    suspect_words: list[str] | None = None
    links_allowlist: list[str] | None = None
    auto_close_days: int | None = Field(None, ge=0, le=3650)
    edit_window_minutes: int | None = Field(None, ge=0, le=1440)
    trusted_after_approved: int | None = Field(None, ge=0, le=1000)

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if k != "origins"}


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None

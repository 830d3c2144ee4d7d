"""Request bodies of the public and admin API (validated at the edge; OpenAPI is built from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

MAX_ID = 2**31 - 1  # ids are INTEGER columns; a larger one would fail in the database, not here
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


def _check_text(value: Any) -> None:
    """PostgreSQL cannot store NUL characters, so no string anywhere in a body may hold one."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: Any, _info: ValidationInfo) -> Any:
        _check_text(value)
        return value


class NewComment(_Body):
    site: str = Field(min_length=1, max_length=63, description="Site id from the embed snippet")
    url: str = Field(
        min_length=1, max_length=2048, description="The story's page URL (canonical if it has one)"
    )
    body: str = Field(min_length=1, max_length=100_000, description="Markdown")
    parent_id: Id | None = Field(None, description="The comment this one replies to")
    author_name: str | None = Field(None, max_length=500, description="Required for guests")
    author_email: str | None = Field(None, max_length=320, description="Optional, never shown")
    sso_token: str | None = Field(None, max_length=4096, description="Publisher-signed HS256 token")
    website: str | None = Field(None, max_length=2048, description="Honeypot: people leave it empty")
    notify_replies: bool = Field(
        False,
        description="E-mail the author about replies (to author_email, or the SSO e-mail), once confirmed",
    )


class CheckComment(_Body):
    site: str = Field(min_length=1, max_length=63, description="Site id from the embed snippet")
    url: str = Field(min_length=1, max_length=2048, description="The story's page URL")
    body: str = Field(
        min_length=1, max_length=100_000, description="The comment as written so far (Markdown)"
    )
    parent_id: Id | None = Field(None, description="The comment it would reply to")


class EditComment(_Body):
    body: str = Field(min_length=1, max_length=100_000)


class VoteOwner(_Body):
    sso_token: str | None = Field(None, max_length=4096, description="A signed-in reader's token")


class NewVote(VoteOwner):
    value: Literal[1, -1]

    @field_validator("value", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        if type(value) is not int:  # Literal[1, -1] alone would take true and 1.0
            raise ValueError("must be 1 or -1")
        return value


class NewReport(VoteOwner):
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


class ErasureRequest(_Body):
    reason: str = Field("", max_length=500, description="Why (kept in the erasure record; no personal data)")


class StorySchedule(_Body):
    closes_at: AwareDatetime | None = Field(description="When comments close; null = stay open")


class QueueDecision(_Body):
    reason: str = Field("", max_length=500, description="Why; for a rejection, what the author is shown")


class Featuring(_Body):
    featured: bool = Field(True, description="true pins the comment on top of its thread; false unpins it")


class AuthorBan(_Body):
    until: AwareDatetime | None = Field(None, description="When the ban ends; null or absent = for good")
    reason: str = Field("", max_length=500)
    reject_pending: bool = Field(True, description="Also reject the author's comments still waiting")
    comment_id: Id | None = Field(None, description="The comment the ban was decided on (audit trail)")


class NewWebhook(_Body):
    url: str = Field(min_length=1, max_length=2048, description="http(s) URL the events are POSTed to")
    events: list[str] | None = Field(None, max_length=20, description="Events to send; all when left out")


class SiteSettingsChange(_Body):
    model_config = ConfigDict(extra="forbid")
    origins: list[str] | None = Field(None, min_length=1, max_length=50)
    moderation_mode: Literal["pre", "post"] | None = None
    thresholds: dict[str, dict[str, float]] | None = None
    banned_words: list[str] | None = None
    suspect_words: list[str] | None = None
    links_allowlist: list[str] | None = None
    query_params: list[str] | None = None
    auto_close_days: int | None = Field(None, strict=True, ge=0, le=3650)
    edit_window_minutes: int | None = Field(None, strict=True, ge=0, le=1440)
    trusted_after_approved: int | None = Field(None, strict=True, ge=0, le=1000)
    erasure_mode: Literal["remove", "anonymise"] | None = None
    language: Literal["en", "de", "fr"] | None = Field(
        None, description="Language of the site's e-mails and e-mail pages"
    )
    unknown_language: Literal["publish", "hold"] | None = Field(
        None, description="Comments in a language the moderation models do not know: publish or hold them"
    )
    nudge: bool | None = Field(
        None, strict=True, description="Ask authors before posting a comment that looks off-topic or uncivil"
    )

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if k != "origins"}


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None

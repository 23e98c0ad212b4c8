"""Request and response bodies of the JSON API. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from rejoinder.domain.models import Comment, ThreadInfo


class NewComment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    thread: str
    body: str
    # Required of guests; a signed-in reader's name comes from their sign-on token.
    author_name: str | None = None
    thread_title: str | None = None
    thread_url: str | None = None
    parent_id: int | None = None
    author_email: str | None = None
    spoiler: bool = False


class CommentEdit(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    body: str
    spoiler: bool | None = None


class VoteRequest(msgspec.Struct, forbid_unknown_fields=True):
    value: Literal[-1, 0, 1]


class ThreadPage(msgspec.Struct):
    thread: ThreadInfo
    comments: list[Comment]
    next_cursor: str | None
    # Editors' picks, on the first page only, shown above the rest with a badge.
    featured: list[Comment] = []


class CreatedComment(msgspec.Struct):
    comment: Comment
    edit_token: str
    # Until when the edit token works, so the widget can offer Edit and Delete only then.
    editable_until: datetime
    # "visible", or "pending" while it waits for a moderator, or "rejected".
    status: str = "visible"
    notice: str | None = None


class EditedComment(msgspec.Struct):
    comment: Comment
    status: str = "visible"
    notice: str | None = None


class Counts(msgspec.Struct):
    counts: dict[str, int]


class Health(msgspec.Struct):
    status: str
    database: str


class ArticleInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An article as a newsroom's tools send it; media are http(s) URLs."""

    headline: str
    byline: str
    published_at: datetime
    body: str
    slug: str | None = None
    standfirst: str = ""
    tags: list[str] = []
    video: str | None = None
    poster: str | None = None
    captions: str | None = None
    captions_format: Literal["vtt", "srt"] | None = None


class ArticleSummary(msgspec.Struct):
    slug: str
    url: str
    headline: str
    standfirst: str
    byline: str
    published_at: datetime
    tags: list[str]
    has_video: bool


class ArticleList(msgspec.Struct):
    articles: list[ArticleSummary]


class ArticleOut(ArticleSummary, kw_only=True):
    """An article in full: the summary, its text and its media's addresses."""

    body_markdown: str
    body_html: str
    video: str | None
    poster: str | None
    captions: str | None
    captions_format: str | None
    updated_at: datetime

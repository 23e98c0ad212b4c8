"""The shapes of the product's data, as the API shows them and the store returns them.

msgspec Structs: cheap to build, and encoded straight to JSON bytes by the web layer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class Status(StrEnum):
    """Where a comment stands. Only VISIBLE comments are counted and shown to everyone.

    SHADOW comments come from shadow-banned authors: shown to their author alone, so the
    author sees nothing change and has no reason to come back under another name.
    """

    VISIBLE = "visible"
    PENDING = "pending"
    REJECTED = "rejected"
    DELETED = "deleted"
    SHADOW = "shadow"

    def as_seen_by_author(self) -> Status:
        """The standing the author is shown of their own comment: a shadow-banned author's
        comments are up, for them, wherever they look (the page, a post's answer, their data
        export), or the ban would be no secret."""
        return Status.VISIBLE if self is Status.SHADOW else self


class Sort(StrEnum):
    BEST = "best"
    OLDEST = "oldest"
    NEWEST = "newest"


class Author(msgspec.Struct, frozen=True):
    name: str | None
    guest: bool
    badge: str | None = None


class Votes(msgspec.Struct):
    up: int
    down: int


class Comment(msgspec.Struct, kw_only=True):
    """A comment as readers see it; ``replies`` nests the comments that answer it."""

    id: int
    parent_id: int | None
    author: Author
    html: str | None
    spoiler: bool
    created_at: datetime
    edited_at: datetime | None
    votes: Votes
    reply_count: int
    replies: list[Comment] = []
    deleted: bool = False
    # An editor's pick: the widget shows these first, with a badge.
    featured: bool = False
    # On a top-level comment whose replies did not all fit: the cursor for the rest
    # (GET /api/comments/{id}/replies?cursor=...).
    more_replies: str | None = None


class ThreadInfo(msgspec.Struct):
    key: str
    title: str | None
    url: str | None
    comment_count: int
    closed: bool
    # The newsroom's note shown above the comments (house rules, why it closed...).
    message: str | None = None


class StoredComment(msgspec.Struct, kw_only=True):
    """A comment row as the store holds it, with what readers must not see (status, email)."""

    id: int
    thread_id: int
    parent_id: int | None
    root_id: int | None
    author_name: str
    author_email: str | None
    author_guest: bool
    author_badge: str | None
    voter_id: int | None
    body_markdown: str
    body_html: str
    spoiler: bool
    status: Status
    created_at: datetime
    edited_at: datetime | None
    votes_up: int
    votes_down: int
    score: float
    reply_count: int
    user_id: int | None = None
    author_ip_hash: str | None = None
    featured: bool = False
    moderation: str | None = None
    toxicity: float | None = None
    campaign_id: int | None = None
    report_count: int = 0
    moderated_at: datetime | None = None
    moderated_by: str | None = None

    def for_readers(self) -> Comment:
        """The public view: a deleted comment keeps its place but loses its words and name."""
        deleted = self.status is Status.DELETED
        return Comment(
            id=self.id,
            parent_id=self.parent_id,
            author=Author(None, False, None)
            if deleted
            else Author(self.author_name, self.author_guest, self.author_badge),
            html=None if deleted else self.body_html,
            spoiler=False if deleted else self.spoiler,
            created_at=self.created_at,
            edited_at=None if deleted else self.edited_at,
            votes=Votes(self.votes_up, self.votes_down),
            reply_count=self.reply_count,
            replies=[],
            deleted=deleted,
            featured=self.featured and not deleted,
        )


class CommentDraft(msgspec.Struct, kw_only=True):
    """A new comment that has passed every rule and is ready to store."""

    thread_key: str
    thread_title: str | None
    thread_url: str | None
    parent_id: int | None
    author_name: str
    author_email: str | None
    body_markdown: str
    body_html: str
    spoiler: bool

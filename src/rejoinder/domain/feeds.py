"""What the Atom feeds show of the site: which comments, under which ids, linked to where.

A feed entry's id must never change, or feed readers show the same comment twice. A comment's
id is a tag URI (RFC 4151) made of the site's host, the day the comment was written and its
number, none of which an edit, a moderator or a new thread address changes. An article's is
its address on the site, which editing never changes either.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from rejoinder.domain.comments import is_http_url
from rejoinder.domain.markup import SPOILER_CLASS

# Entries in each feed: the newest, as feed readers only ever want those.
FEED_LENGTH = 50

_SPOILER_MARK = f'class="{SPOILER_CLASS}"'


class FeedThread(msgspec.Struct, frozen=True, kw_only=True):
    """A discussion as its feed names and links it: an article's (``article``: its key is
    the article's slug, its title the headline) or one embedded in a publisher's page."""

    key: str
    title: str | None
    url: str | None
    article: bool


class FeedComment(msgspec.Struct, frozen=True, kw_only=True):
    """A comment on show, with its thread and what its reply entry points at."""

    id: int
    parent_id: int | None
    # When the parent was written: its entry id, which a reply's thr:in-reply-to names.
    parent_created_at: datetime | None
    author_name: str
    html: str  # sanitised when the comment was written (domain/markup.py)
    spoiler: bool
    created_at: datetime
    edited_at: datetime | None
    thread: FeedThread

    @property
    def updated_at(self) -> datetime:
        return self.edited_at or self.created_at


def comment_entry_id(host: str, comment_id: int, created_at: datetime) -> str:
    """``tag:news.example,2026-12-07:comment-42``: stable for as long as the host is."""
    return f"tag:{host},{created_at:%Y-%m-%d}:comment-{comment_id}"


def article_link(origin: str, slug: str) -> str:
    return f"{origin}/articles/{slug}"


def thread_link(origin: str, thread: FeedThread) -> str | None:
    """Where readers read the discussion: the article's page on this site, else the page
    the publisher embedded it in (its address, or its key when that is one); None if
    neither is known."""
    if thread.article:
        return article_link(origin, thread.key)
    for candidate in (thread.url, thread.key):
        if candidate and is_http_url(candidate):
            return candidate.split("#", 1)[0]
    return None


def comment_link(origin: str, thread: FeedThread, comment_id: int) -> str | None:
    """The comment in its discussion: the widget and the article page both scroll to
    ``#comment-N``."""
    page = thread_link(origin, thread)
    return None if page is None else f"{page}#comment-{comment_id}"


def hides_spoiler(comment: FeedComment) -> bool:
    """Whether the comment keeps something behind a cover (the whole comment, or inline
    ``||words||``): a feed reader would show it uncovered, so the feed says where to read it
    instead."""
    return comment.spoiler or _SPOILER_MARK in comment.html

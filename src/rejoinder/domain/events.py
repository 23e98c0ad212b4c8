"""Typed events about a thread, published once after a change is committed.

Readers' open pages receive them as server-sent events; later the read cache and moderators'
queues listen to the same events. A tagged union rather than string signals, so a consumer
cannot misspell an event and the JSON carries its own ``type``.
"""

from __future__ import annotations

import hashlib

import msgspec

from rejoinder.domain.models import Comment


class CommentCreated(msgspec.Struct, tag="comment_created", tag_field="type", kw_only=True):
    thread: str
    comment: Comment
    comment_count: int


class CommentEdited(msgspec.Struct, tag="comment_edited", tag_field="type", kw_only=True):
    thread: str
    comment: Comment


class CommentDeleted(msgspec.Struct, tag="comment_deleted", tag_field="type", kw_only=True):
    thread: str
    id: int
    comment_count: int


class CommentHidden(msgspec.Struct, tag="comment_hidden", tag_field="type", kw_only=True):
    """Taken off the page by moderation (queued, rejected): readers drop it, no placeholder."""

    thread: str
    id: int
    comment_count: int


ThreadEvent = CommentCreated | CommentEdited | CommentDeleted | CommentHidden

MODERATION_CHANNEL = "moderation"


class QueueChanged(msgspec.Struct, tag="queue_changed", tag_field="type", kw_only=True):
    """Something moderators should look at arrived or was dealt with; their open queue pages
    fetch the item and refresh the counts."""

    comment_id: int
    status: str
    reason: str


Event = ThreadEvent | QueueChanged


def channel_for(thread_key: str) -> str:
    """A channel name safe for every broker, whatever characters the thread key has."""
    return "thread:" + hashlib.sha256(thread_key.encode()).hexdigest()[:32]

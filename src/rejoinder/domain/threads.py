"""Arranging a page of comments into the nested shape readers see."""

from __future__ import annotations

from collections.abc import Iterable

from rejoinder.domain.models import Comment, StoredComment


def nest(top_level: Iterable[StoredComment], replies: Iterable[StoredComment]) -> list[Comment]:
    """Top-level comments in the given order, each with its replies nested oldest first.

    A deleted comment stays only as a placeholder for the replies under it; one left with no
    replies to hold disappears, as does a reply whose parent is not on show.
    """
    roots = [stored.for_readers() for stored in top_level]
    by_id = {comment.id: comment for comment in roots}
    for stored in replies:
        parent = by_id.get(stored.parent_id) if stored.parent_id is not None else None
        if parent is None:
            continue
        reply = stored.for_readers()
        parent.replies.append(reply)
        by_id[reply.id] = reply
    return [comment for comment in roots if _keep(comment)]


def _keep(comment: Comment) -> bool:
    comment.replies = [reply for reply in comment.replies if _keep(reply)]
    return not comment.deleted or bool(comment.replies)

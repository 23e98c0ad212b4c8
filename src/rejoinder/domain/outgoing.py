"""What the newsroom's other systems are told, and when: the webhook events, derived from a
comment's standing before and after a change, and the outbox's messages and retry rule.

Events come from the change itself (the comment before and after it), never from a
caller's description of it, so every path that changes a comment (the author, a
moderator, readers' reports, an outside service) announces it the same way.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from rejoinder.domain.models import Status, StoredComment

PAYLOAD_VERSION = 1


class HookEvent(StrEnum):
    CREATED = "comment.created"
    EDITED = "comment.edited"
    APPROVED = "comment.approved"
    REJECTED = "comment.rejected"
    REPORTED = "comment.reported"
    QUEUED = "comment.queued"  # entered the moderators' queue
    LEFT_QUEUE = "comment.left_queue"  # a decision took it out of the queue
    FEATURED = "comment.featured"
    THREAD_CLOSED = "thread.closed"


ALL_EVENTS = tuple(HookEvent)
_WAITING = (Status.PENDING,)
_OFF_PAGE = (Status.REJECTED, Status.SHADOW)


def comment_events(
    before: StoredComment | None, after: StoredComment, *, edited: bool = False
) -> list[HookEvent]:
    """The events a change to one comment makes, in the order they happened.

    ``edited``: the text changed (by its author or a moderator).
    """
    events: list[HookEvent] = []
    if before is None:
        events.append(HookEvent.CREATED)
    elif edited:
        events.append(HookEvent.EDITED)
    was = before.status if before else None
    now = after.status
    if now in _WAITING and was not in _WAITING:
        events.append(HookEvent.QUEUED)
    if before is not None and was != now:
        if now is Status.VISIBLE and was in (*_WAITING, *_OFF_PAGE):
            events.append(HookEvent.APPROVED)
        elif now in _OFF_PAGE and was not in _OFF_PAGE:
            events.append(HookEvent.REJECTED)
        if was in _WAITING and now not in _WAITING:
            events.append(HookEvent.LEFT_QUEUE)
    if after.featured and not (before and before.featured):
        events.append(HookEvent.FEATURED)
    return events


def parse_events(text: str) -> tuple[HookEvent, ...] | None:
    """Space- or comma-separated event names, or ``*`` for every event; None if any name is
    unknown (the caller names it in its refusal)."""
    names = [name for name in text.replace(",", " ").split() if name]
    if names == ["*"]:
        return ALL_EVENTS
    try:
        chosen = {HookEvent(name) for name in names}
    except ValueError:
        return None
    return tuple(event for event in ALL_EVENTS if event in chosen) or None


def unknown_events(text: str) -> list[str]:
    known = {str(event) for event in ALL_EVENTS} | {"*"}
    return [name for name in text.replace(",", " ").split() if name not in known]


class MessageState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(msgspec.Struct, kw_only=True):
    id: int
    message_id: str
    kind: str
    endpoint_id: int | None
    event: str
    payload: str
    state: MessageState
    attempts: int
    due_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def next_attempt(now: datetime, attempts: int, base_seconds: float) -> datetime:
    """Exponential backoff with jitter: base, 2x base, 4x base ... capped at six hours, each
    within ±20% so a receiver that comes back is not hit by every message at once."""
    delay = min(base_seconds * 2 ** max(attempts - 1, 0), 6 * 3600)
    return now + timedelta(seconds=delay * random.uniform(0.8, 1.2))

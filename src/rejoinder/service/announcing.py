"""What a change to a comment tells its author, its readers, moderators and webhooks:
shared by posting (service/posting.py) and editing (service/editing.py)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from rejoinder.domain.events import CommentHidden, Event, QueueChanged
from rejoinder.domain.models import Status, StoredComment
from rejoinder.domain.outgoing import comment_events
from rejoinder.service import webhooks
from rejoinder.service.services import Services
from rejoinder.store.database import Connection


def status_for_author(status: Status) -> str:
    """A shadow-banned author is told their comment is up, which for them it is."""
    return status.as_seen_by_author().value


def notice_for(status: Status) -> str | None:
    if status is Status.PENDING:
        return "Thanks! Your comment will appear once a moderator has read it."
    if status is Status.REJECTED:
        return "Your comment was not published because it breaks this site's rules."
    return None


async def queue_hidden_events(
    connection: Connection,
    app: Services,
    hidden: list[StoredComment],
    thread_key: str,
    now: datetime,
) -> None:
    """The webhooks of comments a campaign took off the page: each was on show before."""
    for other in hidden:
        before = msgspec.structs.replace(other, status=Status.VISIBLE)
        await webhooks.queue_comment_events(
            connection, app, comment_events(before, other), other, thread_key, now
        )


def hidden_events(thread_key: str, stored: StoredComment, count: int, reason: str) -> list[Event]:
    return [
        CommentHidden(thread=thread_key, id=stored.id, comment_count=count),
        QueueChanged(comment_id=stored.id, status=stored.status.value, reason=reason),
    ]

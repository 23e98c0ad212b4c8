"""Readers flag a comment for moderators.

Enough reports from different readers *and* different addresses take the comment off the
page until a moderator has looked: a crowd can hide abuse quickly, but one client cannot hide
what it dislikes, and only a person can remove a comment for good. A reader's repeated report
is kept for the moderator and not counted again.
"""

from __future__ import annotations

from typing import Literal

from rejoinder.domain.errors import no_comment
from rejoinder.domain.events import CommentHidden, Event, QueueChanged
from rejoinder.domain.identity import Identity
from rejoinder.domain.models import Status
from rejoinder.domain.moderation.pipeline import Action, Finding
from rejoinder.domain.outgoing import HookEvent, comment_events
from rejoinder.domain.text import check_single_line
from rejoinder.service import webhooks
from rejoinder.service.limits import enforce
from rejoinder.service.outcomes import Outcome
from rejoinder.service.services import Services
from rejoinder.store import moderation as moderation_store
from rejoinder.store import reports as report_store
from rejoinder.store import threads as thread_store
from rejoinder.store.authors import writer_for

MAX_NOTE_LENGTH = 500
ReportReason = Literal["spam", "abuse", "off_topic", "misinformation", "spoiler"]
REASON_WORDS = {
    "spam": "spam",
    "abuse": "abuse",
    "off_topic": "off-topic",
    "misinformation": "misinformation",
    "spoiler": "unmarked spoiler",
}


def checked_note(note: str | None) -> str | None:
    """The reader's note, trimmed; none if blank. (Callers may check it before anything
    else, and ``report`` checks it again: the check is the same both times.)"""
    if not note or not note.strip():
        return None
    return check_single_line(note.strip(), "note", max_length=MAX_NOTE_LENGTH, label="The note")


async def report(
    app: Services, identity: Identity, comment_id: int, reason: ReportReason, note: str | None
) -> Outcome[None]:
    """Keep the reader's report; hide the comment for review once enough readers agree."""
    now = app.clock()
    note = checked_note(note)
    await enforce(
        app.counter,
        f"report:{identity.address_hash}",
        app.settings.rate_posts_per_address,
        "reports",
    )
    events: list[Event] = []
    async with app.db.write() as connection:
        comment = await moderation_store.get_for_update(connection, comment_id)
        if comment is None or comment.status is not Status.VISIBLE:
            raise no_comment(comment_id)
        writer = await writer_for(connection, identity, now)
        found = await report_store.add_report(
            connection,
            comment_id=comment_id,
            reason=reason,
            note=note,
            reporter=writer.author.reporter,
            address_hash=identity.address_hash,
            now=now,
        )
        before = comment
        if found.reach(app.settings.report_threshold) and comment.moderated_at is None:
            finding = Finding(
                "reports",
                Action.QUEUE,
                f"{found.readers} readers from {found.addresses} addresses reported it "
                f"(latest: {REASON_WORDS[reason]})",
            )
            comment = await moderation_store.set_status(
                connection, comment, Status.PENDING, now=now, by=None, finding=finding
            )
            thread_key = await thread_store.thread_key(connection, comment.thread_id)
            count = await thread_store.visible_count(connection, comment.thread_id)
            events.append(CommentHidden(thread=thread_key, id=comment_id, comment_count=count))
        hooks = [HookEvent.REPORTED, *comment_events(before, comment)]
        key = await thread_store.thread_key(connection, comment.thread_id)
        await webhooks.queue_comment_events(connection, app, hooks, comment, key, now)
    events.append(
        QueueChanged(
            comment_id=comment_id,
            status=comment.status.value,
            reason=f"reported: {REASON_WORDS[reason]}",
        )
    )
    return Outcome(None, events)

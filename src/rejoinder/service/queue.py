"""The moderation queues as moderators read them: a page of a queue with what each item needs
beside it, one comment in full, search, and the count in each queue.

These reads can be long on a busy site (a queue page reads each author's history, a search
looks through every comment's text), so they run in ``read_aside()``: on SQLite that keeps
them off the event loop, where they would hold up every reader's page meanwhile.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rejoinder.domain.models import Status
from rejoinder.domain.moderation.pipeline import decode_findings
from rejoinder.service.services import Services
from rejoinder.store import moderation as moderation_store
from rejoinder.store import reports as report_store
from rejoinder.store.database import Connection
from rejoinder.store.moderation import Queue as Queue  # the queues web/ links to
from rejoinder.store.moderation import QueueItem as QueueItem

PER_PAGE = 50
# Where an item no longer belongs after its comment moves to a status, so a page can drop it.
_LEAVES = {
    Queue.PENDING: {Status.VISIBLE, Status.REJECTED, Status.SHADOW},
    Queue.REPORTED: {Status.VISIBLE, Status.REJECTED, Status.SHADOW},
    Queue.APPROVED: {Status.REJECTED, Status.PENDING, Status.SHADOW},
    Queue.REJECTED: {Status.VISIBLE, Status.PENDING, Status.SHADOW},
    Queue.RECENT: set(),
}

# Per item's comment id: its parent, the author's history, the pipeline's findings, reports.
Details = dict[int, dict[str, Any]]


def leaves(queue: Queue, status: Status) -> bool:
    """Whether a comment that now has ``status`` is no longer in ``queue``."""
    return status in _LEAVES[queue]


@dataclass(frozen=True)
class QueuePage:
    counts: dict[Queue, int]
    items: list[QueueItem]
    details: Details
    more: bool  # there is a next page
    now: datetime


@dataclass(frozen=True)
class Entry:
    """One item with what the queue shows beside it."""

    item: QueueItem
    details: Details


@dataclass(frozen=True)
class CommentInFull:
    """One comment for its own page: its item, the author's longer history, its campaign."""

    item: QueueItem
    details: Details
    history: list[QueueItem]
    by_status: dict[str, int]
    campaign: list[QueueItem]


@dataclass(frozen=True)
class Found:
    items: list[QueueItem]
    details: Details
    counts: dict[Queue, int]


async def _details(connection: Connection, items: list[QueueItem]) -> Details:
    """Per item: the parent, the author's history, the pipeline's findings and reports.

    Parents and reports are read for the whole page at once; each author's history is its
    own pair of queries (it leaves out the item itself)."""
    parent_ids = [i.comment.parent_id for i in items if i.comment.parent_id is not None]
    parents = await moderation_store.queue_items(connection, parent_ids)
    reported = [i.comment.id for i in items if i.comment.report_count]
    reports = await report_store.reports_for_comments(connection, reported)
    details: Details = {}
    for item in items:
        comment = item.comment
        history, by_status = await moderation_store.author_history(connection, comment, limit=3)
        details[comment.id] = {
            "parent": parents.get(comment.parent_id) if comment.parent_id is not None else None,
            "history": history,
            "by_status": by_status,
            "findings": decode_findings(comment.moderation),
            "reports": reports.get(comment.id, []),
        }
    return details


async def queue_page(app: Services, queue: Queue, page_number: int) -> QueuePage:
    """Page ``page_number`` (from 1) of ``queue``, with the counts of every queue."""
    now = app.clock()
    async with app.db.read_aside() as connection:
        counts = await moderation_store.queue_counts(connection, now)
        items = await moderation_store.queue_page(
            connection, queue, now, limit=PER_PAGE + 1, offset=(page_number - 1) * PER_PAGE
        )
        more = len(items) > PER_PAGE
        items = items[:PER_PAGE]
        details = await _details(connection, items)
    return QueuePage(counts, items, details, more, now)


async def queue_counts(app: Services, queues: Collection[Queue] = tuple(Queue)) -> dict[Queue, int]:
    async with app.db.read_aside() as connection:
        return await moderation_store.queue_counts(connection, app.clock(), queues)


async def entry_in_queue(app: Services, comment_id: int, queue: Queue) -> Entry | None:
    """The comment as an item of ``queue``; None if it is not (or no longer) in it."""
    async with app.db.read_aside() as connection:
        item = await moderation_store.queue_item(connection, comment_id)
        if (
            item is None
            or leaves(queue, item.comment.status)
            or (queue is Queue.REPORTED and not item.comment.report_count)
        ):
            return None
        return Entry(item, await _details(connection, [item]))


async def comment_in_full(app: Services, comment_id: int) -> CommentInFull | None:
    async with app.db.read_aside() as connection:
        item = await moderation_store.queue_item(connection, comment_id)
        if item is None:
            return None
        details = await _details(connection, [item])
        history, by_status = await moderation_store.author_history(connection, item.comment, 20)
        campaign = (
            await moderation_store.campaign_members(connection, item.comment.campaign_id)
            if item.comment.campaign_id
            else []
        )
    return CommentInFull(item, details, history, by_status, campaign)


async def search(
    app: Services, *, text: str | None, author: str | None, address: str | None
) -> Found:
    """Comments by words in their text, by author name, or by address hash, newest first."""
    async with app.db.read_aside() as connection:
        items = await moderation_store.search(connection, text=text, author=author, address=address)
        details = await _details(connection, items)
        counts = await moderation_store.queue_counts(connection, app.clock())
    return Found(items, details, counts)

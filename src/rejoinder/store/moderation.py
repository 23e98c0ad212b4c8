"""What moderators work with: the queues, a comment's neighbourhood, and status changes that
keep every count true.

A comment moving onto or off the page changes its thread's "Comments (N)" and its parent's
reply count in the same transaction as the move, whoever makes it (pipeline, reports or a
moderator).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.sql import ColumnElement

from rejoinder.domain.models import Status, StoredComment
from rejoinder.domain.moderation.pipeline import (
    Action,
    Finding,
    decode_findings,
    encode_findings,
)
from rejoinder.store.comments import _COLUMNS, _stored, get_comment
from rejoinder.store.database import AnyRow, Connection
from rejoinder.store.schema import comments as c
from rejoinder.store.schema import threads
from rejoinder.store.threads import add_to_count, touch

RECENT = timedelta(days=1)


class Queue(StrEnum):
    PENDING = "pending"
    REPORTED = "reported"
    RECENT = "recent"
    APPROVED = "approved"
    REJECTED = "rejected"


class QueueItem(msgspec.Struct, frozen=True):
    comment: StoredComment
    thread_key: str
    thread_title: str | None
    thread_url: str | None


def _where(queue: Queue, now: datetime) -> ColumnElement[bool]:
    if queue is Queue.PENDING:
        return c.c.status == Status.PENDING.value
    if queue is Queue.REPORTED:
        return and_(c.c.report_count > 0, c.c.status != Status.DELETED.value)
    if queue is Queue.APPROVED:
        return and_(c.c.status == Status.VISIBLE.value, c.c.moderated_at.is_not(None))
    if queue is Queue.REJECTED:
        return c.c.status == Status.REJECTED.value
    return and_(c.c.status != Status.DELETED.value, c.c.created_at >= now - RECENT)


def _order(queue: Queue) -> tuple[ColumnElement[Any], ...]:
    """Waiting work oldest first, so nothing starves; history newest first."""
    if queue in (Queue.PENDING, Queue.REPORTED):
        return (c.c.created_at, c.c.id)
    if queue in (Queue.APPROVED, Queue.REJECTED):
        return (c.c.moderated_at.desc(), c.c.id.desc())
    return (c.c.created_at.desc(), c.c.id.desc())


_ITEM_COLUMNS = (*_COLUMNS, threads.c.key, threads.c.title, threads.c.url)


def _item(row: AnyRow) -> QueueItem:
    fields = row._mapping
    return QueueItem(
        _stored(row[: len(_COLUMNS)]),
        thread_key=fields[threads.c.key],
        thread_title=fields[threads.c.title],
        thread_url=fields[threads.c.url],
    )


async def queue_counts(
    connection: Connection, now: datetime, queues: Collection[Queue] = tuple(Queue)
) -> dict[Queue, int]:
    counts = {}
    for queue in queues:
        counts[queue] = int(
            await connection.scalar(select(func.count()).select_from(c).where(_where(queue, now)))
            or 0
        )
    return counts


async def queue_page(
    connection: Connection, queue: Queue, now: datetime, limit: int = 50, offset: int = 0
) -> list[QueueItem]:
    rows = await connection.execute(
        select(*_ITEM_COLUMNS)
        .join(threads, threads.c.id == c.c.thread_id)
        .where(_where(queue, now))
        .order_by(*_order(queue))
        .limit(limit)
        .offset(offset)
    )
    return [_item(row) for row in rows]


async def queue_item(connection: Connection, comment_id: int) -> QueueItem | None:
    row = (
        await connection.execute(
            select(*_ITEM_COLUMNS)
            .join(threads, threads.c.id == c.c.thread_id)
            .where(c.c.id == comment_id)
        )
    ).first()
    return _item(row) if row else None


async def queue_items(connection: Connection, comment_ids: Collection[int]) -> dict[int, QueueItem]:
    """Several comments as queue items, by id, in one query (missing ids are left out)."""
    if not comment_ids:
        return {}
    rows = await connection.execute(
        select(*_ITEM_COLUMNS)
        .join(threads, threads.c.id == c.c.thread_id)
        .where(c.c.id.in_(sorted(set(comment_ids))))
    )
    return {item.comment.id: item for item in map(_item, rows)}


def _same_author(comment: StoredComment) -> ColumnElement[bool] | None:
    if comment.user_id is not None:
        return c.c.user_id == comment.user_id
    matches = []
    if comment.voter_id is not None:
        matches.append(c.c.voter_id == comment.voter_id)
    if comment.author_ip_hash:
        matches.append(c.c.author_ip_hash == comment.author_ip_hash)
    return or_(*matches) if matches else None


async def author_history(
    connection: Connection, comment: StoredComment, limit: int = 8
) -> tuple[list[QueueItem], dict[str, int]]:
    """The author's other comments (newest first) and how many of theirs stand in each status."""
    same = _same_author(comment)
    if same is None:
        return [], {}
    rows = await connection.execute(
        select(*_ITEM_COLUMNS)
        .join(threads, threads.c.id == c.c.thread_id)
        .where(same, c.c.id != comment.id)
        .order_by(c.c.created_at.desc(), c.c.id.desc())
        .limit(limit)
    )
    counts = await connection.execute(
        select(c.c.status, func.count()).where(same).group_by(c.c.status)
    )
    return [_item(row) for row in rows], {status: int(n) for status, n in counts}


async def campaign_members(connection: Connection, campaign_id: int) -> list[QueueItem]:
    rows = await connection.execute(
        select(*_ITEM_COLUMNS)
        .join(threads, threads.c.id == c.c.thread_id)
        .where(or_(c.c.campaign_id == campaign_id, c.c.id == campaign_id))
        .order_by(c.c.created_at, c.c.id)
    )
    return [_item(row) for row in rows]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(
    connection: Connection,
    *,
    text: str | None,
    author: str | None,
    address: str | None,
    limit: int = 50,
) -> list[QueueItem]:
    """Comments by words in their text, by author name, or by address hash, newest first."""
    conditions: list[ColumnElement[bool]] = []
    if text:
        conditions.append(func.lower(c.c.body_markdown).like(_like(text.lower()), escape="\\"))
    if author:
        conditions.append(func.lower(c.c.author_name).like(_like(author.lower()), escape="\\"))
    if address:
        conditions.append(c.c.author_ip_hash == address)
    if not conditions:
        return []
    rows = await connection.execute(
        select(*_ITEM_COLUMNS)
        .join(threads, threads.c.id == c.c.thread_id)
        .where(*conditions)
        .order_by(c.c.created_at.desc(), c.c.id.desc())
        .limit(limit)
    )
    return [_item(row) for row in rows]


async def _move_counts(
    connection: Connection, comment: StoredComment, delta: int, now: datetime
) -> None:
    await add_to_count(connection, comment.thread_id, delta, now if delta > 0 else None)
    if comment.parent_id is not None:
        await connection.execute(
            update(c).where(c.c.id == comment.parent_id).values(reply_count=c.c.reply_count + delta)
        )


async def get_for_update(connection: Connection, comment_id: int) -> StoredComment | None:
    return await get_comment(connection, comment_id, for_update=True)


async def set_status(
    connection: Connection,
    comment: StoredComment,
    status: Status,
    *,
    now: datetime,
    by: str | None,
    finding: Finding | None = None,
) -> StoredComment:
    """Move a comment to ``status``, recording who did it and why, with counts kept true.

    ``by`` is None for the pipeline's own moves (reports, campaigns), which must not make a
    comment look approved by a person.
    """
    values: dict[str, object] = {"status": status.value}
    if by is not None:
        values["moderated_at"] = now
        values["moderated_by"] = by
    if finding is not None:
        values["moderation"] = encode_findings([*decode_findings(comment.moderation), finding])
    await connection.execute(update(c).where(c.c.id == comment.id).values(**values))
    was_shown = comment.status is Status.VISIBLE
    if was_shown and status is not Status.VISIBLE:
        await _move_counts(connection, comment, -1, now)
    elif not was_shown and status is Status.VISIBLE:
        await _move_counts(connection, comment, +1, now)
    shadowed = (status is Status.SHADOW) - (comment.status is Status.SHADOW)
    if shadowed:
        await touch(connection, comment.thread_id, shadowed=shadowed)
    updated = await get_comment(connection, comment.id)
    assert updated is not None
    return updated


async def set_flags(
    connection: Connection,
    comment_id: int,
    *,
    spoiler: bool | None = None,
    featured: bool | None = None,
    now: datetime,
    by: str,
) -> StoredComment:
    values: dict[str, object] = {"moderated_at": now, "moderated_by": by}
    if spoiler is not None:
        values["spoiler"] = spoiler
    if featured is not None:
        values["featured"] = featured
    before = await get_comment(connection, comment_id)
    assert before is not None
    await connection.execute(update(c).where(c.c.id == comment_id).values(**values))
    updated = await get_comment(connection, comment_id)
    assert updated is not None
    await touch(connection, updated.thread_id, featured=updated.featured - before.featured)
    return updated


async def withdraw_review(connection: Connection, comment_id: int) -> StoredComment:
    """An edited comment loses its editor's pick and its moderator's approval: what was
    judged was the old text. Until a moderator looks again, reports can hide it again."""
    comment = await get_comment(connection, comment_id)
    assert comment is not None
    lost = [
        word
        for word, had in (("pick", comment.featured), ("approval", comment.moderated_at))
        if had
    ]
    if not lost:
        return comment
    finding = Finding("edit", Action.NOTE, f"edited after review: {' and '.join(lost)} withdrawn")
    await connection.execute(
        update(c)
        .where(c.c.id == comment_id)
        .values(
            featured=False,
            moderated_at=None,
            moderated_by=None,
            moderation=encode_findings([*decode_findings(comment.moderation), finding]),
        )
    )
    if comment.featured:
        await touch(connection, comment.thread_id, featured=-1)
    updated = await get_comment(connection, comment_id)
    assert updated is not None
    return updated


async def set_pipeline_result(
    connection: Connection,
    comment_id: int,
    *,
    findings: list[Finding],
    toxicity: float | None,
    campaign_id: int | None = None,
) -> None:
    values: dict[str, object] = {"moderation": encode_findings(findings), "toxicity": toxicity}
    if campaign_id is not None:
        values["campaign_id"] = campaign_id
    await connection.execute(update(c).where(c.c.id == comment_id).values(**values))


async def link_campaign(
    connection: Connection, comment_ids: Sequence[int], campaign_id: int
) -> None:
    await connection.execute(
        update(c).where(c.c.id.in_(list(comment_ids))).values(campaign_id=campaign_id)
    )

"""Imported comments: stored in batches, known by ``(source, source_id)`` so that an import
run twice adds nothing twice, and put in order once a run has stored them all (replies whose
parent came later, root ids, placeholders that answer nothing, counts).

Every function runs inside a transaction the caller opened with ``Database.write()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from rejoinder.domain.models import Status
from rejoinder.store.database import Connection
from rejoinder.store.schema import comments as c
from rejoinder.store.schema import threads, users
from rejoinder.store.threads import touch

# What a reader sees as a reply: a published one, or a placeholder that still has replies.
_SHOWN = (Status.VISIBLE.value, Status.DELETED.value)


async def already_imported(
    connection: Connection, source: str, source_ids: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Of ``source_ids``, those stored before, each with its comment's id and thread id."""
    if not source_ids:
        return {}
    rows = await connection.execute(
        select(c.c.source_id, c.c.id, c.c.thread_id).where(
            c.c.source == source, c.c.source_id.in_(list(source_ids))
        )
    )
    return {row[0]: (row[1], row[2]) for row in rows}


async def users_by_email(connection: Connection, emails: Sequence[str]) -> dict[str, int]:
    """Signed-in readers (SSO accounts) with these addresses, by lower-cased address."""
    if not emails:
        return {}
    rows = await connection.execute(
        select(func.lower(users.c.email), users.c.id).where(
            func.lower(users.c.email).in_([e.lower() for e in emails]),
            users.c.sso_subject.is_not(None),
        )
    )
    return {row[0]: row[1] for row in rows}


async def close_thread(connection: Connection, thread_id: int) -> None:
    """A discussion its source had closed stays closed."""
    await connection.execute(update(threads).where(threads.c.id == thread_id).values(closed=True))


async def insert_imported(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Store a batch of new imported comments; their ids, by source id."""
    if not rows:
        return {}
    stored = await connection.execute(
        insert(c).returning(c.c.source_id, c.c.id), [dict(row) for row in rows]
    )
    return {row[0]: row[1] for row in stored}


async def link_late_parents(connection: Connection, source: str) -> None:
    """Replies stored before their parent get it now, if it arrived in the same thread."""
    parent = aliased(c)
    found = (
        select(parent.c.id)
        .where(
            parent.c.source == source,
            parent.c.source_id == c.c.source_parent,
            parent.c.thread_id == c.c.thread_id,
        )
        .scalar_subquery()
    )
    await connection.execute(
        update(c)
        .where(c.c.source == source, c.c.parent_id.is_(None), c.c.source_parent.is_not(None))
        .values(parent_id=found)
    )
    # Found: forget the source's reference, so that only unmapped ones keep one.
    await connection.execute(
        update(c)
        .where(c.c.source == source, c.c.parent_id.is_not(None), c.c.source_parent.is_not(None))
        .values(source_parent=None)
    )


async def unmapped_parents(connection: Connection, source: str) -> int:
    """Replies whose parent is not in the archive (or is in another thread): shown at the
    top level of their thread."""
    count = await connection.scalar(
        select(func.count()).where(c.c.source == source, c.c.source_parent.is_not(None))
    )
    return int(count or 0)


async def drop_empty_placeholders(connection: Connection, source: str) -> int:
    """Deleted imported comments that nothing answers are not kept (a placeholder is kept
    only to hold its replies); dropping one may leave its parent answering nothing."""
    child = aliased(c)
    dropped = 0
    while True:
        rows = await connection.execute(
            select(c.c.id).where(
                c.c.source == source,
                c.c.status == Status.DELETED.value,
                # Matched on the thread too, so that the (thread_id, parent_id) index finds it.
                ~exists().where(child.c.thread_id == c.c.thread_id, child.c.parent_id == c.c.id),
            )
        )
        ids = [row[0] for row in rows]
        if not ids:
            return dropped
        await connection.execute(c.delete().where(c.c.id.in_(ids)))
        dropped += len(ids)


async def set_roots(connection: Connection, source: str) -> None:
    """Each imported reply's top-level comment, one level of nesting a round."""
    parent = aliased(c)
    root_of_parent = (
        select(func.coalesce(parent.c.root_id, parent.c.id))
        .where(parent.c.id == c.c.parent_id)
        .scalar_subquery()
    )
    await connection.execute(
        update(c).where(c.c.source == source, c.c.parent_id.is_(None)).values(root_id=None)
    )
    while True:
        changed = await connection.execute(
            update(c)
            .where(
                c.c.source == source,
                c.c.parent_id.is_not(None),
                or_(c.c.root_id.is_(None), c.c.root_id != root_of_parent),
            )
            .values(root_id=root_of_parent)
        )
        if not changed.rowcount:
            return


def visible_in(thread_id: int) -> ColumnElement[bool]:
    """A thread's visible comments, found through the thread's index.

    ``status || ''``, not ``status``: compared bare, SQLite took the (status, created_at)
    index and read every visible comment of the site for each thread, so an import's time
    grew with the square of its size (100,000 comments: 31 minutes). Disguised, the
    comparison leaves SQLite the thread's own index."""
    return and_(c.c.thread_id == thread_id, c.c.status.concat("") == Status.VISIBLE.value)


async def recount(connection: Connection, thread_ids: Sequence[int]) -> None:
    """Reply counts, comment counts and latest comment times of ``thread_ids`` made from
    what they hold, and each thread marked changed for readers' caches."""
    child = aliased(c)
    for thread_id in thread_ids:
        replies = (
            select(func.count())
            .where(
                child.c.thread_id == thread_id,
                child.c.parent_id == c.c.id,
                child.c.status.in_(_SHOWN),
            )
            .scalar_subquery()
        )
        await connection.execute(
            update(c).where(c.c.thread_id == thread_id).values(reply_count=replies)
        )
        shown = visible_in(thread_id)
        await connection.execute(
            update(threads)
            .where(threads.c.id == thread_id)
            .values(
                comment_count=select(func.count()).where(shown).scalar_subquery(),
                last_comment_at=select(func.max(c.c.created_at)).where(shown).scalar_subquery(),
            )
        )
        await touch(connection, thread_id)

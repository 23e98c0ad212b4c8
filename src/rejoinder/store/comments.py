"""Comments: reading a page of a thread, writing, editing and deleting, with counts kept true.

Every function here runs inside a transaction the caller opened (``Database.read()`` or
``Database.write()``), so a comment and the counts it changes are committed together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, true, tuple_, update
from sqlalchemy.sql import ColumnElement

from rejoinder.domain.comments import is_possible_id
from rejoinder.domain.identity import Viewer
from rejoinder.domain.models import CommentDraft, Sort, Status, StoredComment
from rejoinder.domain.moderation.pipeline import Finding, encode_findings
from rejoinder.domain.ranking import Cursor
from rejoinder.store._sql import Prepared
from rejoinder.store.database import Connection
from rejoinder.store.schema import comments as c
from rejoinder.store.threads import add_to_count, touch

_COLUMNS = (
    c.c.id,
    c.c.thread_id,
    c.c.parent_id,
    c.c.root_id,
    c.c.author_name,
    c.c.author_email,
    c.c.author_guest,
    c.c.author_badge,
    c.c.voter_id,
    c.c.body_markdown,
    c.c.body_html,
    c.c.spoiler,
    c.c.status,
    c.c.created_at,
    c.c.edited_at,
    c.c.votes_up,
    c.c.votes_down,
    c.c.score,
    c.c.reply_count,
    c.c.user_id,
    c.c.author_ip_hash,
    c.c.featured,
    c.c.moderation,
    c.c.toxicity,
    c.c.campaign_id,
    c.c.report_count,
    c.c.moderated_at,
    c.c.moderated_by,
)

# What readers get to see: visible comments, and deleted ones kept as placeholders because
# someone answered them.
_SHOWN: ColumnElement[bool] = or_(
    c.c.status == Status.VISIBLE.value,
    and_(c.c.status == Status.DELETED.value, c.c.reply_count > 0),
)


def _shown_to(viewer: Viewer | None) -> ColumnElement[bool]:
    """What one reader sees: everything on show, plus their own shadow-banned comments."""
    if viewer is None or not viewer.known:
        return _SHOWN
    own = []
    if viewer.user_id is not None:
        own.append(c.c.user_id == viewer.user_id)
    if viewer.voter_id is not None:
        own.append(c.c.voter_id == viewer.voter_id)
    return or_(_SHOWN, and_(c.c.status == Status.SHADOW.value, or_(*own)))


def _stored(row: Sequence[Any]) -> StoredComment:
    values = dict(zip((col.name for col in _COLUMNS), row, strict=True))
    values["status"] = Status(values["status"])
    return StoredComment(**values)


_ONE = select(*_COLUMNS).where(c.c.id == bindparam("comment_id"))
# Every reply reads its parent, every vote, report and moderator's action its comment: built
# once (Prepared). Locked on PostgreSQL when the caller will change it.
_GET = Prepared(_ONE)
_GET_FOR_UPDATE = Prepared(_ONE, postgresql=_ONE.with_for_update())


async def get_comment(
    connection: Connection, comment_id: int, *, for_update: bool = False
) -> StoredComment | None:
    if not is_possible_id(comment_id):
        return None
    row = await (_GET_FOR_UPDATE if for_update else _GET).first(connection, comment_id=comment_id)
    return _stored(row) if row else None


async def edit_key(connection: Connection, comment_id: int) -> str | None:
    """The random value this comment's edit token signs (kept out of ``StoredComment``, which
    every read fetches, because only an edit needs it)."""
    if not is_possible_id(comment_id):
        return None
    query = select(c.c.edit_key).where(c.c.id == comment_id)
    return (await connection.execute(query)).scalar()


async def published_by(
    connection: Connection, voter_id: int, *, up_to: int, exclude_id: int | None = None
) -> int:
    """How many of this writer's comments are on the page, counted no further than ``up_to``
    (the newcomer mode only asks whether there are enough), through the voter index.

    A signed-in writer's voter row is theirs alone, so this one key covers guests and users.
    """
    mine = select(c.c.id).where(c.c.voter_id == voter_id, c.c.status == Status.VISIBLE.value)
    if exclude_id is not None:
        mine = mine.where(c.c.id != exclude_id)
    counted = select(func.count()).select_from(mine.limit(up_to).subquery())
    return int((await connection.execute(counted)).scalar_one())


async def featured(
    connection: Connection, thread_id: int, viewer: Viewer | None = None, limit: int = 10
) -> list[StoredComment]:
    """The editors' picks among top-level comments, newest pick first."""
    rows = await connection.execute(
        select(*_COLUMNS)
        .where(
            c.c.thread_id == thread_id,
            c.c.parent_id.is_(None),
            # Spelled `= true` so both databases see their partial index applies.
            c.c.featured == true(),
            _shown_to(viewer),
        )
        .order_by(c.c.moderated_at.desc(), c.c.id.desc())
        .limit(limit)
    )
    return [_stored(row) for row in rows]


async def top_level_page(
    connection: Connection,
    thread_id: int,
    sort: Sort,
    limit: int,
    after: Cursor | None,
    viewer: Viewer | None = None,
) -> list[StoredComment]:
    """Up to ``limit`` top-level comments in ``sort`` order, starting after ``after``.

    Editors' picks are left out: the first page carries them separately, above the rest.
    """
    query = select(*_COLUMNS).where(
        c.c.thread_id == thread_id,
        c.c.parent_id.is_(None),
        c.c.featured.is_(False),
        _shown_to(viewer),
    )
    if sort is Sort.OLDEST:
        query = query.order_by(c.c.created_at, c.c.id)
        if after:
            query = query.where(tuple_(c.c.created_at, c.c.id) > tuple_(after.created_at, after.id))
    elif sort is Sort.NEWEST:
        query = query.order_by(c.c.created_at.desc(), c.c.id.desc())
        if after:
            query = query.where(tuple_(c.c.created_at, c.c.id) < tuple_(after.created_at, after.id))
    else:
        query = query.order_by(c.c.score.desc(), c.c.created_at.desc(), c.c.id.desc())
        if after:
            query = query.where(
                tuple_(c.c.score, c.c.created_at, c.c.id)
                < tuple_(after.score, after.created_at, after.id)
            )
    rows = await connection.execute(query.limit(limit))
    return [_stored(row) for row in rows]


async def replies_under(
    connection: Connection,
    root_ids: Sequence[int],
    viewer: Viewer | None = None,
    per_root: int | None = None,
) -> list[StoredComment]:
    """Shown replies, at any depth, under the given top-level comments, oldest first; with
    ``per_root``, at most that many under each (a window per root, so one comment with
    thousands of answers does not load them all)."""
    if not root_ids:
        return []
    query = select(*_COLUMNS).where(c.c.root_id.in_(root_ids), _shown_to(viewer))
    if per_root is None:
        rows = await connection.execute(query.order_by(c.c.created_at, c.c.id))
        return [_stored(row) for row in rows]
    numbered = query.add_columns(
        func.row_number()
        .over(partition_by=c.c.root_id, order_by=(c.c.created_at, c.c.id))
        .label("n")
    ).subquery()
    rows = await connection.execute(
        select(*(numbered.c[col.name] for col in _COLUMNS))
        .where(numbered.c.n <= per_root)
        .order_by(numbered.c.created_at, numbered.c.id)
    )
    return [_stored(row) for row in rows]


async def replies_after(
    connection: Connection,
    root_id: int,
    after: tuple[datetime, int] | None,
    limit: int,
    viewer: Viewer | None = None,
) -> list[StoredComment]:
    """The next ``limit`` shown replies under one top-level comment, oldest first."""
    query = select(*_COLUMNS).where(c.c.root_id == root_id, _shown_to(viewer))
    if after is not None:
        query = query.where(tuple_(c.c.created_at, c.c.id) > tuple_(*after))
    rows = await connection.execute(query.order_by(c.c.created_at, c.c.id).limit(limit))
    return [_stored(row) for row in rows]


_INSERT = Prepared(
    insert(c)
    .values(
        {
            column: bindparam(column)
            for column in (
                "thread_id",
                "parent_id",
                "root_id",
                "author_name",
                "author_email",
                "author_guest",
                "author_badge",
                "author_ip_hash",
                "voter_id",
                "user_id",
                "body_markdown",
                "body_html",
                "spoiler",
                "status",
                "created_at",
                "moderation",
                "toxicity",
                "edit_key",
            )
        }
    )
    .returning(*_COLUMNS)
)
_ONE_MORE_REPLY = Prepared(
    update(c).where(c.c.id == bindparam("parent")).values(reply_count=c.c.reply_count + 1)
)


async def insert_comment(
    connection: Connection,
    *,
    thread_id: int,
    draft: CommentDraft,
    root_id: int | None,
    author_guest: bool,
    author_badge: str | None,
    voter_id: int | None,
    ip_hash: str | None,
    status: Status,
    now: datetime,
    user_id: int | None = None,
    findings: list[Finding] | None = None,
    toxicity: float | None = None,
    edit_key: str | None = None,
) -> StoredComment:
    """Store a comment, with what the moderation pipeline found, and, if readers will see it,
    count it in its thread and under its parent."""
    row = await _INSERT.first(
        connection,
        thread_id=thread_id,
        parent_id=draft.parent_id,
        root_id=root_id,
        author_name=draft.author_name,
        author_email=draft.author_email,
        author_guest=author_guest,
        author_badge=author_badge,
        author_ip_hash=ip_hash,
        voter_id=voter_id,
        user_id=user_id,
        body_markdown=draft.body_markdown,
        body_html=draft.body_html,
        spoiler=draft.spoiler,
        status=status.value,
        created_at=now,
        moderation=None if findings is None else encode_findings(findings),
        toxicity=toxicity,
        edit_key=edit_key,
    )
    assert row is not None
    if status is Status.SHADOW:
        await touch(connection, thread_id, shadowed=1)
    if status is Status.VISIBLE:
        await add_to_count(connection, thread_id, 1, now)
        if draft.parent_id is not None:
            await _ONE_MORE_REPLY.rows(connection, parent=draft.parent_id)
    return _stored(row)


async def update_text(
    connection: Connection,
    comment_id: int,
    *,
    markdown: str,
    html: str,
    spoiler: bool,
    now: datetime,
) -> StoredComment:
    await connection.execute(
        update(c)
        .where(c.c.id == comment_id)
        .values(body_markdown=markdown, body_html=html, spoiler=spoiler, edited_at=now)
    )
    stored = await get_comment(connection, comment_id)
    assert stored is not None
    await touch(connection, stored.thread_id)
    return stored


async def mark_deleted(connection: Connection, comment: StoredComment, now: datetime) -> None:
    """Delete a comment, keeping its place only while replies still hang from it.

    A comment with no replies leaves its parent's reply count; if that parent was itself a
    deleted placeholder with nothing else under it, it goes too, and so on up the chain.
    """
    await connection.execute(
        update(c).where(c.c.id == comment.id).values(status=Status.DELETED.value, deleted_at=now)
    )
    if comment.status is Status.SHADOW:
        await touch(connection, comment.thread_id, shadowed=-1)
    if comment.status is not Status.VISIBLE:
        return
    await add_to_count(connection, comment.thread_id, -1)
    if comment.reply_count > 0:
        return
    parent_id = comment.parent_id
    while parent_id is not None:
        row = (
            await connection.execute(
                update(c)
                .where(c.c.id == parent_id)
                .values(reply_count=c.c.reply_count - 1)
                .returning(c.c.status, c.c.reply_count, c.c.parent_id)
            )
        ).first()
        if row is None or row.status != Status.DELETED.value or row.reply_count > 0:
            return
        parent_id = row.parent_id

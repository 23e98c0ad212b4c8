"""Moderators' queue digests: who wants one and how often, when each is next due, and what
arrived in the queue between two digests."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import msgspec
from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, update

from rejoinder.domain.models import Status
from rejoinder.store._sql import Prepared, locks_rows
from rejoinder.store.database import AnyRow, Connection
from rejoinder.store.schema import articles, comments, reports, staff_mail, threads, users

S = TypeVar("S", bound=msgspec.Struct)


class StaffMail(msgspec.Struct, kw_only=True):
    user_id: int
    email: str | None
    language: str
    queue_every: str | None
    queue_due_at: datetime | None
    stories: bool = False
    # Where the mails' links point: the origin the choice was made on (None before 0017).
    link_base: str | None = None


class Writer(msgspec.Struct, kw_only=True):
    """The staff user whose story a comment is on, when they asked for its comments."""

    user_id: int
    email: str
    story_outbox_id: int | None
    story_next_at: datetime | None


class StoryComment(msgspec.Struct, kw_only=True):
    id: int
    author_name: str
    body_markdown: str
    body_html: str
    thread_key: str
    thread_title: str | None
    thread_url: str | None


class Due(msgspec.Struct, kw_only=True):
    user_id: int
    queue_every: str
    queue_since: datetime
    queue_due_at: datetime


class HeldItem(msgspec.Struct, kw_only=True):
    id: int
    status: str
    author_name: str
    body_html: str
    moderation: str | None
    thread_key: str
    thread_title: str | None
    report_reasons: list[str]


async def choices(connection: Connection, user_id: int) -> StaffMail:
    """What the user asked for (nothing, for one who never opened the page)."""
    row = (
        await connection.execute(
            select(
                users.c.email,
                staff_mail.c.language,
                staff_mail.c.queue_every,
                staff_mail.c.queue_due_at,
                staff_mail.c.stories,
                staff_mail.c.link_base,
            )
            .select_from(users.outerjoin(staff_mail, staff_mail.c.user_id == users.c.id))
            .where(users.c.id == user_id)
        )
    ).one()
    return StaffMail(
        user_id=user_id,
        email=row.email,
        language=row.language or "en",
        queue_every=row.queue_every,
        queue_due_at=row.queue_due_at,
        stories=bool(row.stories),
        link_base=row.link_base,
    )


async def choose(
    connection: Connection,
    user_id: int,
    *,
    email: str | None,
    language: str,
    every: str | None,
    stories: bool,
    link_base: str,
    now: datetime,
    due_at: datetime | None,
) -> None:
    """Store the choice: the digest covers the queue from now, and is first due at ``due_at``."""
    if email is not None:
        await connection.execute(update(users).where(users.c.id == user_id).values(email=email))
    await connection.execute(delete(staff_mail).where(staff_mail.c.user_id == user_id))
    await connection.execute(
        insert(staff_mail).values(
            user_id=user_id,
            language=language,
            queue_every=every,
            queue_since=now if every else None,
            queue_due_at=due_at,
            stories=stories,
            link_base=link_base,
        )
    )


async def stop_queue(connection: Connection, user_id: int) -> None:
    await connection.execute(
        update(staff_mail)
        .where(staff_mail.c.user_id == user_id)
        .values(queue_every=None, queue_since=None, queue_due_at=None)
    )


async def stop_stories(connection: Connection, user_id: int) -> None:
    await connection.execute(
        update(staff_mail).where(staff_mail.c.user_id == user_id).values(stories=False)
    )


_WRITER = (
    select(
        staff_mail.c.user_id,
        users.c.email,
        staff_mail.c.story_outbox_id,
        staff_mail.c.story_next_at,
    )
    .select_from(threads)
    .join(
        articles,
        (articles.c.site_id == threads.c.site_id) & (articles.c.slug == threads.c.key),
    )
    .join(users, users.c.username == articles.c.author)
    .join(staff_mail, staff_mail.c.user_id == users.c.id)
    .where(threads.c.id == bindparam("thread_id"), staff_mail.c.stories, users.c.email.is_not(None))
)
# On every comment, so built once (store/_sql.py's Prepared).
_WRITER_OF = Prepared(_WRITER, postgresql=_WRITER.with_for_update(of=staff_mail))


async def writer_of(connection: Connection, thread_id: int) -> Writer | None:
    """The writer of the story this thread discusses, if they want its comments mailed; locked
    on PostgreSQL, as the digest waiting for them may be rewritten."""
    row = await _WRITER_OF.first(connection, thread_id=thread_id)
    if row is None:
        return None
    return Writer(user_id=row[0], email=row[1], story_outbox_id=row[2], story_next_at=row[3])


async def set_story_digest(
    connection: Connection, user_id: int, outbox_id: int, next_at: datetime
) -> None:
    await connection.execute(
        update(staff_mail)
        .where(staff_mail.c.user_id == user_id)
        .values(story_outbox_id=outbox_id, story_next_at=next_at)
    )


async def story_comments(connection: Connection, comment_ids: list[int]) -> list[StoryComment]:
    """The comments, among these, still on show."""
    if not comment_ids:
        return []
    query = (
        select(
            comments.c.id,
            comments.c.author_name,
            comments.c.body_markdown,
            comments.c.body_html,
            threads.c.key.label("thread_key"),
            threads.c.title.label("thread_title"),
            threads.c.url.label("thread_url"),
        )
        .join(threads, threads.c.id == comments.c.thread_id)
        .where(comments.c.id.in_(comment_ids), comments.c.status == Status.VISIBLE.value)
        .order_by(comments.c.id)
    )
    return [_struct(StoryComment, row) for row in (await connection.execute(query)).all()]


async def due_digests(connection: Connection, now: datetime) -> list[Due]:
    """The users whose digest is due, locked: on PostgreSQL another process passes over the
    rows (SKIP LOCKED) instead of queueing the same digest; SQLite has one writer anyway."""
    query = select(
        staff_mail.c.user_id,
        staff_mail.c.queue_every,
        staff_mail.c.queue_since,
        staff_mail.c.queue_due_at,
    ).where(staff_mail.c.queue_due_at <= now, staff_mail.c.queue_every.is_not(None))
    if locks_rows(connection):
        query = query.with_for_update(skip_locked=True)
    return [_struct(Due, row) for row in (await connection.execute(query)).all()]


async def next_due(connection: Connection) -> datetime | None:
    due: datetime | None = await connection.scalar(select(func.min(staff_mail.c.queue_due_at)))
    return due


async def move_on(connection: Connection, user_id: int, since: datetime, due_at: datetime) -> None:
    await connection.execute(
        update(staff_mail)
        .where(staff_mail.c.user_id == user_id)
        .values(queue_since=since, queue_due_at=due_at)
    )


def _new_reports(since: datetime, until: datetime) -> Select[tuple[int]]:
    return select(reports.c.comment_id).where(
        reports.c.created_at > since,
        reports.c.created_at <= until,
        reports.c.resolved_at.is_(None),
    )


async def held_between(
    connection: Connection, since: datetime, until: datetime, limit: int = 100
) -> list[HeldItem]:
    """Comments that came into the queue in (since, until]: new ones waiting for a moderator,
    and ones newly reported, that still need someone."""
    pending = (
        (comments.c.status == Status.PENDING.value)
        & (comments.c.created_at > since)
        & (comments.c.created_at <= until)
    )
    reported = comments.c.id.in_(_new_reports(since, until)) & (
        comments.c.status != Status.DELETED.value
    )
    query = (
        select(
            comments.c.id,
            comments.c.status,
            comments.c.author_name,
            comments.c.body_html,
            comments.c.moderation,
            threads.c.key.label("thread_key"),
            threads.c.title.label("thread_title"),
        )
        .join(threads, threads.c.id == comments.c.thread_id)
        .where(or_(pending, reported))
        .order_by(comments.c.created_at, comments.c.id)
        .limit(limit)
    )
    rows = (await connection.execute(query)).all()
    reasons: dict[int, list[str]] = {}
    if rows:
        found = await connection.execute(
            select(reports.c.comment_id, reports.c.reason)
            .where(
                reports.c.comment_id.in_([row.id for row in rows]),
                reports.c.resolved_at.is_(None),
            )
            .order_by(reports.c.id)
        )
        for comment_id, reason in found.all():
            if reason not in reasons.setdefault(comment_id, []):
                reasons[comment_id].append(reason)
    return [_struct(HeldItem, row, report_reasons=reasons.get(row.id, [])) for row in rows]


async def anything_held_between(connection: Connection, since: datetime, until: datetime) -> bool:
    return bool(await held_between(connection, since, until, limit=1))


def _struct(kind: type[S], row: AnyRow, **given: object) -> S:
    """The struct of a row whose columns are named as its fields (``given`` aside)."""
    fields = {name: getattr(row, name) for name in kind.__struct_fields__ if name not in given}
    return kind(**fields, **given)

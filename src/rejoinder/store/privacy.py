"""Everything stored about one commenter, to hand over or to erase (GDPR articles 15 and 17).

A commenter is a signed-in user (their user id and its voter row) or a guest browser (its
voter row). Erasing keeps the shape of threads others answered: a comment with replies stays
as a "deleted" placeholder with no words and no name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update

from rejoinder.domain.models import Status
from rejoinder.store.comments import _COLUMNS, _stored, get_comment, mark_deleted
from rejoinder.store.database import Connection
from rejoinder.store.schema import (
    comments,
    mail_addresses,
    reply_subscriptions,
    reports,
    threads,
    users,
    votes,
)
from rejoinder.store.users import delete_user


def _authored(user_id: int | None, voter_id: int | None) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    if user_id is not None:
        conditions.append(comments.c.user_id == user_id)
    if voter_id is not None:
        conditions.append(comments.c.voter_id == voter_id)
    return or_(*conditions) if conditions else None


async def author_data(
    connection: Connection, *, user_id: int | None, voter_id: int | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": None,
        "comments": [],
        "votes": [],
        "reports": [],
        "mail": [],
    }
    if user_id is not None:
        row = (await connection.execute(select(users).where(users.c.id == user_id))).first()
        if row is not None:
            record = dict(row._mapping)
            record.pop("password_hash", None)
            data["user"] = record
    authored = _authored(user_id, voter_id)
    if authored is not None:
        rows = await connection.execute(
            select(*_COLUMNS, threads.c.key)
            .join(threads, threads.c.id == comments.c.thread_id)
            .where(authored)
            .order_by(comments.c.id)
        )
        for row in rows:
            comment = _stored(row[: len(_COLUMNS)])
            data["comments"].append(
                {
                    "id": comment.id,
                    "thread": row._mapping[threads.c.key],
                    "parent_id": comment.parent_id,
                    "author_name": comment.author_name,
                    "author_email": comment.author_email,
                    "address_hash": comment.author_ip_hash,
                    "body": comment.body_markdown,
                    "spoiler": comment.spoiler,
                    "status": comment.status,
                    "created_at": comment.created_at,
                    "edited_at": comment.edited_at,
                    "votes_up": comment.votes_up,
                    "votes_down": comment.votes_down,
                }
            )
        data["mail"] = await _mail_of(connection, authored)
    if voter_id is not None:
        rows = await connection.execute(
            select(votes.c.comment_id, votes.c.value, votes.c.updated_at).where(
                votes.c.voter_id == voter_id
            )
        )
        data["votes"] = [
            {"comment_id": r.comment_id, "value": r.value, "at": r.updated_at} for r in rows
        ]
    reporters = _reporters(user_id, voter_id)
    if reporters:
        rows = await connection.execute(
            select(reports.c.comment_id, reports.c.reason, reports.c.note, reports.c.created_at)
            .where(reports.c.reporter.in_(reporters))
            .order_by(reports.c.id)
        )
        data["reports"] = [dict(r._mapping) for r in rows]
    return data


async def erase_author(
    connection: Connection, *, user_id: int | None, voter_id: int | None, now: datetime
) -> list[tuple[int, int]]:
    """Delete the commenter's comments (placeholders where others replied), wipe their words,
    names, emails and address hashes (of their votes and reports too), and drop the user
    record; returns (comment id, thread id) of each comment that left the page."""
    authored = _authored(user_id, voter_id)
    removed: list[tuple[int, int]] = []
    if authored is not None:
        ids = [row.id for row in await connection.execute(select(comments.c.id).where(authored))]
        await _forget_mail(connection, authored)
        for comment_id in ids:
            comment = await get_comment(connection, comment_id, for_update=True)
            if comment is None:
                continue
            if comment.status is not Status.DELETED:
                await mark_deleted(connection, comment, now)
                if comment.status is Status.VISIBLE:
                    removed.append((comment.id, comment.thread_id))
        if ids:
            await connection.execute(
                update(comments)
                .where(comments.c.id.in_(ids))
                .values(
                    body_markdown="",
                    body_html="",
                    author_name="",
                    author_email=None,
                    author_ip_hash=None,
                    user_id=None,
                    featured=False,
                )
            )
    if voter_id is not None:
        # Their votes keep counting, and their reports stay for the moderator, but nothing
        # of them says where they came from any more.
        await connection.execute(
            update(votes).where(votes.c.voter_id == voter_id).values(address_hash=None)
        )
    reporters = _reporters(user_id, voter_id)
    if reporters:
        await connection.execute(
            update(reports).where(reports.c.reporter.in_(reporters)).values(address_hash=None)
        )
    if user_id is not None:
        await delete_user(connection, user_id)
    return removed


async def _mail_of(connection: Connection, authored: ColumnElement[bool]) -> list[dict[str, Any]]:
    """The addresses they gave for reply notifications (the ones erasing removes), each with
    where it stands and the comments it follows."""
    given = select(func.lower(comments.c.author_email)).where(
        authored, comments.c.author_email.is_not(None)
    )
    found = []
    for row in await connection.execute(
        select(mail_addresses)
        .where(mail_addresses.c.address.in_(given))
        .order_by(mail_addresses.c.id)
    ):
        followed = await connection.execute(
            select(reply_subscriptions.c.comment_id)
            .where(reply_subscriptions.c.address_id == row.id)
            .order_by(reply_subscriptions.c.comment_id)
        )
        found.append(
            {
                "address": row.address,
                "language": row.language,
                "created_at": row.created_at,
                "confirmed_at": row.confirmed_at,
                "unsubscribed_at": row.unsubscribed_at,
                "follows_replies_to": [comment_id for (comment_id,) in followed],
            }
        )
    return found


async def _forget_mail(connection: Connection, authored: ColumnElement[bool]) -> None:
    """The addresses they gave for reply notifications go, with what they followed."""
    given = select(func.lower(comments.c.author_email)).where(
        authored, comments.c.author_email.is_not(None)
    )
    addresses = select(mail_addresses.c.id).where(mail_addresses.c.address.in_(given))
    await connection.execute(
        delete(reply_subscriptions).where(reply_subscriptions.c.address_id.in_(addresses))
    )
    await connection.execute(delete(mail_addresses).where(mail_addresses.c.address.in_(given)))


def _reporters(user_id: int | None, voter_id: int | None) -> list[str]:
    found = [f"voter:{voter_id}"] if voter_id is not None else []
    if user_id is not None:
        found.append(f"user:{user_id}")
    return found

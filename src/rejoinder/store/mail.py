"""Reply notifications by e-mail: the addresses readers gave, the comments they follow, the
digest waiting in the outbox for each, and what a mail says of the replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec
from sqlalchemy import ColumnElement, and_, bindparam, delete, insert, select, update

from rejoinder.domain.models import Status
from rejoinder.domain.outgoing import MessageState
from rejoinder.store._sql import Prepared, locks_rows
from rejoinder.store.database import AnyRow, Connection
from rejoinder.store.schema import (
    UTCDateTime,
    comments,
    mail_addresses,
    outbox,
    reply_subscriptions,
    threads,
)


class MailAddress(msgspec.Struct, kw_only=True):
    id: int
    address: str
    language: str
    link_base: str
    created_at: datetime
    confirm_sent_at: datetime | None
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    digest_outbox_id: int | None
    next_digest_at: datetime | None

    @property
    def receives(self) -> bool:
        """Confirmed, and not unsubscribed since: the only addresses replies are mailed to."""
        return self.confirmed_at is not None and self.unsubscribed_at is None


class ReplyInMail(msgspec.Struct, kw_only=True):
    id: int
    parent_id: int
    author_name: str
    body_markdown: str
    body_html: str
    created_at: datetime
    thread_key: str
    thread_title: str | None
    thread_url: str | None


def _address(row: AnyRow) -> MailAddress:
    return MailAddress(**{name: getattr(row, name) for name in MailAddress.__struct_fields__})


async def _one(
    connection: Connection, where: ColumnElement[bool], for_update: bool
) -> MailAddress | None:
    query = select(mail_addresses).where(where)
    if for_update and locks_rows(connection):
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return _address(row) if row else None


async def address_named(
    connection: Connection, address: str, *, for_update: bool = False
) -> MailAddress | None:
    return await _one(connection, mail_addresses.c.address == address, for_update)


async def address_by_id(
    connection: Connection, address_id: int, *, for_update: bool = False
) -> MailAddress | None:
    return await _one(connection, mail_addresses.c.id == address_id, for_update)


async def add_address(
    connection: Connection, address: str, language: str, link_base: str, now: datetime
) -> int:
    """A new address, its confirmation mail being queued now."""
    new_id: int = await connection.scalar(
        insert(mail_addresses)
        .values(
            address=address,
            language=language,
            link_base=link_base,
            created_at=now,
            confirm_sent_at=now,
        )
        .returning(mail_addresses.c.id)
    )
    return new_id


async def ask_again(
    connection: Connection, address_id: int, language: str, link_base: str, now: datetime
) -> None:
    """Another confirmation mail is queued: an address that had unsubscribed must confirm
    afresh before it gets anything again."""
    await connection.execute(
        update(mail_addresses)
        .where(mail_addresses.c.id == address_id)
        .values(
            confirm_sent_at=now,
            language=language,
            link_base=link_base,
            confirmed_at=None,
            unsubscribed_at=None,
        )
    )


async def follow(connection: Connection, comment_id: int, address_id: int, now: datetime) -> None:
    await connection.execute(
        insert(reply_subscriptions).values(
            comment_id=comment_id, address_id=address_id, created_at=now
        )
    )


_FIELDS = MailAddress.__struct_fields__

# On every reply, so built once (store/_sql.py's Prepared); locked on PostgreSQL, as the
# address's waiting digest may be rewritten.
_FOLLOWER = (
    select(*(mail_addresses.c[name] for name in _FIELDS))
    .join(reply_subscriptions, reply_subscriptions.c.address_id == mail_addresses.c.id)
    .where(
        reply_subscriptions.c.comment_id == bindparam("comment_id"),
        mail_addresses.c.confirmed_at.is_not(None),
        mail_addresses.c.unsubscribed_at.is_(None),
    )
)
_FOLLOWER_OF = Prepared(_FOLLOWER, postgresql=_FOLLOWER.with_for_update(of=mail_addresses))


async def follower_of(connection: Connection, comment_id: int) -> MailAddress | None:
    """The address that follows replies to this comment, if it receives mail."""
    row = await _FOLLOWER_OF.first(connection, comment_id=comment_id)
    return MailAddress(**dict(zip(_FIELDS, row, strict=True))) if row else None


async def queue_mail(
    connection: Connection,
    *,
    message_id: str,
    event: str,
    payload: str,
    due_at: datetime,
    now: datetime,
    kind: str = "mail",
) -> int:
    """An outbox message of kind "mail" (or ``kind``), due at ``due_at`` (a digest waits for
    its window)."""
    new_id: int = await connection.scalar(
        insert(outbox)
        .values(
            message_id=message_id,
            kind=kind,
            event=event,
            payload=payload,
            state=MessageState.PENDING.value,
            attempts=0,
            due_at=due_at,
            created_at=now,
        )
        .returning(outbox.c.id)
    )
    return new_id


_WAITING = select(outbox.c.payload).where(
    outbox.c.id == bindparam("outbox_id"),
    outbox.c.state == MessageState.PENDING.value,
    outbox.c.attempts == 0,
    outbox.c.claimed_until.is_(None)
    | (outbox.c.claimed_until < bindparam("now", type_=UTCDateTime)),
)
_OPEN_DIGEST = Prepared(_WAITING, postgresql=_WAITING.with_for_update())
_REWRITE_DIGEST = Prepared(
    update(outbox).where(outbox.c.id == bindparam("outbox_id")).values(payload=bindparam("payload"))
)


async def open_digest(connection: Connection, outbox_id: int, now: datetime) -> str | None:
    """The payload of a digest no worker has taken yet (so a reply may still join it), else
    None. On PostgreSQL the row is locked, so a worker's claim waits for this transaction or
    this one sees the claim."""
    payload: str | None = await _OPEN_DIGEST.scalar(connection, outbox_id=outbox_id, now=now)
    return payload


async def rewrite_digest(connection: Connection, outbox_id: int, payload: str) -> None:
    await _REWRITE_DIGEST.rows(connection, outbox_id=outbox_id, payload=payload)


async def set_digest(
    connection: Connection, address_id: int, outbox_id: int, next_at: datetime
) -> None:
    await connection.execute(
        update(mail_addresses)
        .where(mail_addresses.c.id == address_id)
        .values(digest_outbox_id=outbox_id, next_digest_at=next_at)
    )


async def confirm(connection: Connection, address_id: int, now: datetime) -> MailAddress | None:
    """The reader followed the link: the address receives mail from now (unless it has since
    unsubscribed, which a confirmation link from before cannot undo)."""
    await connection.execute(
        update(mail_addresses)
        .where(
            mail_addresses.c.id == address_id,
            mail_addresses.c.confirmed_at.is_(None),
            mail_addresses.c.unsubscribed_at.is_(None),
        )
        .values(confirmed_at=now)
    )
    return await address_by_id(connection, address_id)


async def unfollow(
    connection: Connection, address_id: int, comment_ids: Sequence[int] | None, now: datetime
) -> None:
    """Stop replies to these comments, or (``None``) all mail to the address."""
    query = delete(reply_subscriptions).where(reply_subscriptions.c.address_id == address_id)
    if comment_ids is not None:
        query = query.where(reply_subscriptions.c.comment_id.in_(list(comment_ids)))
    await connection.execute(query)
    if comment_ids is None:
        await connection.execute(
            update(mail_addresses)
            .where(mail_addresses.c.id == address_id, mail_addresses.c.unsubscribed_at.is_(None))
            .values(unsubscribed_at=now)
        )


async def replies_to_mail(
    connection: Connection, address_id: int, reply_ids: Sequence[int]
) -> list[ReplyInMail]:
    """The replies, among these, still on show and still to a comment the address follows."""
    if not reply_ids:
        return []
    query = (
        select(
            comments.c.id,
            comments.c.parent_id,
            comments.c.author_name,
            comments.c.body_markdown,
            comments.c.body_html,
            comments.c.created_at,
            threads.c.key.label("thread_key"),
            threads.c.title.label("thread_title"),
            threads.c.url.label("thread_url"),
        )
        .join(threads, threads.c.id == comments.c.thread_id)
        .join(
            reply_subscriptions,
            and_(
                reply_subscriptions.c.comment_id == comments.c.parent_id,
                reply_subscriptions.c.address_id == address_id,
            ),
        )
        .where(comments.c.id.in_(list(reply_ids)), comments.c.status == Status.VISIBLE.value)
        .order_by(comments.c.id)
    )
    rows = (await connection.execute(query)).all()
    return [
        ReplyInMail(**{name: getattr(row, name) for name in ReplyInMail.__struct_fields__})
        for row in rows
    ]

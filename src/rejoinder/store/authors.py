"""The stored rows behind a reader's identity: their user (signed-in readers) and voter row.

A reader token or a signed-in user names one voter row, which is what ties a reader's
comments, votes and reports together. Reading finds the rows and never creates them; a
write makes them on first use, inside its own transaction.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select

from rejoinder.domain.identity import Author, Identity, IdentityKind, parse_roles
from rejoinder.domain.models import Status
from rejoinder.store import users as user_store
from rejoinder.store.database import Connection
from rejoinder.store.schema import comments, votes
from rejoinder.store.users import User
from rejoinder.store.votes import find_voter, voter_id


class Writer(msgspec.Struct, frozen=True):
    """The author of a write: the stored user for a signed-in reader, and the voter row."""

    user: User | None
    voter_id: int

    @property
    def author(self) -> Author:
        return Author(self.user.id if self.user else None, self.voter_id)


async def find_author(connection: Connection, identity: Identity) -> Author:
    """What is stored for this identity so far; nothing for an address or a new reader."""
    if identity.minted is not None or identity.key is None:
        return Author()
    if identity.kind is IdentityKind.USER:
        user = await user_store.user_by_subject(connection, identity.key)
        if user is None:
            return Author()
        return Author(user.id, await find_voter(connection, "user", str(user.id)))
    return Author(None, await find_voter(connection, "guest", identity.key))


async def writer_for(connection: Connection, identity: Identity, now: datetime) -> Writer:
    """The stored user (made or refreshed from the sign-on token) and voter row of a writer.

    A signed-in reader's name, e-mail and roles follow the publisher's latest token.
    """
    assert identity.key is not None, "a writer has a user or a reader token"
    if identity.sso is not None:
        user = await user_store.sso_user(
            connection,
            subject=identity.key,
            display_name=identity.sso.name,
            email=identity.sso.email,
            roles=parse_roles(identity.sso.roles),
            now=now,
        )
        return Writer(user, await voter_id(connection, "user", str(user.id), now))
    return Writer(None, await voter_id(connection, "guest", identity.key, now))


class ReaderThread(msgspec.Struct, frozen=True):
    """A reader's own part of one thread: their votes, and their comments written since."""

    votes: dict[int, int]
    own: list[tuple[int, datetime]]


async def reader_thread(
    connection: Connection, thread_id: int, author: Author, since: datetime
) -> ReaderThread:
    if author.voter_id is None and author.user_id is None:
        return ReaderThread({}, [])
    votes_cast: dict[int, int] = {}
    if author.voter_id is not None:
        rows = await connection.execute(
            select(votes.c.comment_id, votes.c.value)
            .join(comments, comments.c.id == votes.c.comment_id)
            .where(votes.c.voter_id == author.voter_id, comments.c.thread_id == thread_id)
        )
        votes_cast = {row.comment_id: row.value for row in rows}
    mine = (
        comments.c.user_id == author.user_id
        if author.user_id is not None
        else comments.c.voter_id == author.voter_id
    )
    rows = await connection.execute(
        select(comments.c.id, comments.c.created_at)
        .where(
            comments.c.thread_id == thread_id,
            mine,
            comments.c.created_at >= since,
            comments.c.status != Status.DELETED.value,
        )
        .order_by(comments.c.id)
    )
    return ReaderThread(votes_cast, [(row.id, row.created_at) for row in rows])

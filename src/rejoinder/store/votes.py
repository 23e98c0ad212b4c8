"""Votes: one per voter per comment, with the comment's tallies and score kept in step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.models import Votes
from rejoinder.domain.ranking import wilson_lower_bound
from rejoinder.store._sql import (
    Prepared,
    locks_rows,
    prepared_insert_ignoring_conflicts,
)
from rejoinder.store.database import Connection
from rejoinder.store.schema import comments, voters, votes
from rejoinder.store.threads import touch

_NEW_VOTER = prepared_insert_ignoring_conflicts(
    voters,
    {"kind": bindparam("kind"), "key": bindparam("key"), "created_at": bindparam("now")},
    returning=[voters.c.id],
)
_VOTER = Prepared(
    select(voters.c.id).where(voters.c.kind == bindparam("kind"), voters.c.key == bindparam("key"))
)


async def voter_id(connection: Connection, kind: str, key: str, now: datetime) -> int:
    """The voter row for a guest browser or a signed-in user, made on first use.

    One statement for a new browser (the insert returns the id), two for a known one.
    """
    made = await _NEW_VOTER.scalar(connection, kind=kind, key=key, now=now)
    if made is not None:
        return int(made)
    found = await find_voter(connection, kind, key)
    assert found is not None
    return found


async def find_voter(connection: Connection, kind: str, key: str) -> int | None:
    """The voter row's id if this browser or user has one; reading never creates it."""
    found: int | None = await _VOTER.scalar(connection, kind=kind, key=key)
    return found


async def cast_vote(
    connection: Connection,
    comment_id: int,
    voter: int,
    value: int,
    now: datetime,
    *,
    address_hash: str,
    address_cap: int,
) -> Votes:
    """Record ``value`` (1 up, -1 down, 0 none) as this voter's only vote on the comment.

    A new vote is refused (403) once ``address_cap`` votes on the comment came from the same
    address: changing or taking back a vote is always allowed. The comment row is locked
    first, so concurrent votes on one comment apply one after the other and no change is
    lost (the read-then-write race Isso's votes have), and the cap cannot be raced past.
    """
    lock = select(comments.c.votes_up, comments.c.votes_down, comments.c.thread_id).where(
        comments.c.id == comment_id
    )
    if locks_rows(connection):
        lock = lock.with_for_update()
    tallies = (await connection.execute(lock)).one()
    up, down = tallies.votes_up, tallies.votes_down
    previous = await connection.scalar(
        select(votes.c.value).where(votes.c.comment_id == comment_id, votes.c.voter_id == voter)
    )
    if previous == value or (previous is None and value == 0):
        return Votes(up, down)
    if previous is None:
        await _check_address_cap(connection, comment_id, address_hash, address_cap)
    if previous == 1:
        up -= 1
    elif previous == -1:
        down -= 1
    if value == 1:
        up += 1
    elif value == -1:
        down += 1
    where = (votes.c.comment_id == comment_id, votes.c.voter_id == voter)
    if value == 0:
        await connection.execute(delete(votes).where(*where))
    elif previous is None:
        await connection.execute(
            votes.insert().values(
                comment_id=comment_id,
                voter_id=voter,
                value=value,
                created_at=now,
                updated_at=now,
                address_hash=address_hash,
            )
        )
    else:
        await connection.execute(update(votes).where(*where).values(value=value, updated_at=now))
    await connection.execute(
        update(comments)
        .where(comments.c.id == comment_id)
        .values(votes_up=up, votes_down=down, score=wilson_lower_bound(up, down))
    )
    await touch(connection, tallies.thread_id)
    return Votes(up, down)


async def _check_address_cap(
    connection: Connection, comment_id: int, address_hash: str, cap: int
) -> None:
    cast = await connection.scalar(
        select(func.count()).where(
            votes.c.comment_id == comment_id, votes.c.address_hash == address_hash
        )
    )
    if int(cast or 0) >= cap:
        raise RejoinderError(
            Problem.FORBIDDEN,
            "vote_limit",
            "This comment has all the votes it can take from your network.",
        )

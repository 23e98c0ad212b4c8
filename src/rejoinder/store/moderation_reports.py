"""Moderators' work as the audit log records it: actions on comments counted per moderator,
action and period, and the median time the decided comments waited.

Every statement here aggregates in the database, so a report over a year of a busy desk
reads a few rows per moderator and period, never the log itself. The periods are given as
their start times (``starts``, ascending); a row's period is found by comparing timestamps,
which both engines do alike, where truncating dates would be spelled differently in each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import BigInteger, and_, case, cast, extract, func, literal_column, or_, select
from sqlalchemy.sql import ColumnElement

from rejoinder.store.database import Connection
from rejoinder.store.schema import audit_log as a
from rejoinder.store.schema import comments as c
from rejoinder.store.schema import reports as r

COMMENT_TARGET = "comment:%"
# An entry about a comment names it as ``comment:12``, a ban from a comment as
# ``comment:12 author:voter``: what follows the id is letters, a colon and a space.
_AFTER_ID = " :abcdefghijklmnopqrstuvwxyz"


class ActionCount(msgspec.Struct, frozen=True):
    """How many times ``moderator`` did ``action`` to a comment in period ``period``
    (an index into the report's periods)."""

    period: int
    moderator: str
    action: str
    count: int


class Waiting(msgspec.Struct, frozen=True):
    """The median wait, in seconds, of ``decided`` comments; ``period`` and ``moderator``
    are None where the median is over all of them."""

    period: int | None
    moderator: str | None
    decided: int
    median_seconds: float


class Total(msgspec.Struct, frozen=True):
    moderator: str
    action: str
    count: int


def _period_of(column: ColumnElement[datetime], starts: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the period that holds ``column``, for a row already inside the range:
    a binary search written as nested CASEs, so that a row is compared about log2(periods)
    times (nine for a year of days), not once per period."""

    def among(low: int, high: int) -> ColumnElement[int]:
        if high - low == 1:
            return literal_column(str(low), BigInteger)
        middle = (low + high) // 2
        return case((column < starts[middle], among(low, middle)), else_=among(middle, high))

    return among(0, len(starts))


def _in_range(starts: Sequence[datetime], end: datetime) -> ColumnElement[bool]:
    return and_(a.c.created_at >= starts[0], a.c.created_at < end, a.c.target.like(COMMENT_TARGET))


async def action_counts(
    connection: Connection, starts: Sequence[datetime], end: datetime
) -> list[ActionCount]:
    """Actions on comments from ``starts[0]`` to ``end``, counted per period, moderator and
    action."""
    entries = (
        select(a.c.actor, a.c.action, _period_of(a.c.created_at, starts).label("period"))
        .where(_in_range(starts, end))
        .subquery()
    )
    rows = await connection.execute(
        select(entries.c.period, entries.c.actor, entries.c.action, func.count())
        .group_by(entries.c.period, entries.c.actor, entries.c.action)
        .order_by(entries.c.period, entries.c.actor, entries.c.action)
    )
    return [ActionCount(int(period), actor, action, int(n)) for period, actor, action, n in rows]


def _seconds(column: ColumnElement[datetime]) -> ColumnElement[Any]:
    """Seconds since 1970 (SQLAlchemy spells ``extract`` for each engine)."""
    return extract("epoch", column)


def _queued_at() -> ColumnElement[datetime]:
    """When the comment an entry is about began to wait: when the earliest of the reports
    still open at the moderator's action was made, or else when the comment was written.
    Approving, rejecting and banning close a comment's reports at the action's own time."""
    first_open_report = (
        select(func.min(r.c.created_at))
        .where(
            r.c.comment_id == c.c.id,
            r.c.created_at <= a.c.created_at,
            or_(r.c.resolved_at.is_(None), r.c.resolved_at >= a.c.created_at),
        )
        .scalar_subquery()
    )
    return func.coalesce(first_open_report, c.c.created_at)


async def median_waits(
    connection: Connection,
    starts: Sequence[datetime],
    end: datetime,
    decisions: Sequence[str],
    *,
    by_period: bool,
    by_moderator: bool,
) -> list[Waiting]:
    """The median time that the comments decided (``decisions``: the actions that take a
    comment out of its queue) waited, per period and moderator, per moderator, or over all,
    as ``by_period`` and ``by_moderator`` say. Entries whose comment is gone are left out.

    The median comes from window functions, which SQLite and PostgreSQL share: each group's
    waits are numbered in order and the middle one (or the mean of the middle two) kept.
    """
    after_prefix = func.substr(a.c.target, len("comment:") + 1)
    comment_id = cast(func.rtrim(after_prefix, _AFTER_ID), c.c.id.type)
    period = _period_of(a.c.created_at, starts) if by_period else literal_column("0", BigInteger)
    waits = (
        select(
            period.label("period"),
            a.c.actor.label("moderator"),
            (_seconds(a.c.created_at) - _seconds(_queued_at())).label("waited"),
        )
        .join(c, c.c.id == comment_id)
        .where(_in_range(starts, end), a.c.action.in_(list(decisions)))
        .subquery()
    )
    keys = [waits.c.period] if by_period else []
    if by_moderator:
        keys.append(waits.c.moderator)
    ranked = select(
        *keys,
        waits.c.waited,
        func.row_number().over(partition_by=keys or None, order_by=waits.c.waited).label("n"),
        func.count().over(partition_by=keys or None).label("of"),
    ).subquery()
    middle = or_(ranked.c.n == (ranked.c.of + 1) // 2, ranked.c.n == (ranked.c.of + 2) // 2)
    grouped = [ranked.c[key.name] for key in keys]
    rows = await connection.execute(
        select(*grouped, func.max(ranked.c.of), func.avg(ranked.c.waited))
        .where(middle)
        .group_by(*grouped)
    )
    found = []
    for row in rows:
        values = dict(zip([key.name for key in keys], row[: len(keys)], strict=True))
        decided, median = row[len(keys) :]
        if not decided:  # no decisions at all: the one row of an aggregate over nothing
            continue
        found.append(
            Waiting(
                period=int(values["period"]) if by_period else None,
                moderator=values.get("moderator"),
                decided=int(decided),
                median_seconds=float(median),
            )
        )
    return found


async def all_time_counts(connection: Connection) -> list[Total]:
    """Every action in the audit log, counted per moderator and action since the log began
    (for a metric: a counter only grows)."""
    rows = await connection.execute(
        select(a.c.actor, a.c.action, func.count())
        .group_by(a.c.actor, a.c.action)
        .order_by(a.c.actor, a.c.action)
    )
    return [Total(actor, action, int(n)) for actor, action, n in rows]

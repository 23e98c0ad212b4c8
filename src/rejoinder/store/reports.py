"""Reader reports: one per reader per comment, open until a moderator reviews the comment."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import func, insert, select, update

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.store.database import Connection
from rejoinder.store.schema import comments, reports


class Report(msgspec.Struct, frozen=True):
    id: int
    comment_id: int
    reason: str
    note: str | None
    reporter: str
    created_at: datetime
    resolved_at: datetime | None


async def add_report(
    connection: Connection,
    *,
    comment_id: int,
    reason: str,
    note: str | None,
    reporter: str,
    now: datetime,
) -> int:
    """Store the report and return the comment's count of open reports."""
    already = await connection.scalar(
        select(reports.c.id).where(
            reports.c.comment_id == comment_id, reports.c.reporter == reporter
        )
    )
    if already is not None:
        raise RejoinderError(
            Problem.CONFLICT, "already_reported", "You have already reported this comment."
        )
    await connection.execute(
        insert(reports).values(
            comment_id=comment_id, reason=reason, note=note, reporter=reporter, created_at=now
        )
    )
    open_count = int(
        await connection.scalar(
            select(func.count()).where(
                reports.c.comment_id == comment_id, reports.c.resolved_at.is_(None)
            )
        )
        or 0
    )
    await connection.execute(
        update(comments).where(comments.c.id == comment_id).values(report_count=open_count)
    )
    return open_count


async def reports_for(connection: Connection, comment_id: int) -> list[Report]:
    rows = await connection.execute(
        select(reports).where(reports.c.comment_id == comment_id).order_by(reports.c.id)
    )
    return [Report(*row) for row in rows]


async def resolve_reports(connection: Connection, comment_id: int, now: datetime) -> None:
    await connection.execute(
        update(reports)
        .where(reports.c.comment_id == comment_id, reports.c.resolved_at.is_(None))
        .values(resolved_at=now)
    )
    await connection.execute(
        update(comments).where(comments.c.id == comment_id).values(report_count=0)
    )


async def reports_by(connection: Connection, reporter: str) -> list[Report]:
    rows = await connection.execute(
        select(reports).where(reports.c.reporter == reporter).order_by(reports.c.id)
    )
    return [Report(*row) for row in rows]

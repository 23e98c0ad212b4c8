"""Reader reports, open until a moderator reviews the comment.

Every report is kept for the moderator, but only distinct readers and distinct addresses
count towards hiding a comment: one client, however many reports or reader tokens it sends,
is one voice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import msgspec
from sqlalchemy import distinct, func, insert, select, update

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
    address_hash: str | None = None


class OpenReports(msgspec.Struct, frozen=True):
    """A comment's unresolved reports: all of them, and how many readers and addresses."""

    reports: int
    readers: int
    addresses: int

    def reach(self, threshold: int) -> bool:
        return self.readers >= threshold and self.addresses >= threshold


async def add_report(
    connection: Connection,
    *,
    comment_id: int,
    reason: str,
    note: str | None,
    reporter: str,
    address_hash: str,
    now: datetime,
) -> OpenReports:
    """Store the report and return the comment's open reports, counted three ways."""
    await connection.execute(
        insert(reports).values(
            comment_id=comment_id,
            reason=reason,
            note=note,
            reporter=reporter,
            address_hash=address_hash,
            created_at=now,
        )
    )
    row = (
        await connection.execute(
            select(
                func.count().label("reports"),
                func.count(distinct(reports.c.reporter)).label("readers"),
                func.count(distinct(reports.c.address_hash)).label("addresses"),
            ).where(reports.c.comment_id == comment_id, reports.c.resolved_at.is_(None))
        )
    ).one()
    found = OpenReports(int(row.reports), int(row.readers), int(row.addresses))
    # What the moderator's queue counts: readers, since one reader reporting twice is one.
    await connection.execute(
        update(comments).where(comments.c.id == comment_id).values(report_count=found.readers)
    )
    return found


async def reports_for_comments(
    connection: Connection, comment_ids: Collection[int]
) -> dict[int, list[Report]]:
    """The reports of several comments, by comment id, oldest first, in one query."""
    found: dict[int, list[Report]] = {}
    if not comment_ids:
        return found
    rows = await connection.execute(
        select(reports)
        .where(reports.c.comment_id.in_(sorted(set(comment_ids))))
        .order_by(reports.c.id)
    )
    for row in rows:
        report = Report(**row._mapping)
        found.setdefault(report.comment_id, []).append(report)
    return found


async def resolve_reports(connection: Connection, comment_id: int, now: datetime) -> None:
    await connection.execute(
        update(reports)
        .where(reports.c.comment_id == comment_id, reports.c.resolved_at.is_(None))
        .values(resolved_at=now)
    )
    await connection.execute(
        update(comments).where(comments.c.id == comment_id).values(report_count=0)
    )

"""Campaign bands: finding recent comments whose text is near-identical to a new one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rejoinder.domain.models import Status
from rejoinder.store.schema import campaign_bands, comments


class Candidate(msgspec.Struct, frozen=True):
    id: int
    author_name: str
    body_markdown: str
    status: Status
    campaign_id: int | None
    shared_bands: int


async def similar_recent(
    connection: AsyncConnection, bands: Sequence[str], since: datetime
) -> list[Candidate]:
    """Comments since ``since`` sharing at least one band with the new text, most alike first."""
    if not bands:
        return []
    shared = (
        select(campaign_bands.c.comment_id, campaign_bands.c.band)
        .where(campaign_bands.c.band.in_(list(bands)), campaign_bands.c.created_at >= since)
        .subquery()
    )
    rows = await connection.execute(
        select(
            comments.c.id,
            comments.c.author_name,
            comments.c.body_markdown,
            comments.c.status,
            comments.c.campaign_id,
        )
        .join(shared, shared.c.comment_id == comments.c.id)
        .where(comments.c.status != Status.DELETED.value)
    )
    found: dict[int, Candidate] = {}
    for row in rows:
        previous = found.get(row.id)
        found[row.id] = Candidate(
            id=row.id,
            author_name=row.author_name,
            body_markdown=row.body_markdown,
            status=Status(row.status),
            campaign_id=row.campaign_id,
            shared_bands=(previous.shared_bands + 1) if previous else 1,
        )
    return sorted(found.values(), key=lambda cand: -cand.shared_bands)


async def add_bands(
    connection: AsyncConnection, comment_id: int, bands: Sequence[str], now: datetime
) -> None:
    if bands:
        await connection.execute(
            insert(campaign_bands),
            [{"band": band, "comment_id": comment_id, "created_at": now} for band in set(bands)],
        )


async def forget_bands(connection: AsyncConnection, comment_id: int) -> None:
    await connection.execute(
        delete(campaign_bands).where(campaign_bands.c.comment_id == comment_id)
    )

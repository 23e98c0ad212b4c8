"""Campaign bands: finding recent comments whose text is near-identical to a new one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

import msgspec
from sqlalchemy import BindParameter, bindparam, delete, func, insert, select, union_all

from rejoinder.domain.models import Status
from rejoinder.store._sql import Prepared
from rejoinder.store.database import Connection
from rejoinder.store.schema import campaign_bands, comments


class Candidate(msgspec.Struct, frozen=True):
    id: int
    author_name: str
    body_markdown: str
    status: Status
    campaign_id: int | None
    shared_bands: int


# A campaign of thousands of copies must not make each new copy look at all of them: the
# latest few under each band are enough to tell, and to link the new copy to the campaign.
PER_BAND = 12


@lru_cache(maxsize=8)
def _similar_statement(band_count: int) -> Prepared:
    """Built once per band count and reused, where building sixteen subqueries afresh for
    every comment cost more than running them."""
    since: BindParameter[datetime] = bindparam("since")
    per_band = [
        select(campaign_bands.c.comment_id)
        .where(campaign_bands.c.band == bindparam(f"band{n}"), campaign_bands.c.created_at >= since)
        .order_by(campaign_bands.c.created_at.desc())
        .limit(PER_BAND)
        .subquery()
        for n in range(band_count)
    ]
    ids = union_all(*(select(sub.c.comment_id) for sub in per_band)).subquery()
    shared = (
        select(ids.c.comment_id, func.count().label("shared")).group_by(ids.c.comment_id).subquery()
    )
    return Prepared(
        select(
            comments.c.id,
            comments.c.author_name,
            comments.c.body_markdown,
            comments.c.status,
            comments.c.campaign_id,
            shared.c.shared,
        )
        .join(shared, shared.c.comment_id == comments.c.id)
        .where(comments.c.status != Status.DELETED.value)
        .order_by(shared.c.shared.desc(), comments.c.id.desc())
    )


async def similar_recent(
    connection: Connection, bands: Sequence[str], since: datetime
) -> list[Candidate]:
    """Recent comments sharing bands with the new text, most bands shared first.

    Each band reads at most ``PER_BAND`` rows from its index, newest first, so the cost of a
    lookup does not grow with the size of a campaign.
    """
    if not bands:
        return []
    unique = list(dict.fromkeys(bands))
    params: dict[str, object] = {"since": since}
    params.update({f"band{n}": band for n, band in enumerate(unique)})
    rows = await _similar_statement(len(unique)).rows(connection, **params)
    return [
        Candidate(
            id=comment_id,
            author_name=author_name,
            body_markdown=body_markdown,
            status=Status(status),
            campaign_id=campaign_id,
            shared_bands=shared,
        )
        for comment_id, author_name, body_markdown, status, campaign_id, shared in rows
    ]


_ADD_BAND = Prepared(
    insert(campaign_bands).values(
        band=bindparam("band"), comment_id=bindparam("comment_id"), created_at=bindparam("now")
    )
)


async def add_bands(
    connection: Connection, comment_id: int, bands: Sequence[str], now: datetime
) -> None:
    await _ADD_BAND.run_many(
        connection, [{"band": band, "comment_id": comment_id, "now": now} for band in set(bands)]
    )


async def forget_bands(connection: Connection, comment_id: int) -> None:
    await connection.execute(
        delete(campaign_bands).where(campaign_bands.c.comment_id == comment_id)
    )

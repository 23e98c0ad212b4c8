"""The bans moderators have made, and lifting one.

Bans are made by moderating a comment (``service/moderating.py``); here they are listed and
lifted, each lifting audited in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.phrases import phrase
from rejoinder.domain.wording import ban_kind_word
from rejoinder.service.services import Services
from rejoinder.store import audit
from rejoinder.store import bans as ban_store
from rejoinder.store.bans import Ban, LatestComment


@dataclass(frozen=True)
class ListedBan:
    """A ban as the list shows it: who it holds in words, by the name they last wrote under
    and that comment (None when none of their comments is left)."""

    ban: Ban
    kind: str
    latest: LatestComment | None


async def active_bans(app: Services) -> list[ListedBan]:
    """Every ban in force, newest first, each with its author's latest comment: a list that
    only grows, so read beside the loop."""
    async with app.db.read_aside() as connection:
        found = await ban_store.list_bans(connection, app.clock())
        latest = await ban_store.latest_comments_of(connection, [(b.kind, b.value) for b in found])
    return [ListedBan(b, ban_kind_word(b.kind), latest.get((b.kind, b.value))) for b in found]


async def lift(app: Services, moderator: str, ban_id: int) -> Ban:
    """End ban ``ban_id`` now, for the moderator named ``moderator``."""
    now = app.clock()
    async with app.db.write() as connection:
        lifted = await ban_store.lift_ban(connection, ban_id, now)
        if lifted is None:
            raise RejoinderError(
                Problem.NOT_FOUND, "not_found", phrase("There is no ban {number}.", number=ban_id)
            )
        await audit.record(
            connection,
            actor=moderator,
            action="lift_ban",
            target=f"ban:{ban_id} {lifted.kind}",
            before={"active": True},
            after={"active": False},
            now=now,
        )
    return lifted

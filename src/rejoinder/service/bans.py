"""The bans moderators have made, and lifting one.

Bans are made by moderating a comment (``service/moderating.py``); here they are listed and
lifted, each lifting audited in the same transaction as the change.
"""

from __future__ import annotations

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.service.services import Services
from rejoinder.store import audit
from rejoinder.store import bans as ban_store
from rejoinder.store.bans import Ban


async def active_bans(app: Services) -> list[Ban]:
    """Every ban in force, newest first: a list that only grows, so read beside the loop."""
    async with app.db.read_aside() as connection:
        return await ban_store.list_bans(connection, app.clock())


async def lift(app: Services, moderator: str, ban_id: int) -> Ban:
    """End ban ``ban_id`` now, for the moderator named ``moderator``."""
    now = app.clock()
    async with app.db.write() as connection:
        lifted = await ban_store.lift_ban(connection, ban_id, now)
        if lifted is None:
            raise RejoinderError(Problem.NOT_FOUND, "not_found", f"There is no ban {ban_id}.")
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

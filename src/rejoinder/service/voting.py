"""One up or down vote per reader per comment.

A reader's vote counts once, whatever they press; an address, however many reader tokens it
mints, adds at most ``votes_per_address`` votes to one comment and casts at most
``rate_votes_per_address`` a period, so no single client decides the "Best" order.
"""

from __future__ import annotations

from rejoinder.domain.errors import no_comment
from rejoinder.domain.identity import Identity
from rejoinder.domain.models import Status, Votes
from rejoinder.service.limits import enforce
from rejoinder.service.services import Services
from rejoinder.store.authors import writer_for
from rejoinder.store.comments import get_comment
from rejoinder.store.votes import cast_vote


async def vote(app: Services, identity: Identity, comment_id: int, value: int) -> Votes:
    """Cast, change or (with 0) take back the reader's vote; the comment's tallies after it.

    Votes publish no event: the order they make is read with the next page.
    """
    now = app.clock()
    await enforce(
        app.counter,
        f"vote:address:{identity.address_hash}",
        app.settings.rate_votes_per_address,
        "votes",
    )
    async with app.db.write() as connection:
        comment = await get_comment(connection, comment_id)
        if comment is None or comment.status is not Status.VISIBLE:
            raise no_comment(comment_id)
        writer = await writer_for(connection, identity, now)
        return await cast_vote(
            connection,
            comment_id,
            writer.voter_id,
            value,
            now,
            address_hash=identity.address_hash,
            address_cap=app.settings.votes_per_address,
        )

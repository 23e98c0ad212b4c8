"""``/api/comments/{id}/vote``: one up or down vote per reader per comment.

A reader's vote counts once, whatever they press; an address, however many reader tokens it
mints, adds at most ``votes_per_address`` votes to one comment and casts at most
``rate_votes_per_address`` a period, so no single client decides the "Best" order.
"""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.models import Status, Votes
from rejoinder.store.authors import writer_for
from rejoinder.store.comments import get_comment
from rejoinder.store.votes import cast_vote
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.identity import hand_back, writer_identity
from rejoinder.web.ratelimit import enforce
from rejoinder.web.schemas import VoteRequest
from rejoinder.web.security import guard_write


@post(
    "/api/comments/{comment_id:int}/vote",
    guards=[guard_write],
    opt={"body": VoteRequest},
    status_code=HTTP_200_OK,
    summary="Vote a comment up (1), down (-1), or take your vote back (0)",
    description="A reader without a token is given one in the `X-Rejoinder-Reader` header.",
    responses=refusals(401, 404, write=True),
)
async def vote(
    request: Request, comment_id: FromPath[int], data: JSONBody[VoteRequest]
) -> Response[Votes]:
    app = services(request)
    now = app.clock()
    identity = writer_identity(request)
    await enforce(
        app.counter,
        f"vote:address:{identity.address_hash}",
        app.settings.rate_votes_per_address,
        "votes",
    )
    async with app.db.write() as connection:
        comment = await get_comment(connection, comment_id)
        if comment is None or comment.status is not Status.VISIBLE:
            raise RejoinderError(
                Problem.NOT_FOUND, "not_found", f"There is no comment {comment_id}."
            )
        writer = await writer_for(connection, identity, now)
        tallies = await cast_vote(
            connection,
            comment_id,
            writer.voter_id,
            data.value,
            now,
            address_hash=identity.address_hash,
            address_cap=app.settings.votes_per_address,
        )
    return hand_back(Response(tallies), request, identity)

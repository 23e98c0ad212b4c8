"""``/api/comments/{id}/vote``: one up or down vote per browser per comment."""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.models import Status, Votes
from rejoinder.store.comments import get_comment
from rejoinder.store.votes import cast_vote
from rejoinder.web.context import services
from rejoinder.web.identity import resolve_writer, signed_in
from rejoinder.web.schemas import VoteRequest
from rejoinder.web.security import guard_write
from rejoinder.web.voters import guest_voter


@post(
    "/api/comments/{comment_id:int}/vote",
    guards=[guard_write],
    opt={"body": VoteRequest},
    status_code=HTTP_200_OK,
    summary="Vote a comment up (1), down (-1), or take your vote back (0)",
)
async def vote(
    request: Request, comment_id: FromPath[int], data: JSONBody[VoteRequest]
) -> Response[Votes]:
    app = services(request)
    now = app.clock()
    sso = signed_in(request, now)
    key, cookie = (None, None) if sso else guest_voter(request)
    async with app.db.write() as connection:
        comment = await get_comment(connection, comment_id)
        if comment is None or comment.status is not Status.VISIBLE:
            raise RejoinderError(
                Problem.NOT_FOUND, "not_found", f"There is no comment {comment_id}."
            )
        writer = await resolve_writer(connection, sso, key, now)
        tallies = await cast_vote(connection, comment_id, writer.voter_id, data.value, now)
    response = Response(tallies)
    if cookie is not None:
        response.set_cookie(cookie)
    return response

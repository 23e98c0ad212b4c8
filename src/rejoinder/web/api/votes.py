"""``/api/comments/{id}/vote``: one up or down vote per reader per comment (the rules that
keep one client from deciding the order are in ``service/voting.py``)."""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from rejoinder.domain.models import Votes
from rejoinder.service import voting
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.identity import hand_back, writer_identity
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
    identity = writer_identity(request)
    tallies = await voting.vote(services(request), identity, comment_id, data.value)
    return hand_back(Response(tallies), request, identity)

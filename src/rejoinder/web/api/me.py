"""``/api/me``: a commenter's own data, to download or to erase.

Signed-in readers are known by their sign-on token; guests by their reader token (the
``X-Rejoinder-Reader`` header the widget sends, or the same-site cookie), so a guest can take
out or erase what they wrote from that browser, and nobody else's. A request that names no
reader gets nothing: an address alone is shared by too many people to hand out their data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from rejoinder.domain.comments import check_thread_key
from rejoinder.domain.identity import IdentityKind
from rejoinder.service import privacy
from rejoinder.web.api.refusals import refusals
from rejoinder.web.carriers import READER_HEADER, VOTER_COOKIE
from rejoinder.web.context import services
from rejoinder.web.identity import identify, reading_identity
from rejoinder.web.security import guard_write


@get("/api/me/data", summary="Download everything stored about you (JSON)", responses=refusals(401))
async def my_data(request: Request) -> Response[Any]:
    data = await privacy.author_data(services(request), identify(request))
    return Response(
        msgspec.json.encode(data),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="rejoinder-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


class Erased(msgspec.Struct):
    comments_removed: int


@delete(
    "/api/me",
    guards=[guard_write],
    status_code=HTTP_200_OK,
    summary="Delete your account, or your browser's guest comments",
    responses=refusals(401, write=True),
)
async def erase_me(request: Request) -> Erased:
    app = services(request)
    done = await privacy.erase(app, identify(request))
    app.publish(done.events)
    return Erased(done.result)


class OwnComment(msgspec.Struct):
    id: int
    editable_until: datetime


class MyThread(msgspec.Struct):
    """What the widget shows as the reader's own: their votes, and what they may still edit."""

    votes: dict[str, int]
    own: list[OwnComment]


@get(
    "/api/me/thread",
    summary="Your votes in a thread, and your comments you may still edit",
    description="For the reader named by `X-Rejoinder-Reader` or a sign-on token; empty "
    "for anyone else. Never cached: it is one reader's.",
    responses=refusals(401),
)
async def my_thread(
    request: Request,
    thread: Annotated[str, QueryParameter(description="Article id or canonical URL")],
) -> Response[MyThread]:
    key = check_thread_key(thread)
    part = await privacy.reader_part(services(request), reading_identity(request), key)
    mine = MyThread(
        {str(comment_id): value for comment_id, value in part.votes.items()},
        [OwnComment(comment_id, until) for comment_id, until in part.own],
    )
    return Response(mine, headers={"Cache-Control": "private, no-store"})


class ReaderToken(msgspec.Struct):
    token: str


@post(
    "/api/readers",
    guards=[guard_write],
    status_code=HTTP_201_CREATED,
    summary="Get a reader token",
    description="The token the widget keeps and sends as `X-Rejoinder-Reader`: an opaque "
    "random id, signed, naming nobody. A request that carries a valid one gets it back.",
    responses=refusals(write=True),
)
async def new_reader(request: Request) -> ReaderToken:
    identity = reading_identity(request)
    if identity.kind is IdentityKind.READER:
        token = request.headers.get(READER_HEADER) or request.cookies.get(VOTER_COOKIE) or ""
        return ReaderToken(token)
    _, token = services(request).signer.new_reader_token()
    return ReaderToken(token)

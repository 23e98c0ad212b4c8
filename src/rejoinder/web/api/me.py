"""``/api/me``: a commenter's own data, to download or to erase.

Signed-in readers are known by their sign-on token; guests by their reader token (the
``X-Rejoinder-Reader`` header the widget sends, or the same-site cookie), so a guest can take
out or erase what they wrote from that browser, and nobody else's. A request that names no
reader gets nothing: an address alone is shared by too many people to hand out their data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from rejoinder.domain.comments import check_thread_key
from rejoinder.domain.events import CommentHidden
from rejoinder.domain.identity import IdentityKind
from rejoinder.store import privacy
from rejoinder.store import threads as thread_store
from rejoinder.store.authors import find_author, reader_thread
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.identity import identify, reading_identity
from rejoinder.web.live import forget_events, publish
from rejoinder.web.security import READER_HEADER, VOTER_COOKIE, guard_write


@get("/api/me/data", summary="Download everything stored about you (JSON)", responses=refusals(401))
async def my_data(request: Request) -> Response[Any]:
    app = services(request)
    async with app.db.read() as connection:
        author = await find_author(connection, identify(request))
        data = await privacy.author_data(
            connection, user_id=author.user_id, voter_id=author.voter_id
        )
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
    now = app.clock()
    async with app.db.write() as connection:
        author = await find_author(connection, identify(request))
        removed = await privacy.erase_author(
            connection, user_id=author.user_id, voter_id=author.voter_id, now=now
        )
        events = []
        for comment_id, thread_id in removed:
            events.append(
                CommentHidden(
                    thread=await thread_store.thread_key(connection, thread_id),
                    id=comment_id,
                    comment_count=await thread_store.visible_count(connection, thread_id),
                )
            )
    if removed:
        await forget_events(request)
    for event in events:
        publish(request, event)
    return Erased(len(removed))


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
    app = services(request)
    now = app.clock()
    window = timedelta(seconds=app.settings.edit_window)
    mine = MyThread({}, [])
    async with app.db.read() as connection:
        found = await thread_store.find_thread(connection, key)
        author = await find_author(connection, reading_identity(request))
        if found is not None:
            part = await reader_thread(connection, found.id, author, now - window)
            mine = MyThread(
                {str(comment_id): value for comment_id, value in part.votes.items()},
                [OwnComment(comment_id, at + window) for comment_id, at in part.own],
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

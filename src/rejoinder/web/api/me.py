"""``/api/me``: a commenter's own data, to download or to erase.

Signed-in readers are known by their token; guests by their browser's voter cookie, so a guest
can take out or erase what they wrote from that browser, and nobody else's.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get
from litestar.status_codes import HTTP_200_OK

from rejoinder.domain.events import CommentHidden
from rejoinder.store import privacy
from rejoinder.store import threads as thread_store
from rejoinder.store import users as user_store
from rejoinder.store.votes import find_voter
from rejoinder.web.context import services
from rejoinder.web.identity import signed_in, subject_of
from rejoinder.web.live import forget_events, publish
from rejoinder.web.security import VOTER_COOKIE, guard_write


async def _who(request: Request, connection) -> tuple[int | None, int | None]:  # type: ignore[no-untyped-def]
    app = services(request)
    sso = signed_in(request, app.clock())
    if sso is not None:
        user = await user_store.user_by_subject(connection, subject_of(sso))
        if user is None:
            return None, None
        return user.id, await find_voter(connection, "user", str(user.id))
    key = app.signer.voter_from_cookie(request.cookies.get(VOTER_COOKIE))
    return None, (await find_voter(connection, "guest", key) if key else None)


@get("/api/me/data", summary="Download everything stored about you (JSON)")
async def my_data(request: Request) -> Response[Any]:
    app = services(request)
    async with app.db.read() as connection:
        user_id, voter_id = await _who(request, connection)
        data = await privacy.author_data(connection, user_id=user_id, voter_id=voter_id)
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
)
async def erase_me(request: Request) -> Erased:
    app = services(request)
    now = app.clock()
    async with app.db.write() as connection:
        user_id, voter_id = await _who(request, connection)
        removed = await privacy.erase_author(
            connection, user_id=user_id, voter_id=voter_id, now=now
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

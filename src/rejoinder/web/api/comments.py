"""``/api/comments``: post, edit and delete comments (``service/posting.py`` and
``service/editing.py`` do the work)."""

from __future__ import annotations

import hashlib

import msgspec
from litestar import Request, Response, delete, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from rejoinder.service import editing, posting
from rejoinder.service.editing import Asker, EditedComment
from rejoinder.service.posting import CreatedComment, Retry, Submission
from rejoinder.web.api.refusals import refusals, sends
from rejoinder.web.context import services
from rejoinder.web.identity import hand_back, identify, writer_identity
from rejoinder.web.schemas import CommentEdit, NewComment
from rejoinder.web.security import guard_write, own_origin, public_origin


@post(
    "/api/comments",
    guards=[guard_write],
    opt={"body": NewComment},
    status_code=HTTP_201_CREATED,
    summary="Post a comment or a reply",
    description="An Idempotency-Key header makes a retry return the first result. Readers "
    "signed in through the publisher send their token as `Authorization: Bearer <JWT>`. "
    "Text the pipeline would hold or refuse for its words is answered 422 `nudge` (its "
    "`reasons` say why) and not stored; send it again revised, or with "
    "`nudge_acknowledged: true` to have it held for a moderator.",
    responses=refusals(401, 404, 409, 422, write=True) | sends(HTTP_201_CREATED, CreatedComment),
)
async def create_comment(request: Request, data: JSONBody[NewComment]) -> Response[bytes]:
    app = services(request)
    identity = writer_identity(request)
    key = request.headers.get("idempotency-key")
    retry = None if key is None else Retry(key, hashlib.sha256(await request.body()).hexdigest())
    done = await posting.post_comment(
        app,
        identity,
        Submission(**msgspec.structs.asdict(data)),
        page_origins=(own_origin(request), public_origin(request)),
        retry=retry,
        link_base=public_origin(request),
    )
    app.publish(done.events)
    answer = done.result
    response = Response(answer.body, status_code=answer.status_code, media_type="application/json")
    return response if answer.replayed else hand_back(response, request, identity)


def _asker(request: Request) -> Asker:
    return Asker(lambda: identify(request), request.headers.get("x-edit-token", ""))


@patch(
    "/api/comments/{comment_id:int}",
    guards=[guard_write],
    opt={"body": CommentEdit},
    summary="Edit your comment",
    description="The new text is screened as a new comment is, `nudge` included.",
    responses=refusals(401, 404, 422, write=True),
)
async def edit_comment(
    request: Request, comment_id: FromPath[int], data: JSONBody[CommentEdit]
) -> EditedComment:
    app = services(request)
    done = await editing.edit_comment(
        app,
        _asker(request),
        comment_id,
        data.body,
        data.spoiler,
        nudge_acknowledged=data.nudge_acknowledged,
    )
    app.publish(done.events)
    return done.result


@delete(
    "/api/comments/{comment_id:int}",
    guards=[guard_write],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete your comment",
    responses=refusals(401, 404, write=True),
)
async def delete_comment(request: Request, comment_id: FromPath[int]) -> None:
    app = services(request)
    app.publish((await editing.delete_comment(app, _asker(request), comment_id)).events)

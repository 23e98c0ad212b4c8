"""``/api/comments``: read a thread, post, edit and delete comments."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncConnection

from rejoinder.domain import markup
from rejoinder.domain.comments import (
    check_body,
    check_still_editable,
    check_thread_key,
    draft_comment,
)
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.events import CommentCreated, CommentDeleted, CommentEdited
from rejoinder.domain.models import Sort, Status, StoredComment, ThreadInfo
from rejoinder.domain.ranking import Cursor, decode_cursor, encode_cursor
from rejoinder.domain.text import check_single_line
from rejoinder.domain.threads import nest
from rejoinder.store import comments as comment_store
from rejoinder.store import idempotency
from rejoinder.store import threads as thread_store
from rejoinder.store.votes import voter_id
from rejoinder.web.context import services
from rejoinder.web.live import publish
from rejoinder.web.schemas import CommentEdit, CreatedComment, EditedComment, NewComment, ThreadPage
from rejoinder.web.security import client_address, guard_write
from rejoinder.web.voters import guest_voter

MAX_IDEMPOTENCY_KEY = 255


@get("/api/comments", summary="A page of a thread's comments, replies nested")
async def list_comments(
    request: Request,
    thread: Annotated[str, QueryParameter(description="Article id or canonical URL")],
    sort: Annotated[Sort, QueryParameter(description="Order of top-level comments")] = Sort.BEST,
    limit: Annotated[int, QueryParameter(ge=1, le=200, description="Top-level per page")] = 20,
    cursor: Annotated[str | None, QueryParameter(description="The previous next_cursor")] = None,
) -> ThreadPage:
    key = check_thread_key(thread)
    after = decode_cursor(cursor, sort) if cursor else None
    async with services(request).db.read() as connection:
        found = await thread_store.find_thread(connection, key)
        if found is None:
            return ThreadPage(ThreadInfo(key, None, None, 0, False), [], None)
        top = await comment_store.top_level_page(connection, found.id, sort, limit + 1, after)
        page, more = top[:limit], len(top) > limit
        replies = await comment_store.replies_under(connection, [c.id for c in page])
    next_cursor = encode_cursor(_cursor_after(page[-1], sort)) if more else None
    return ThreadPage(found.info(), nest(page, replies), next_cursor)


def _cursor_after(last: StoredComment, sort: Sort) -> Cursor:
    return Cursor(sort, last.created_at, last.id, last.score)


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    return check_single_line(
        key, "Idempotency-Key", max_length=MAX_IDEMPOTENCY_KEY, label="Idempotency-Key"
    )


@post(
    "/api/comments",
    guards=[guard_write],
    opt={"body": NewComment},
    status_code=HTTP_201_CREATED,
    summary="Post a comment or a reply",
    description="An Idempotency-Key header makes a retry return the first result.",
)
async def create_comment(request: Request, data: JSONBody[NewComment]) -> Response[CreatedComment]:
    draft = draft_comment(
        thread=data.thread,
        thread_title=data.thread_title,
        thread_url=data.thread_url,
        parent_id=data.parent_id,
        author_name=data.author_name,
        author_email=data.author_email,
        body=data.body,
        spoiler=data.spoiler,
    )
    key = _idempotency_key(request)
    app = services(request)
    voter_key, cookie = guest_voter(request)
    now = app.clock()
    async with app.db.write() as connection:
        if key is not None:
            request_hash = hashlib.sha256(await request.body()).hexdigest()
            replay = await idempotency.claim(connection, key, request_hash, now)
            if replay is not None:
                return Response(
                    replay.body, status_code=replay.status_code, media_type="application/json"
                )
        thread = await thread_store.thread_for_new_comment(
            connection, draft.thread_key, draft.thread_title, draft.thread_url, now
        )
        if thread.closed:
            raise RejoinderError(
                Problem.FORBIDDEN, "thread_closed", "This discussion is closed.", "thread"
            )
        root_id = await _root_for_reply(connection, draft.parent_id, thread.id)
        stored = await comment_store.insert_comment(
            connection,
            thread_id=thread.id,
            draft=draft,
            root_id=root_id,
            author_guest=True,
            author_badge=None,
            voter_id=await voter_id(connection, "guest", voter_key, now),
            ip_hash=app.signer.address_hash(client_address(request)),
            status=Status.VISIBLE,
            now=now,
        )
        body = msgspec.json.encode(
            CreatedComment(
                stored.for_readers(),
                app.signer.edit_token(stored.id),
                stored.created_at + timedelta(seconds=app.settings.edit_window),
            )
        )
        if key is not None:
            await idempotency.remember(connection, key, HTTP_201_CREATED, body)
        count = await thread_store.visible_count(connection, thread.id)
    if stored.status is Status.VISIBLE:
        publish(
            request,
            CommentCreated(
                thread=draft.thread_key, comment=stored.for_readers(), comment_count=count
            ),
        )
    response = Response(body, status_code=HTTP_201_CREATED, media_type="application/json")
    if cookie is not None:
        response.set_cookie(cookie)
    return response


async def _root_for_reply(
    connection: AsyncConnection, parent_id: int | None, thread_id: int
) -> int | None:
    """The top-level ancestor a reply hangs under; the parent must be on show in this thread."""
    if parent_id is None:
        return None
    parent = await comment_store.get_comment(connection, parent_id, for_update=True)
    if parent is None or parent.status in (Status.PENDING, Status.REJECTED):
        raise invalid(
            "parent_not_found", f"There is no comment {parent_id} to reply to.", "parent_id"
        )
    if parent.thread_id != thread_id:
        raise invalid(
            "parent_in_other_thread",
            "You can only reply to a comment in the same discussion.",
            "parent_id",
        )
    if parent.status is Status.DELETED:
        raise invalid("parent_deleted", "That comment has been deleted.", "parent_id")
    return parent.root_id or parent.id


async def _editable(
    request: Request, comment_id: int, connection: AsyncConnection
) -> StoredComment:
    """The comment, if the request carries its edit token and the edit window is still open."""
    app = services(request)
    comment = await comment_store.get_comment(connection, comment_id, for_update=True)
    if comment is None or comment.status is Status.DELETED:
        raise RejoinderError(Problem.NOT_FOUND, "not_found", f"There is no comment {comment_id}.")
    token = request.headers.get("x-edit-token", "")
    if not token or not app.signer.verify("edit", str(comment_id), token):
        raise RejoinderError(
            Problem.FORBIDDEN,
            "edit_token_invalid",
            "Only the author can change this comment (the X-Edit-Token is missing or wrong).",
            "X-Edit-Token",
        )
    check_still_editable(comment.created_at, app.clock(), app.settings.edit_window)
    return comment


@patch(
    "/api/comments/{comment_id:int}",
    guards=[guard_write],
    opt={"body": CommentEdit},
    summary="Edit your comment",
)
async def edit_comment(
    request: Request, comment_id: FromPath[int], data: JSONBody[CommentEdit]
) -> EditedComment:
    text = check_body(data.body)
    app = services(request)
    async with app.db.write() as connection:
        comment = await _editable(request, comment_id, connection)
        spoiler = comment.spoiler if data.spoiler is None else data.spoiler
        updated = await comment_store.update_text(
            connection,
            comment_id,
            markdown=text,
            html=markup.render(text),
            spoiler=spoiler,
            now=app.clock(),
        )
        key = await thread_store.thread_key(connection, comment.thread_id)
    publish(request, CommentEdited(thread=key, comment=updated.for_readers()))
    return EditedComment(updated.for_readers())


@delete(
    "/api/comments/{comment_id:int}",
    guards=[guard_write],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete your comment",
)
async def delete_comment(request: Request, comment_id: FromPath[int]) -> None:
    app = services(request)
    async with app.db.write() as connection:
        comment = await _editable(request, comment_id, connection)
        await comment_store.mark_deleted(connection, comment, app.clock())
        key = await thread_store.thread_key(connection, comment.thread_id)
        count = await thread_store.visible_count(connection, comment.thread_id)
    publish(request, CommentDeleted(thread=key, id=comment_id, comment_count=count))

"""``GET /api/comments``: a page of a thread, served from the read cache when it can be.

Readers see the same page until the thread changes, so the page is built once per thread
version and sent as stored bytes; a reader who already has it gets 304 (see
``web/read_cache.py``).
"""

from __future__ import annotations

import logging
from typing import Annotated

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter
from sqlalchemy.exc import SQLAlchemyError

from rejoinder.domain.comments import check_thread_key
from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.identity import Viewer
from rejoinder.domain.models import Comment, Sort, Status, StoredComment, ThreadInfo
from rejoinder.domain.ranking import Cursor, decode_cursor, encode_cursor
from rejoinder.domain.threads import nest
from rejoinder.store import comments as comment_store
from rejoinder.store import threads as thread_store
from rejoinder.store.database import Connection
from rejoinder.store.threads import ThreadRow
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import Services, services
from rejoinder.web.identity import carries_identity, viewer
from rejoinder.web.read_cache import (
    PRIVATE_CACHE_CONTROL,
    PUBLIC_CACHE_CONTROL,
    etag_for,
    matches,
    page_key,
)
from rejoinder.web.schemas import ThreadPage

log = logging.getLogger("rejoinder")

# Replies shown under each top-level comment on a page; the rest come by cursor.
REPLIES_PER_ROOT = 50


@get("/api/comments", summary="A page of a thread's comments, replies nested", responses=refusals())
async def list_comments(
    request: Request,
    thread: Annotated[str, QueryParameter(description="Article id or canonical URL")],
    sort: Annotated[Sort, QueryParameter(description="Order of top-level comments")] = Sort.BEST,
    limit: Annotated[int, QueryParameter(ge=1, le=200, description="Top-level per page")] = 20,
    cursor: Annotated[str | None, QueryParameter(description="The previous next_cursor")] = None,
) -> Response[ThreadPage]:
    key = check_thread_key(thread)
    after = decode_cursor(cursor, sort) if cursor else None
    app = services(request)
    now = app.clock()
    identified = carries_identity(request)
    # ``Vary`` is added by web/read_cache.py, outside the CORS layer that would replace it.
    headers = {"Cache-Control": PRIVATE_CACHE_CONTROL if identified else PUBLIC_CACHE_CONTROL}
    # Taken before the snapshot: a commit after it moves the generation past this page's.
    generation = None if identified else app.changes.generation()
    async with app.db.read() as connection:
        found = await thread_store.find_thread(connection, key)
        if found is None:
            empty = ThreadPage(ThreadInfo(key, None, None, 0, False), [], None)
            return Response(empty, headers=headers)
        reader = await viewer(request, connection) if found.shadowed else None
        if reader is not None and reader.known:
            # Their own shadow-banned comments may be in it: this page is theirs alone.
            body = await _build(connection, found, now, sort, limit, after, reader)
            return _json(body, {"Cache-Control": "private, no-store"})
        cache_key = page_key(found.id, found.version, found.is_closed(now), sort, limit, cursor)
        headers["ETag"] = etag_for(cache_key)
        if matches(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(b"", status_code=304, headers=headers)
        body = await app.reads.page(
            cache_key, lambda: _build_shared(app, connection, found, now, sort, limit, after)
        )
    # The shared page (generation is None for an identified reader): the next anonymous
    # reader gets it before routing, from web/read_cache.py.
    valid_until = None if found.is_closed(now) else found.closes_at()
    app.reads.keep(
        request.scope["query_string"], generation, cache_key, (found.id, found.version), valid_until
    )
    return _json(body, headers)


def _json(body: bytes, headers: dict[str, str]) -> Response[ThreadPage]:
    return Response(body, media_type="application/json", headers=headers)  # type: ignore[arg-type]


async def _build_shared(
    app: Services,
    connection: Connection,
    found: ThreadRow,
    now,  # type: ignore[no-untyped-def]
    sort: Sort,
    limit: int,
    after: Cursor | None,
) -> bytes:
    """The page every anonymous reader shares, built on the read replica when there is one
    and it has caught up with the thread's version on the primary; else on the primary.

    The version was read on the primary, so a lagging replica is seen, not trusted: nobody
    is shown a page older than one they (or anyone) could already have been shown.
    """
    if app.db.replica_usable():
        try:
            async with app.db.replica_read() as replica:
                version = await thread_store.version_of(replica, found.id)
                if version is not None and version >= found.version:
                    return await _build(replica, found, now, sort, limit, after, None)
        except (OSError, SQLAlchemyError) as error:
            log.warning("read replica failed, reading from the primary: %s", error)
            app.db.replica_failed()
    return await _build(connection, found, now, sort, limit, after, None)


async def _build(
    connection: Connection,
    found: ThreadRow,
    now,  # type: ignore[no-untyped-def]
    sort: Sort,
    limit: int,
    after: Cursor | None,
    reader: Viewer | None,
) -> bytes:
    top = await comment_store.top_level_page(connection, found.id, sort, limit + 1, after, reader)
    page, more = top[:limit], len(top) > limit
    picks = []
    if found.featured and not after:
        picks = await comment_store.featured(connection, found.id, reader)
    replies, more_replies = _first_replies(
        await comment_store.replies_under(
            connection, [c.id for c in [*picks, *page]], reader, per_root=REPLIES_PER_ROOT + 1
        )
    )
    next_cursor = encode_cursor(_cursor_after(page[-1], sort)) if more else None
    nested = nest([*picks, *page], replies)
    for comment in nested:
        comment.more_replies = more_replies.get(comment.id)
    pick_ids = {c.id for c in picks}
    return msgspec.json.encode(
        ThreadPage(
            found.info(now),
            [c for c in nested if c.id not in pick_ids],
            next_cursor,
            featured=[c for c in nested if c.id in pick_ids],
        )
    )


def _first_replies(
    replies: list[StoredComment],
) -> tuple[list[StoredComment], dict[int, str]]:
    """At most ``REPLIES_PER_ROOT`` replies under each top-level comment (they came one more
    per root than that), and a cursor for each root that has more."""
    by_root: dict[int, list[StoredComment]] = {}
    for reply in replies:
        by_root.setdefault(reply.root_id or 0, []).append(reply)
    kept, more = [], {}
    for root_id, under in by_root.items():
        if len(under) > REPLIES_PER_ROOT:
            under = under[:REPLIES_PER_ROOT]
            more[root_id] = encode_cursor(Cursor(Sort.OLDEST, under[-1].created_at, under[-1].id))
        kept.extend(under)
    kept.sort(key=lambda reply: (reply.created_at, reply.id))
    return kept, more


def _cursor_after(last: StoredComment, sort: Sort) -> Cursor:
    return Cursor(sort, last.created_at, last.id, last.score)


class RepliesPage(msgspec.Struct):
    replies: list[Comment]
    next_cursor: str | None


@get(
    "/api/comments/{comment_id:int}/replies",
    summary="More replies under a top-level comment, oldest first",
    description="For a comment whose page carried `more_replies`: pass that as `cursor`.",
    responses=refusals(404),
)
async def more_replies(
    request: Request,
    comment_id: FromPath[int],
    cursor: Annotated[str, QueryParameter(description="more_replies, or next_cursor")],
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = REPLIES_PER_ROOT,
) -> RepliesPage:
    after = decode_cursor(cursor, Sort.OLDEST)
    async with services(request).db.read() as connection:
        root = await comment_store.get_comment(connection, comment_id)
        if root is None or root.parent_id is not None or root.status is not Status.VISIBLE:
            raise RejoinderError(
                Problem.NOT_FOUND, "not_found", f"There is no comment {comment_id}."
            )
        reader = await viewer(request, connection)
        found = await comment_store.replies_after(
            connection, comment_id, (after.created_at, after.id), limit + 1, reader
        )
    page, more = found[:limit], len(found) > limit
    next_cursor = (
        encode_cursor(Cursor(Sort.OLDEST, page[-1].created_at, page[-1].id)) if more else None
    )
    return RepliesPage([reply.for_readers() for reply in page], next_cursor)

"""``GET /api/comments``: a page of a thread, served from the read cache when it can be.

Readers see the same page until the thread changes, so the page is built once per thread
version and sent as stored bytes; a reader who already has it gets 304 (see
``web/read_cache.py``). What a page holds is ``service/reading.py``'s.
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter

from rejoinder.domain.comments import check_thread_key
from rejoinder.domain.models import Sort
from rejoinder.domain.ranking import Cursor, decode_cursor
from rejoinder.service import reading
from rejoinder.service.reading import REPLIES_PER_ROOT, RepliesPage, ThreadPage, ThreadSnapshot
from rejoinder.web.api.refusals import refusals, sends
from rejoinder.web.context import read_cache, services
from rejoinder.web.identity import carries_identity, reading_identity
from rejoinder.web.read_cache import (
    PRIVATE_CACHE_CONTROL,
    PUBLIC_CACHE_CONTROL,
    etag_for,
    matches,
    page_key,
)


@get(
    "/api/comments",
    summary="A page of a thread's comments, replies nested",
    responses=refusals() | sends(200, ThreadPage),
)
async def list_comments(
    request: Request,
    thread: Annotated[str, QueryParameter(description="Article id or canonical URL")],
    sort: Annotated[Sort, QueryParameter(description="Order of top-level comments")] = Sort.BEST,
    limit: Annotated[int, QueryParameter(ge=1, le=200, description="Top-level per page")] = 20,
    cursor: Annotated[str | None, QueryParameter(description="The previous next_cursor")] = None,
) -> Response[bytes]:
    key = check_thread_key(thread)
    after = decode_cursor(cursor, sort) if cursor else None
    app = services(request)
    identified = carries_identity(request)
    # Taken before the snapshot: a commit after it moves the generation past this page's.
    generation = None if identified else app.changes.generation()
    async with reading.thread_snapshot(app, key) as snapshot:
        if snapshot.thread is None:
            return _json(
                msgspec.json.encode(reading.empty_page(key, mail=snapshot.mail)), identified
            )
        own = await snapshot.own_view(lambda: reading_identity(request))
        if own is not None:
            # Their own shadow-banned comments may be in it: this page is theirs alone.
            body = await snapshot.page(sort, limit, after, own)
            return _json(body, identified, {"Cache-Control": "private, no-store"})
        asked = _Asked(sort, limit, cursor, after)
        return await _shared(request, snapshot, identified, generation, asked)


class _Asked(NamedTuple):
    sort: Sort
    limit: int
    cursor: str | None
    after: Cursor | None


async def _shared(
    request: Request,
    snapshot: ThreadSnapshot,
    identified: bool,
    generation: int | None,
    asked: _Asked,
) -> Response[bytes]:
    """The page every anonymous reader shares: 304 for a reader who has it, else the cached
    bytes (built once per thread version), left ready for the next anonymous reader.

    ``generation`` is None for an identified reader and also whenever the change watch cannot
    vouch (an unwatched database, PostgreSQL's listener down): such a page is not kept for
    the front door, but an anonymous reader's answer is still public for a CDN."""
    sort, limit, cursor, after = asked
    found, now = snapshot.thread, snapshot.now
    assert found is not None
    cache_key = page_key(found.id, found.version, found.is_closed(now), sort, limit, cursor)
    headers = {"ETag": etag_for(cache_key)}
    if matches(request.headers.get("if-none-match"), headers["ETag"]):
        return _json(b"", identified, headers, status_code=304)
    reads = read_cache(request)
    body = await reads.page(cache_key, lambda: snapshot.page(sort, limit, after))
    # The next anonymous reader gets it before routing, from web/read_cache.py.
    valid_until = None if found.is_closed(now) else found.closes_at()
    reads.keep(
        request.scope["query_string"], generation, cache_key, (found.id, found.version), valid_until
    )
    return _json(body, identified, headers)


def _json(
    body: bytes, identified: bool, headers: dict[str, str] | None = None, status_code: int = 200
) -> Response[bytes]:
    """``Vary`` is added by web/read_cache.py, outside the CORS layer that would replace it."""
    cache = PRIVATE_CACHE_CONTROL if identified else PUBLIC_CACHE_CONTROL
    return Response(
        body,
        status_code=status_code,
        media_type="application/json",
        headers={"Cache-Control": cache, **(headers or {})},
    )


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
    identity = reading_identity(request)
    return await reading.more_replies(services(request), identity, comment_id, after, limit)

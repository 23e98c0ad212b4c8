"""Reading a thread: a page of top-level comments with their first replies, and more replies.

A page is read in one snapshot (``ThreadSnapshot``): the thread's row first, whose version
tells the web layer's read cache whether a page it holds is current, then, only if it must be
built, the comments. The page every anonymous reader shares is built on the read replica when
the replica has caught up with that version.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import msgspec
from sqlalchemy.exc import SQLAlchemyError

from rejoinder.domain.errors import no_comment
from rejoinder.domain.identity import Identity, Viewer
from rejoinder.domain.models import Comment, Sort, Status, StoredComment, ThreadInfo
from rejoinder.domain.ranking import Cursor, encode_cursor
from rejoinder.domain.threads import nest
from rejoinder.service.services import Services
from rejoinder.store import comments as comment_store
from rejoinder.store import threads as thread_store
from rejoinder.store.authors import find_author
from rejoinder.store.database import Connection
from rejoinder.store.threads import ThreadRow

log = logging.getLogger("rejoinder")

# Replies shown under each top-level comment on a page; the rest come by cursor.
REPLIES_PER_ROOT = 50


class ThreadPage(msgspec.Struct):
    thread: ThreadInfo
    comments: list[Comment]
    next_cursor: str | None
    # Editors' picks, on the first page only, shown above the rest with a badge.
    featured: list[Comment] = []
    # The server mails replies (smtp_url is set): the widget offers "E-mail me replies".
    mail: bool = False


class RepliesPage(msgspec.Struct):
    replies: list[Comment]
    next_cursor: str | None


def empty_page(thread_key: str, *, mail: bool = False) -> ThreadPage:
    """The page of a thread nobody has commented on yet."""
    return ThreadPage(ThreadInfo(thread_key, None, None, 0, False), [], None, mail=mail)


class ThreadSnapshot:
    """One consistent read of a thread: its row (``thread``, None if it has no comments
    yet), and its pages as the JSON bytes sent."""

    def __init__(self, app: Services, connection: Connection, thread: ThreadRow | None) -> None:
        self._app = app
        self._connection = connection
        self.thread = thread
        self.now = app.clock()
        self.mail = app.settings.smtp_url is not None

    async def own_view(self, identify: Callable[[], Identity]) -> Viewer | None:
        """The reader, if the thread holds shadow-banned comments and the reader is known:
        their own may be among them, so they get a page of their own. (``identify`` is asked
        only then: most threads have none, and their readers share one page.)"""
        if self.thread is None or not self.thread.shadowed:
            return None
        viewer = (await find_author(self._connection, identify())).viewer()
        return viewer if viewer.known else None

    async def page(
        self, sort: Sort, limit: int, after: Cursor | None, viewer: Viewer | None = None
    ) -> bytes:
        """The page as ``viewer`` sees it, or as every anonymous reader does (None)."""
        assert self.thread is not None  # callers answer an unknown thread with empty_page
        if viewer is None:
            return await self._shared(sort, limit, after)
        return await _build(
            self._connection, self.thread, self.now, sort, limit, after, viewer, self.mail
        )

    async def _shared(self, sort: Sort, limit: int, after: Cursor | None) -> bytes:
        """The page every anonymous reader shares, built on the read replica when there is
        one and it has caught up with the thread's version on the primary; else here.

        The version was read on the primary, so a lagging replica is seen, not trusted:
        nobody is shown a page older than one they (or anyone) could already have been shown.
        """
        db, found = self._app.db, self.thread
        assert found is not None
        if db.replica_usable():
            try:
                async with db.replica_read() as replica:
                    version = await thread_store.version_of(replica, found.id)
                    if version is not None and version >= found.version:
                        return await _build(
                            replica, found, self.now, sort, limit, after, None, self.mail
                        )
            except (OSError, SQLAlchemyError) as error:
                log.warning("read replica failed, reading from the primary: %s", error)
                db.replica_failed()
        return await _build(self._connection, found, self.now, sort, limit, after, None, self.mail)


@asynccontextmanager
async def thread_snapshot(app: Services, thread_key: str) -> AsyncIterator[ThreadSnapshot]:
    async with app.db.read() as connection:
        found = await thread_store.find_thread(connection, thread_key)
        yield ThreadSnapshot(app, connection, found)


async def _build(
    connection: Connection,
    found: ThreadRow,
    now: datetime,
    sort: Sort,
    limit: int,
    after: Cursor | None,
    reader: Viewer | None,
    mail: bool,
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
            mail=mail,
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


async def more_replies(
    app: Services, identity: Identity, comment_id: int, after: Cursor, limit: int
) -> RepliesPage:
    """Replies under a top-level comment on show, oldest first, after the cursor."""
    async with app.db.read() as connection:
        root = await comment_store.get_comment(connection, comment_id)
        if root is None or root.parent_id is not None or root.status is not Status.VISIBLE:
            raise no_comment(comment_id)
        reader = (await find_author(connection, identity)).viewer()
        found = await comment_store.replies_after(
            connection, comment_id, (after.created_at, after.id), limit + 1, reader
        )
    page, more = found[:limit], len(found) > limit
    next_cursor = (
        encode_cursor(Cursor(Sort.OLDEST, page[-1].created_at, page[-1].id)) if more else None
    )
    return RepliesPage([reply.for_readers() for reply in page], next_cursor)

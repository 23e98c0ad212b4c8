"""The thread read cache: shared pages kept as the JSON bytes sent to readers, in two tiers.

**Pages, fresh by thread version.** A page is fresh while its thread's ``version`` is the one
it was built at: every change readers could see bumps the version in the same transaction
(see ``store/threads.py``). So one indexed lookup of the thread tells every process, on any
number of servers, whether its copy is current; nothing has to be told to forget anything,
and a writer's next read always sees their write. The same version makes the ETag, so a
reader who has the page gets 304 without the page being built or even looked up. Pages for a
reader who may see their own shadow-banned comments are never shared or cached.

**Ready answers, fresh by change generation.** A viral thread is read thousands of times
between two comments, and every one of those reads is the same bytes. ``ReadyAnswers``
answers an anonymous ``GET /api/comments`` itself, without even that lookup, when this exact
query was answered with a shared page before and nothing readers could see has been
committed since, by any process, as the database's change signal tells
(``store/changes.py``), and the thread has not closed itself by age meanwhile. A writer, who
has a token, always takes the checked path and reads their own write. The headers sent are
the application's for that page; CORS ones are what Litestar's CORS layer adds for that
origin, asked of that layer (``web/cors.py``).

Both tiers live in one least-recently-used store bounded by count and bytes: a ready answer
points at its page there, so the bytes are counted once and an answer whose page has aged
out is no longer ready.

**Why before routing.** Litestar 2 composes app-level ``middleware`` into each route's own
stack, after routing, and what Litestar does up to there costs more than the whole answer:
measured in process on this 2-core machine, reading a 60-comment thread whole, a ready
answer took 7 to 10 µs per request before routing and 19 to 35 µs as app middleware, and
with an allowed ``Origin`` 7 to 10 µs against 40 to 73 µs (Litestar's CORS layer rewriting
the headers on each answer). The app middleware would also sit inside the CORS layer that
replaces ``Vary``. So ``ReadyAnswers`` is the outermost layer of ``web/front_door.py``.

In front of a CDN: anonymous pages say ``public, max-age=5, stale-while-revalidate=30`` and
``Vary: Origin, Authorization, X-Rejoinder-Reader``; a request with a reader token, the voter
cookie or a sign-on token gets ``private, no-cache`` (revalidated with the ETag every time),
so a reader who wrote sees it on their next load. Purging is never needed for correctness; a
new version simply has a new ETag, and the CDN's copy lives at most ``max-age`` +
``stale-while-revalidate`` seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rejoinder.metrics import BATCHED, PAGE_HITS, PAGE_MISSES, READY_HITS, READY_MISSES
from rejoinder.web.carriers import READER_HEADER, VOTER_COOKIE

if TYPE_CHECKING:
    from rejoinder.web.cors import ReaderApiCors

PATH = "/api/comments"


class Changes(Protocol):
    """What the cache asks of the database's change signal (``store/changes.ChangeWatch``)."""

    def current(self, generation: int | None, thread_id: int, version: int) -> bool: ...


PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
PRIVATE_CACHE_CONTROL = "private, no-cache"
# A reader who names themselves gets their own answer, never a shared copy: a browser or CDN
# must key its copies on these request headers (the widget sends the reader token in one).
VARY = "Authorization, X-Rejoinder-Reader"
# Big enough for every page of hundreds of hot threads; old versions age out first. A ready
# answer counts its headers only, as its body is its page's: most pages have one.
MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 5120

_VOTER = VOTER_COOKIE.encode() + b"="
_READER = READER_HEADER.lower().encode()
# With the CORS headers or without, the copy depends on the Origin too (``web/cors.py``).
_VARY = (b"vary", b"Origin, " + VARY.encode())
_JSON = (b"content-type", b"application/json")
_Headers = list[tuple[bytes, bytes]]


def page_key(
    thread_id: int, version: int, closed: bool, sort: str, limit: int, cursor: str | None
) -> str:
    return f"{thread_id}:{version}:{int(closed)}:{sort}:{limit}:{cursor or ''}"


def etag_for(key: str) -> str:
    return '"' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether the reader's copy is this one (``If-None-Match`` may list several, or ``*``)."""
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


class Ready:
    """A query's shared page, vouched for at the change generation taken before it was built."""

    __slots__ = (
        "etag",
        "generation",
        "not_modified",
        "page",
        "thread_id",
        "valid_until",
        "version",
    )

    def __init__(
        self,
        page: str,
        generation: int,
        thread_id: int,
        version: int,
        valid_until: datetime | None,
    ) -> None:
        self.page = page
        self.generation = generation
        self.thread_id = thread_id
        self.version = version
        self.valid_until = valid_until
        self.etag = etag_for(page)
        self.not_modified: _Headers = [
            (b"etag", self.etag.encode()),
            (b"cache-control", PUBLIC_CACHE_CONTROL.encode()),
        ]

    def size(self) -> int:
        return len(self.page) + sum(len(name) + len(value) for name, value in self.not_modified)


class ReadCache:
    """Pages by key (``page_key``, text) and ready answers by query string (bytes), in one
    store whose least recently used entries go first when it is full."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str | bytes, bytes | Ready] = OrderedDict()
        self._sizes: dict[str | bytes, int] = {}
        self._bytes = 0
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self.served = 0  # ready answers sent
        self._building: dict[str, asyncio.Future[bytes]] = {}

    def get(self, key: str) -> bytes | None:
        body = self._entries.get(key)
        if body is None:
            self.misses += 1
            BATCHED.inc(PAGE_MISSES)
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        BATCHED.inc(PAGE_HITS)
        return body  # type: ignore[return-value]  # text keys hold pages

    def put(self, key: str, body: bytes) -> None:
        self._store(key, body, len(body))

    async def page(self, key: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The stored page, or the one ``build`` makes (see ``build_once``)."""
        body = self.get(key)
        return body if body is not None else await self.build_once(key, build)

    async def build_once(self, key: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """Build the page and keep it; readers asking for it meanwhile wait for that build.

        Every comment on a hot thread makes a new version that dozens of readers want at the
        same instant; without this, each of them would build the same page.
        """
        pending = self._building.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            body = await build()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved here, so an unwatched failure is not logged twice
            raise
        finally:
            del self._building[key]
        future.set_result(body)
        self.put(key, body)
        return body

    def keep(
        self,
        query: bytes,
        generation: int | None,
        key: str,
        thread: tuple[int, int],
        valid_until: datetime | None,
    ) -> None:
        """Make the stored page ``key`` the ready answer to ``query``, for as long as nothing
        is committed after ``generation``, which must be taken before the page's snapshot."""
        if generation is not None and key in self._entries:
            ready = Ready(key, generation, *thread, valid_until)
            self._store(query, ready, ready.size())

    def ready(
        self, query: bytes, changes: Changes, now: Callable[[], datetime]
    ) -> tuple[Ready, bytes] | None:
        """The ready answer to ``query`` and its page, if both are still true."""
        entries = self._entries
        ready = entries.get(query)
        if ready is None:
            return None
        assert isinstance(ready, Ready)  # bytes keys hold ready answers
        body = entries.get(ready.page)
        if body is None or not changes.current(ready.generation, ready.thread_id, ready.version):
            return None
        if ready.valid_until is not None and now() >= ready.valid_until:
            return None
        entries.move_to_end(query)
        entries.move_to_end(ready.page)
        return ready, body  # type: ignore[return-value]  # text keys hold pages

    def _store(self, key: str | bytes, entry: bytes | Ready, size: int) -> None:
        if size > self.max_bytes // 4:
            return
        entries, sizes = self._entries, self._sizes
        if entries.pop(key, None) is not None:
            self._bytes -= sizes[key]
        entries[key] = entry
        sizes[key] = size
        self._bytes += size
        while self._bytes > self.max_bytes or len(entries) > self.max_entries:
            dropped, _ = entries.popitem(last=False)
            self._bytes -= sizes.pop(dropped)

    def __len__(self) -> int:
        return len(self._entries)


class ReadyAnswers:
    """ASGI: answer a ready shared thread page from memory, pass everything else on.

    ``reads`` is the app's read cache; ``services`` returns the running app's services (for
    the change signal and the clock), or None before startup finishes; ``cors`` is the API's
    CORS layer, asked which headers an origin's answer gets.
    """

    def __init__(
        self, app: Any, reads: ReadCache, services: Callable[[], Any], cors: ReaderApiCors
    ) -> None:
        self.app = app
        self._reads = reads
        self._services = services
        self._cors = cors

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            services = self._services()
            if services is not None and await self._answer(scope, send, services):
                return
            await self.app(scope, receive, _varying(send))
            return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Any, send: Any, services: Any) -> bool:
        if_none_match = origin = None
        has_cookie = False
        for name, value in scope["headers"]:
            if name == b"cookie":
                if _VOTER in value:
                    return False
                has_cookie = True
            elif name == b"authorization" or name == _READER:
                return False
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"origin":
                origin = value
        reads = self._reads
        found = reads.ready(scope["query_string"], services.changes, services.clock)
        if found is None:
            BATCHED.inc(READY_MISSES)
            return False
        ready, body = found
        reads.served += 1
        BATCHED.inc(READY_HITS)
        if matches(if_none_match, ready.etag):
            status, headers, body = 304, ready.not_modified, b""
        else:
            length = (b"content-length", str(len(body)).encode())
            status, headers = 200, [_JSON, length, *ready.not_modified]
        if origin is not None:
            headers = headers + await self._cors.simple_headers(origin, has_cookie)
        headers = [*headers, _VARY]
        scope["path_template"] = PATH  # for the request's log line, as routing would set it
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True


def _varying(send: Any) -> Any:
    """``send`` with the thread page's own ``Vary`` added last to the response's headers.

    The application cannot set it itself: Litestar's CORS layer replaces any ``Vary`` with
    ``Vary: Origin`` on a request from an allowed origin, which is exactly the embedded
    widget's, and a cache that kept that answer for anonymous readers would then hand it to a
    reader who sent their token.
    """

    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), _VARY]}
        await send(message)

    return sending

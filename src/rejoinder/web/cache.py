"""The thread read cache: pages of a thread kept as the JSON bytes sent to readers.

A page is fresh while its thread's ``version`` is the one it was built at: every change
readers could see bumps the version in the same transaction (see ``store/threads.py``). So
one indexed lookup of the thread tells every process, on any number of servers, whether its
copy is current; nothing has to be told to forget anything, and a writer's next read always
sees their write.

The same version makes the ETag, so a reader who has the page gets 304 without the page being
built or even looked up. Pages for a reader who may see their own shadow-banned comments are
never shared or cached.

In front of a CDN: anonymous pages say ``public, max-age=5, stale-while-revalidate=30`` and
``Vary: Authorization, X-Rejoinder-Reader``; a request with a reader token, the voter cookie
or a sign-on token gets ``private, no-cache`` (revalidated with the ETag every time), so a
reader who wrote sees it on their next load. Purging is never needed for correctness; a new
version simply has a new ETag, and the CDN's copy lives at most ``max-age`` +
``stale-while-revalidate`` seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable

PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
PRIVATE_CACHE_CONTROL = "private, no-cache"
# A reader who names themselves gets their own answer, never a shared copy: a browser or CDN
# must key its copies on these request headers (the widget sends the reader token in one).
VARY = "Authorization, X-Rejoinder-Reader"
# Big enough for every page of hundreds of hot threads; old versions age out first.
MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 4096


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


class PageCache:
    """Least-recently-used pages, bounded by count and by bytes."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES) -> None:
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._building: dict[str, asyncio.Future[bytes]] = {}

    def get(self, key: str) -> bytes | None:
        body = self._pages.get(key)
        if body is None:
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:
            return
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._pages[key] = body
        self._bytes += len(body)
        while self._bytes > self.max_bytes or len(self._pages) > self.max_entries:
            _, dropped = self._pages.popitem(last=False)
            self._bytes -= len(dropped)

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

    def __len__(self) -> int:
        return len(self._pages)

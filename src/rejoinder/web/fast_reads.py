"""The hot read path: a thread page sent from memory before the framework sees the request.

A viral thread is read thousands of times between two comments, and every one of those reads
is the same bytes. ``FastReads`` sits in front of the application and answers
``GET /api/comments`` itself when three things hold:

- the reader is anonymous (no reader token, no voter cookie, no sign-on token), so the page
  is the shared one and a writer, who has a token, always takes the checked path and reads
  their own write;
- this exact query was answered before, and the answer was a shared page;
- nothing readers could see has been committed since, by any process, as the database's
  change signal tells (``store/changes.py``), and the thread has not closed itself by age
  meanwhile.

Anything else goes to the application unchanged, which answers as before and, for a shared
page, leaves it here for the next reader (``FreshPages.keep``). The headers sent are the ones
the application sends for that page (content type, ``ETag``, ``Cache-Control``, and CORS for
an allowed origin), and ``If-None-Match`` gets its 304 here too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar.config.cors import CORSConfig

from rejoinder.store.changes import ChangeWatch
from rejoinder.web.cache import PUBLIC_CACHE_CONTROL, VARY, matches
from rejoinder.web.security import READER_HEADER, VOTER_COOKIE

PATH = "/api/comments"
MAX_PAGES = 1024
# The bodies are the read cache's own bytes objects, so this mostly bounds what it shares.
MAX_BYTES = 64 * 1024 * 1024
_VOTER = VOTER_COOKIE.encode() + b"="
_READER = READER_HEADER.lower().encode()
# With the CORS headers or without, the copy depends on the Origin too (``web/cors.py``).
_VARY = (b"vary", b"Origin, " + VARY.encode())
_Headers = list[tuple[bytes, bytes]]


class _Page:
    __slots__ = (
        "body",
        "etag",
        "generation",
        "headers",
        "not_modified",
        "thread_id",
        "valid_until",
        "version",
    )

    def __init__(
        self,
        generation: int,
        thread_id: int,
        version: int,
        valid_until: datetime | None,
        etag: str,
        body: bytes,
    ) -> None:
        self.generation = generation
        self.thread_id = thread_id
        self.version = version
        self.valid_until = valid_until
        self.etag = etag
        self.body = body
        common = [(b"etag", etag.encode()), (b"cache-control", PUBLIC_CACHE_CONTROL.encode())]
        self.headers: _Headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *common,
        ]
        self.not_modified: _Headers = common


class FreshPages:
    """The last shared page sent for each query string: its thread, the version it was built
    at, and the change generation taken before it was built."""

    def __init__(self, max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES) -> None:
        self._pages: OrderedDict[bytes, _Page] = OrderedDict()
        self._bytes = 0
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self.served = 0

    def keep(
        self,
        query: bytes,
        generation: int | None,
        thread: tuple[int, int],
        valid_until: datetime | None,
        etag: str,
        body: bytes,
    ) -> None:
        """Remember a shared page; ``generation`` must be taken before the page's snapshot."""
        if generation is None or len(body) > self.max_bytes // 4:
            return
        old = self._pages.pop(query, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._pages[query] = _Page(generation, *thread, valid_until, etag, body)
        self._bytes += len(body)
        while len(self._pages) > self.max_pages or self._bytes > self.max_bytes:
            _, dropped = self._pages.popitem(last=False)
            self._bytes -= len(dropped.body)

    def current(
        self, query: bytes, changes: ChangeWatch, now: Callable[[], datetime]
    ) -> _Page | None:
        page = self._pages.get(query)
        if page is None or not changes.current(page.generation, page.thread_id, page.version):
            return None
        if page.valid_until is not None and now() >= page.valid_until:
            return None
        return page

    def __len__(self) -> int:
        return len(self._pages)


class FastReads:
    """ASGI: answer a fresh shared thread page from memory, pass everything else on.

    ``services`` returns the running app's services, or None before startup finishes.
    """

    def __init__(
        self, app: Any, services: Callable[[], Any], cors: CORSConfig | None = None
    ) -> None:
        self.app = app
        self._services = services
        self._cors = cors
        self._cors_headers: dict[tuple[bytes, bool], _Headers] = {}

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
        page = services.fresh.current(scope["query_string"], services.changes, services.clock)
        if page is None:
            return False
        services.fresh.served += 1
        if matches(if_none_match, page.etag):
            status, headers, body = 304, page.not_modified, b""
        else:
            status, headers, body = 200, page.headers, page.body
        if origin is not None and self._cors is not None:
            headers = headers + self._cors_for(origin, has_cookie)
        headers = [*headers, _VARY]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

    def _cors_for(self, origin: bytes, has_cookie: bool) -> _Headers:
        """The headers Litestar's CORS middleware adds to a simple request from ``origin``."""
        headers = self._cors_headers.get((origin, has_cookie))
        if headers is None:
            config = self._cors
            assert config is not None
            named = dict(config.simple_headers)
            text = origin.decode("latin-1")
            if (config.is_allow_all_origins and has_cookie) or (
                not config.is_allow_all_origins and config.is_origin_allowed(text)
            ):
                named["Access-Control-Allow-Origin"] = text
                named["Vary"] = "Origin"
            named["Access-Control-Allow-Headers"] = ", ".join(sorted(set(config.allow_headers)))
            named["Access-Control-Allow-Methods"] = ", ".join(sorted(set(config.allow_methods)))
            headers = [(k.lower().encode(), v.encode("latin-1")) for k, v in named.items()]
            if len(self._cors_headers) < 256:
                self._cors_headers[origin, has_cookie] = headers
        return headers


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

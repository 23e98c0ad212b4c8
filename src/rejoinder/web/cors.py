"""CORS for the reader's API alone.

The publisher's pages call ``/api/...`` from their own origin, with credentials, so those
answers carry the allowed origin. Any other site may read the discussion too (a reader's
data is public, and readers share links and embeds everywhere): a GET from an origin not
listed is answered ``Access-Control-Allow-Origin: *``, which a browser honours only for a
request sent without cookies, so another site reads exactly what an anonymous visitor
could fetch, never a reader's own answer. It is a simple request's answer alone: a request
carrying the reader's header or a sign-on token needs a preflight, which such an origin is
refused, and so are writes. Nothing outside the API gets CORS: the moderators' ``/admin``
(queue pages with CSRF tokens and unpublished text, the audit log) must never be readable by
another site, even one the publisher listed, and the article pages need no CORS. The
widget's files carry ``Access-Control-Allow-Origin: *`` of their own (``pages/assets.py``).

Every API answer also says ``Vary: Origin``, with or without CORS headers, so a CDN keeps
one copy per origin and never hands an answer made without them to the widget.

A thread page answered from memory (``web/read_cache.py``) gets its CORS headers from the
same Litestar layer, asked once per origin (``simple_headers``), so the two paths cannot
disagree about an origin.
"""

from __future__ import annotations

from typing import Any

from litestar.config.cors import CORSConfig

# Litestar's own CORS handling (simple and preflight requests); its public alias is
# deprecated in favour of ``cors_config``, which covers every path.
from litestar.middleware._internal.cors import CORSMiddleware

API_PREFIX = "/api/"
_VARY_ORIGIN = (b"vary", b"Origin")
# What a read from a site not listed gets: readable without credentials, never with them.
_PUBLIC_READ = (b"access-control-allow-origin", b"*")
_READS = frozenset({"GET", "HEAD"})
# Origins whose headers are remembered; past that, Litestar's layer is asked every time.
KNOWN_ORIGINS = 256
_Headers = list[tuple[bytes, bytes]]


class ReaderApiCors:
    """``app`` with CORS (``config``) on the reader's API and nowhere else."""

    def __init__(self, app: Any, config: CORSConfig | None) -> None:
        self.app = app
        self._middleware = CORSMiddleware(app=app, config=config) if config is not None else None
        self._cors = self._middleware or app
        self._known: dict[tuple[bytes, bool], _Headers] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        send = _varying_on_origin(send)
        if scope["method"] in _READS:
            origin = next((value for name, value in scope["headers"] if name == b"origin"), None)
            if origin is not None and not self._allows(origin):
                await self.app(scope, receive, _adding(send, [_PUBLIC_READ]))
                return
        await self._cors(scope, receive, send)

    def _allows(self, origin: bytes) -> bool:
        """Whether ``origin`` is one the publisher listed (and so may write and send cookies)."""
        config = self._middleware.config if self._middleware is not None else None
        return config is not None and config.is_origin_allowed(origin.decode("latin-1"))

    async def simple_headers(self, origin: bytes, has_cookie: bool) -> _Headers:
        """The headers an answer to a simple request (a GET) from ``origin`` gets, by a
        request with cookies or without: Litestar's CORS layer's for a listed origin, the
        public read's for any other."""
        if self._middleware is None or not self._allows(origin):
            return [_PUBLIC_READ]
        headers = self._known.get((origin, has_cookie))
        if headers is None:
            sent: list[Any] = []

            async def keep(message: Any) -> None:
                sent.append(message)

            adding = self._middleware.send_wrapper(keep, origin.decode("latin-1"), has_cookie)
            await adding({"type": "http.response.start", "status": 200, "headers": []})
            headers = list(sent[0]["headers"])
            if len(self._known) < KNOWN_ORIGINS:
                self._known[origin, has_cookie] = headers
        return headers


def _adding(send: Any, extra: _Headers) -> Any:
    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return sending


def _varying_on_origin(send: Any) -> Any:
    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            if not any(
                name.lower() == b"vary" and b"origin" in value.lower() for name, value in headers
            ):
                message = {**message, "headers": [*headers, _VARY_ORIGIN]}
        await send(message)

    return sending

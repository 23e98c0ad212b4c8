"""CORS for the reader's API alone.

The publisher's pages call ``/api/...`` from their own origin, with credentials, so those
answers carry the allowed origin. Nothing else does: the moderators' ``/admin`` (queue
pages with CSRF tokens and unpublished text, the audit log) must never be readable by
another site, even one the publisher listed, and the article pages need no CORS. The
widget's files carry ``Access-Control-Allow-Origin: *`` of their own (``pages/assets.py``).

Every API answer also says ``Vary: Origin``, with or without CORS headers, so a CDN keeps
one copy per origin and never hands an answer made without them to the widget.
"""

from __future__ import annotations

from typing import Any

from litestar.config.cors import CORSConfig

# Litestar's own CORS handling (simple and preflight requests); its public alias is
# deprecated in favour of ``cors_config``, which covers every path.
from litestar.middleware._internal.cors import CORSMiddleware

API_PREFIX = "/api/"
_VARY_ORIGIN = (b"vary", b"Origin")


class ReaderApiCors:
    """``app`` with CORS (``config``) on the reader's API and nowhere else."""

    def __init__(self, app: Any, config: CORSConfig | None) -> None:
        self.app = app
        self._cors = CORSMiddleware(app=app, config=config) if config is not None else app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        await self._cors(scope, receive, _varying_on_origin(send))


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

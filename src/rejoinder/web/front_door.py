"""The app's front door: the ASGI layers every request passes before Litestar routes it.

Five things must see a request before routing: its id and its log line (``RequestLog``,
outermost, so that every answer below is timed and logged); every answer is counted and
timed for /metrics, those sent from memory too (``RequestMetrics``); a NUL byte is refused
on any path, routed or not (``NulGuard``); the reader's API gets CORS on its 404 and 405
answers and preflights too (``ReaderApiCors``); and a ready thread page is sent from memory,
which only pays off before routing (``web/read_cache.py`` has the figures). Litestar 2 has
no place for them: app-level ``middleware`` joins each route's own stack, after routing, and
the layers it puts before routing (its CORS and OpenTelemetry ones) are built inside its
constructor.

So the app is a ``Litestar`` whose ASGI entry sends each request through these layers and
then into Litestar's own entry. Being a Litestar still, it is served by uvicorn as the
factory's result and tested with Litestar's test clients, ``app.state`` and all.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig

from rejoinder.web.cors import ReaderApiCors
from rejoinder.web.nul_guard import NulGuard
from rejoinder.web.read_cache import ReadCache, ReadyAnswers
from rejoinder.web.request_log import RequestLog
from rejoinder.web.request_metrics import RequestMetrics


class RejoinderApp(Litestar):
    """Litestar behind the front door's layers; ``reader_cors`` is the reader's API's CORS,
    ``trusted_proxies`` those whose ``X-Request-Id`` is kept."""

    def __init__(
        self, *, reader_cors: CORSConfig | None, trusted_proxies: tuple[str, ...], **config: Any
    ) -> None:
        super().__init__(**config)
        api = ReaderApiCors(super().__call__, reader_cors)
        # The read cache holds answers as sent (bytes, ETags, headers): HTTP's, so the app's.
        self.state.reads = ReadCache()
        ready = RequestMetrics(
            ReadyAnswers(
                NulGuard(api),
                self.state.reads,
                lambda: getattr(self.state, "services", None),
                api,
            )
        )
        self._door = RequestLog(ready, trusted_proxies, lambda: self.routes)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await super().__call__(scope, receive, send)
            return
        # As Litestar's entry does first: the CORS layer answers a preflight with the app's
        # request class, found in the scope.
        scope["app"] = scope["litestar_app"] = self
        await self._door(scope, receive, send)

"""ASGI: count each answered request by its route template, method and status, and time it.

The route is the template Litestar matched (``/api/comments/{comment_id:int}``), never the
path: paths are as many as readers can type, and each label value is a time series kept for
ever. A request no route matched counts as ``unmatched``; a thread page answered from memory
before routing (``web/read_cache.py``) as the route it would have matched. The time is from
the request's arrival to its response's headers, so an event stream counts its setup, not
its hours open. This is the front door's outermost layer; it costs about 3 µs a request,
most of it the latency written to this process's metrics file (the count is batched:
``metrics.Batched``).
"""

from __future__ import annotations

import time
from typing import Any

from rejoinder.metrics import UNMATCHED, RequestMeter
from rejoinder.web.read_cache import PATH as THREAD_PAGES


class RequestMetrics:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._meter = RequestMeter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        meter = self._meter

        async def send_counted(message: Any) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("path_template")
                if route is None:  # not routed: answered in front of the router, or no match
                    route = THREAD_PAGES if scope["path"] == THREAD_PAGES else UNMATCHED
                meter.record(
                    route, scope["method"], message["status"], time.perf_counter() - started
                )
            await send(message)

        await self.app(scope, receive, send_counted)

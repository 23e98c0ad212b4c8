"""``/metrics``: the server's metrics in Prometheus' text format, for the operator's scraper.

Off (404, as any unknown address) unless ``metrics_token`` is set, and then answered only
to ``Authorization: Bearer TOKEN``, compared in constant time: the numbers say how busy the
site is and how much waits for its moderators, which is the operator's business alone.
"""

from __future__ import annotations

import asyncio
import hmac

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.metrics import BATCHED, CONTENT_TYPE, exposition
from rejoinder.service.scrape import read_all
from rejoinder.web.context import services


@get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response[bytes]:
    app = services(request)
    token = app.settings.metrics_token
    if not token:
        raise NotFoundException()
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.encode(errors="replace"), token.encode()
    ):
        raise RejoinderError(
            Problem.UNAUTHORISED,
            "unauthorized",
            "Send the metrics token as `Authorization: Bearer TOKEN`.",
            "Authorization",
        )
    families = await read_all(app)
    BATCHED.flush()  # this process's counts as of now; the others' are at most a second old
    # One small file per process and kind of metric to read: off the event loop.
    body = await asyncio.to_thread(exposition, request.app.state.metrics_dir, families)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

"""``/healthz``: for load balancers and orchestrators; healthy means the database answers."""

from __future__ import annotations

from litestar import Request, Response, get
from sqlalchemy import text

from rejoinder.web.context import services
from rejoinder.web.schemas import Health


@get("/healthz", summary="200 when the database answers, 503 when it does not")
async def healthz(request: Request) -> Response[Health]:
    try:
        async with services(request).db.read() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means unhealthy
        return Response(Health("unavailable", type(exc).__name__), status_code=503)
    return Response(Health("ok", "ok"), headers={"Cache-Control": "no-store"})

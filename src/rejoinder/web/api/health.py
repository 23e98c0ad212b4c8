"""``/healthz``: for load balancers and orchestrators; healthy means the database answers
and, after a write failed, that writes work again (``service/health.py`` runs the probes)."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from rejoinder.service import health
from rejoinder.web.context import services
from rejoinder.web.errors import outages
from rejoinder.web.schemas import Health


@get(
    "/healthz",
    summary="200 when the database answers and writes work, 503 when not",
    responses={
        503: ResponseSpec(
            data_container=Health,
            description="Unhealthy: `database` names the fault; see `Retry-After`.",
            generate_examples=False,
        )
    },
)
async def healthz(request: Request) -> Response[Health]:
    unhealthy = await health.check(services(request), outages(request.app))
    if unhealthy is not None:
        return Response(
            Health("unavailable", unhealthy.database),
            status_code=503,
            headers={"Cache-Control": "no-store", "Retry-After": str(unhealthy.retry_after)},
        )
    return Response(Health("ok", "ok"), headers={"Cache-Control": "no-store"})

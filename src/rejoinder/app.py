"""``create_app(settings)``: routes, plugins and lifespan. Nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig

from rejoinder import __version__
from rejoinder.config import Settings
from rejoinder.domain.errors import RejoinderError
from rejoinder.metrics import BATCHED
from rejoinder.service.senders import start_outbox
from rejoinder.service.services import close_services, open_services
from rejoinder.web.admin_session import SignedOut
from rejoinder.web.carriers import READER_HEADER
from rejoinder.web.errors import on_http_exception, on_rejoinder_error, on_unexpected
from rejoinder.web.front_door import RejoinderApp
from rejoinder.web.live import channels_plugin
from rejoinder.web.pages import api_reference
from rejoinder.web.pages.admin import on_signed_out
from rejoinder.web.routes import allow_every_method, route_handlers

# Big enough for a 10,000-character comment of escaped emoji; anything larger is refused early.
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(settings: Settings, *, metrics_dir: str | None = None) -> Litestar:
    """The app; ``metrics_dir`` is the multiprocess metrics directory of ``rejoinder serve``
    (``rejoinder/metrics.py``), None for metrics kept in this process alone."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.services = await open_services(settings, app.plugins.get(ChannelsPlugin).publish)
        start_outbox(app.state.services)
        try:
            yield
        finally:
            BATCHED.flush()  # the last second's counts, before the process goes
            await close_services(app.state.services)

    cors = None
    if settings.allowed_origins:
        cors = CORSConfig(
            allow_origins=list(settings.allowed_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Content-Type",
                "X-Edit-Token",
                "Idempotency-Key",
                "Authorization",
                READER_HEADER,
            ],
            expose_headers=[READER_HEADER],
            allow_credentials=True,
            max_age=600,
        )

    app = RejoinderApp(
        reader_cors=cors,
        trusted_proxies=settings.trusted_proxies,
        route_handlers=route_handlers(),
        lifespan=[lifespan],
        plugins=[channels_plugin(settings)],
        exception_handlers={
            RejoinderError: on_rejoinder_error,
            SignedOut: on_signed_out,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
        openapi_config=OpenAPIConfig(
            title="Rejoinder API",
            version=__version__,
            path=api_reference.PATH,
            render_plugins=api_reference.render_plugins(),
            openapi_router=api_reference.docs_router(),
        ),
        request_max_body_size=MAX_REQUEST_BYTES,
        logging_config=None,  # the server configures logging (web/request_log.py)
    )
    app.state.metrics_dir = metrics_dir
    allow_every_method(app)
    return app

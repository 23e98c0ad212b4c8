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
from rejoinder.scoring import HttpScorer, LocalModelScorer, Scorer
from rejoinder.secret_key import load_secret
from rejoinder.store.changes import watch_for
from rejoinder.store.database import Database
from rejoinder.store.migrate import current_revision, head_revision
from rejoinder.web.admin_session import SignedOut
from rejoinder.web.context import Services
from rejoinder.web.errors import on_http_exception, on_rejoinder_error, on_unexpected
from rejoinder.web.front_door import RejoinderApp
from rejoinder.web.identity import sso_config
from rejoinder.web.live import Publisher, channels_plugin, event_log
from rejoinder.web.pages import api_reference
from rejoinder.web.pages.admin import on_signed_out
from rejoinder.web.ratelimit import MemoryCounter, RedisCounter
from rejoinder.web.read_cache import ReadCache
from rejoinder.web.routes import allow_every_method, route_handlers
from rejoinder.web.security import READER_HEADER, Signer

# Big enough for a 10,000-character comment of escaped emoji; anything larger is refused early.
MAX_REQUEST_BYTES = 1024 * 1024


class NotMigrated(RuntimeError):
    pass


async def open_services(settings: Settings) -> Services:
    """Connect to the database and load the signing secret; the database must be migrated.

    The SSO keys are loaded first, so a key that cannot work stops the server at startup
    instead of failing every reader's sign-in.
    """
    sso_config(settings)
    database = Database(
        settings.database_url, checkpoint_aside=True, replica_url=settings.read_database_url
    )
    try:
        revision = await current_revision(database)
        if revision != head_revision():
            raise NotMigrated(
                f"the database is at schema revision {revision}, not {head_revision()}: "
                "run `rejoinder migrate`"
            )
        secret = await load_secret(settings, database)
    except BaseException:
        await database.dispose()
        raise
    counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
    scorer = make_scorer(settings)
    if isinstance(scorer, LocalModelScorer):
        await scorer.warm()  # about a second, once per process: not on the first comment
    changes = watch_for(database)
    await changes.start()
    database.start()
    return Services(
        settings=settings,
        db=database,
        signer=Signer(secret),
        scorer=scorer,
        counter=counter,
        sso=sso_config(settings),
        changes=changes,
        reads=ReadCache(),
    )


def make_scorer(settings: Settings) -> Scorer:
    """The external API when one is configured, else the model shipped with the package."""
    if settings.toxicity_url:
        return HttpScorer(
            settings.toxicity_url,
            api_key=settings.toxicity_api_key,
            timeout=settings.toxicity_timeout,
            languages=settings.toxicity_languages,
        )
    return LocalModelScorer()


async def close_services(services: Services) -> None:
    await services.changes.close()
    await services.db.dispose()
    if isinstance(services.counter, RedisCounter):
        await services.counter.close()
    if isinstance(services.scorer, HttpScorer):
        await services.scorer.aclose()


def create_app(settings: Settings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.services = await open_services(settings)
        services = app.state.services
        app.state.publisher = Publisher(
            app.plugins.get(ChannelsPlugin),
            event_log(settings, services.db, services.changes),
        )
        app.state.publisher.start()
        try:
            yield
        finally:
            await app.state.publisher.stop()
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
    )
    allow_every_method(app)
    return app

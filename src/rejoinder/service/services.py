"""What every operation needs, opened once per process: the database, the secret, the
scorer, the rate counters, the change signal, the publisher, and the daily backups
when ``backup_dir`` is set.

The web app opens them in its lifespan (``app.py``); anything else that posts, moderates or
publishes without an HTTP request (importers, background work) is to open the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rejoinder.config import Settings
from rejoinder.domain.events import Event
from rejoinder.domain.sso import SsoConfig
from rejoinder.scoring import HttpScorer, LocalModelScorer, Scorer
from rejoinder.secret_key import load_secret
from rejoinder.service.backups import DailyBackups
from rejoinder.service.limits import Counter, MemoryCounter, RedisCounter
from rejoinder.service.outbox import OutboxWorker
from rejoinder.service.publishing import Publisher, event_log
from rejoinder.service.signing import Signer
from rejoinder.store.changes import ChangeWatch, watch_for
from rejoinder.store.database import Database
from rejoinder.store.migrate import current_revision, head_revision


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    signer: Signer
    scorer: Scorer
    counter: Counter
    sso: SsoConfig
    changes: ChangeWatch
    publisher: Publisher
    # Replaceable so tests can move time past the edit window without sleeping.
    clock: Callable[[], datetime] = field(default=utc_now)
    backups: DailyBackups | None = None  # when ``backup_dir`` is set
    outbox: OutboxWorker | None = None  # started by ``open_services``

    def publish(self, events: Iterable[Event]) -> None:
        """Announce what an operation did; call only after its commit."""
        self.publisher.publish(events)
        if self.outbox is not None:
            self.outbox.wake()  # the operation may have queued messages: send them now


def sso_config(settings: Settings) -> SsoConfig:
    return SsoConfig(
        secret=settings.sso_secret,
        public_key=settings.sso_public_key,
        audience=settings.sso_audience,
        issuer=settings.sso_issuer,
    )


class NotMigrated(RuntimeError):
    pass


async def open_services(settings: Settings, broker: Callable[[bytes, str], None]) -> Services:
    """Connect to the database and load the signing secret; the database must be migrated.

    ``broker`` hands published events to this process's subscribers. The SSO keys are loaded
    first, so a key that cannot work stops the server at startup instead of failing every
    reader's sign-in.
    """
    sso = sso_config(settings)
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
    publisher = Publisher(broker, event_log(settings, database, changes))
    publisher.start()
    backups = None
    if settings.backup_dir:
        backups = DailyBackups(database, Path(settings.backup_dir), settings.backup_keep)
        backups.start()
    services = Services(
        settings=settings,
        db=database,
        signer=Signer(secret),
        scorer=scorer,
        counter=counter,
        sso=sso,
        changes=changes,
        publisher=publisher,
        backups=backups,
    )
    services.outbox = outbox_worker(services)
    services.outbox.start()
    return services


def outbox_worker(services: Services) -> OutboxWorker:
    """The process's outbox worker, with a sender for each kind of message.

    The senders are imported here, not at the top: they take ``Services``, so a module-level
    import would make the two modules import each other."""
    from rejoinder.service import mail, webhooks

    settings = services.settings
    return OutboxWorker(
        services.db,
        {webhooks.KIND: webhooks.WebhookSender(services), mail.KIND: mail.MailSender(services)},
        clock=lambda: services.clock(),
        attempts=settings.outbox_attempts,
        retry_seconds=settings.outbox_retry,
        timeout=settings.outbox_timeout,
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
    """Deliver what is queued for publishing, then close every connection."""
    if services.outbox is not None:
        await services.outbox.stop()
    if services.backups is not None:
        await services.backups.stop()
    await services.publisher.stop()
    await services.changes.close()
    await services.db.dispose()
    if isinstance(services.counter, RedisCounter):
        await services.counter.close()
    if isinstance(services.scorer, HttpScorer):
        await services.scorer.aclose()

"""What every handler needs, built once at startup and reached through the app's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from litestar.connection import ASGIConnection

from rejoinder.config import Settings
from rejoinder.store.database import Database

if TYPE_CHECKING:
    from rejoinder.domain.sso import SsoConfig
    from rejoinder.scoring import Scorer
    from rejoinder.store.changes import ChangeWatch
    from rejoinder.web.ratelimit import Counter
    from rejoinder.web.read_cache import ReadCache
    from rejoinder.web.security import Signer


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
    reads: ReadCache
    # Replaceable so tests can move time past the edit window without sleeping.
    clock: Callable[[], datetime] = field(default=utc_now)


def services(connection: ASGIConnection) -> Services:
    return connection.app.state.services  # type: ignore[no-any-return]

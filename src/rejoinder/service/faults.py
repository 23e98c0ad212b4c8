"""Infrastructure faults told apart from bugs: the database away or restarting, a full disk,
a lock held too long, Redis away.

``fault_of`` names a fault from the driver's exception, so the web layer can answer 503 with
``Retry-After`` and background work can log one line instead of a traceback; ``Outages``
logs one warning per episode instead of one per request.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("rejoinder")


@dataclass(frozen=True)
class Fault:
    """An infrastructure fault as clients hear of it: a code, a message and when to retry."""

    code: str
    message: str
    retry_after: int
    cause: str  # for the log: the driver's own words


UNAVAILABLE = "database_unavailable"
STORAGE_FULL = "storage_full"
BUSY = "database_busy"
REDIS_UNAVAILABLE = "redis_unavailable"

_MESSAGES = {
    UNAVAILABLE: ("The database cannot be reached just now. Please try again shortly.", 5),
    STORAGE_FULL: ("The server has run out of storage space. Please try again later.", 30),
    BUSY: ("The database is busy. Please try again in a moment.", 2),
    REDIS_UNAVAILABLE: ("A service the server needs is unavailable. Please try again.", 5),
}
# PostgreSQL SQLSTATEs: class 08 is a lost or refused connection; 57P01-57P03 a server
# shutting down, crashed or starting up; 53100 a full disk; 55P03 a lock timeout.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
_FULL_STATES = ("53100",)
_BUSY_STATES = ("55P03", "57014")
_SQLITE_FULL = ("database or disk is full", "could not extend file")
_DRIVERS = ("sqlalchemy", "asyncpg", "sqlite3", "redis")
_SQLITE_BUSY = ("database is locked", "database table is locked")
_SQLITE_UNAVAILABLE = ("unable to open database file",)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps: SQLAlchemy's ``orig``, then causes and contexts."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 10:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def _code_for(error: BaseException) -> str | None:
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(state, str):
        if state.startswith(_UNAVAILABLE_STATES):
            return UNAVAILABLE
        if state.startswith(_FULL_STATES):
            return STORAGE_FULL
        if state.startswith(_BUSY_STATES):
            return BUSY
    name = type(error).__name__
    module = type(error).__module__
    words = str(error).lower()
    if getattr(error, "connection_invalidated", False) is True:
        # SQLAlchemy found the connection closed under the statement (the driver's own name
        # for the error varies: asyncpg may report its protocol state instead).
        return UNAVAILABLE
    if isinstance(error, sqlite3.OperationalError) or name == "OperationalError":
        if any(w in words for w in _SQLITE_FULL):
            return STORAGE_FULL
        if any(w in words for w in _SQLITE_BUSY):
            return BUSY
        if any(w in words for w in _SQLITE_UNAVAILABLE):
            return UNAVAILABLE
    if module.startswith("redis"):
        if name in ("ConnectionError", "TimeoutError", "BusyLoadingError"):
            return REDIS_UNAVAILABLE
        return None
    if module.startswith("asyncpg") and name in (
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
    ):
        return UNAVAILABLE
    if module == "sqlalchemy.exc" and name == "TimeoutError":  # every pooled connection in use
        return BUSY
    if isinstance(error, OSError) and not isinstance(error, FileNotFoundError):
        if error.errno == 28:  # ENOSPC, seen by a file the database writes beside itself
            return STORAGE_FULL
        return UNAVAILABLE  # refused, reset, unreachable or timed out: the network to it
    if isinstance(error, TimeoutError):
        return UNAVAILABLE
    return None


def _raised_by_driver(error: BaseException) -> bool:
    """Whether a driver raised ``error`` or passed through it: asyncpg's failed connect
    reaches us as a bare ``ConnectionRefusedError`` raised inside SQLAlchemy."""
    if type(error).__module__.split(".")[0] in _DRIVERS or isinstance(error, sqlite3.Error):
        return True
    frame = error.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).split(".")[0] in _DRIVERS:
            return True
        frame = frame.tb_next
    return False


def fault_of(exc: BaseException) -> Fault | None:
    """The infrastructure fault behind ``exc``, or None when it looks like a bug.

    Drivers wrap each other (SQLAlchemy's ``DBAPIError`` around ``sqlite3`` or asyncpg, which
    wraps ``OSError``), so every link of the chain is asked. A full disk or a lock says more
    than the lost connection it may cause, so it wins. A bare ``OSError`` counts only when a
    driver raised it or passed it on: one from our own code is still a bug.
    """
    chain = _chain(exc)
    from_driver = any(_raised_by_driver(e) for e in chain)
    named = [
        (code, error)
        for error in chain
        if (code := _code_for(error)) is not None
        and (from_driver or not isinstance(error, OSError | TimeoutError))
    ]
    if not named:
        return None
    code = next((c for c, _ in named if c in (STORAGE_FULL, BUSY)), named[0][0])
    error = [e for c, e in named if c == code][-1]  # the innermost: the driver's own words
    words = str(error).strip().splitlines()
    return fault_named(code, f"{type(error).__name__}: {words[0] if words else ''}")


def log_failure(what: str, error: BaseException) -> None:
    """Log a background task's failure: an infrastructure fault as one line naming it (the
    server says the same to clients, and a traceback tells an operator nothing more), anything
    else with its traceback, as a bug."""
    fault = fault_of(error)
    if fault is None:
        log.error(what, exc_info=error)
    else:
        log.warning("%s: %s (%s)", what, fault.code, fault.cause)


def fault_named(code: str, cause: str) -> Fault:
    """The fault ``code`` as clients hear of it; ``cause`` is for the log (the driver's
    words, never the SQL's parameters)."""
    message, retry_after = _MESSAGES[code]
    return Fault(code, message, retry_after, cause)


DATABASE_FAULTS = frozenset({UNAVAILABLE, STORAGE_FULL, BUSY})
READ_TELLS = frozenset({UNAVAILABLE})  # a read that works shows the database is back
WRITE_TELLS = frozenset({STORAGE_FULL, BUSY})  # only a write shows space or the lock is back


class Outages:
    """One warning per episode of a fault, and one line when it is over.

    The first refusal logs the cause; the next ones only count. A database episode ends with
    the next commit (the database calls ``committed``) or a working probe from ``/healthz``,
    which also pings Redis while Redis is away.
    """

    def __init__(self) -> None:
        self.open: dict[str, tuple[float, int, Fault]] = {}  # code -> (since, refused, fault)

    def refused(self, fault: Fault, *, count: bool = True) -> None:
        if fault.code not in self.open:
            log.warning(
                "%s: %s; answering 503 until it recovers (repeats are counted, not logged)",
                fault.code,
                fault.cause,
            )
        since, refused, _ = self.open.get(fault.code, (time.monotonic(), 0, fault))
        self.open[fault.code] = (since, refused + int(count), fault)

    def current(self) -> Fault | None:
        """The fault clients hear of now, the most recent first (for ``/healthz``)."""
        return list(self.open.values())[-1][2] if self.open else None

    def committed(self, *_: Any) -> None:
        if self.open:
            self.ended(DATABASE_FAULTS)

    def ended(self, codes: frozenset[str]) -> None:
        for code in [c for c in self.open if c in codes]:
            since, refused, _ = self.open.pop(code)
            log.warning(
                "%s: recovered after %.0f s, %d requests refused",
                code,
                time.monotonic() - since,
                refused,
            )

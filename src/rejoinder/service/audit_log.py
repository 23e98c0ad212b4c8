"""The audit log as moderators read it: a page at a time, or all of it for an export.

Entries are written by the actions they record (``store/audit.record``, in the action's own
transaction). The log only grows, so its reads run in ``read_aside()``, off the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from rejoinder.domain.audit import Change, Target, changes, target
from rejoinder.domain.wording import action_word
from rejoinder.service.services import Services
from rejoinder.store import audit
from rejoinder.store.audit import AuditEntry

AUDIT_PAGE = 100
EXPORT_PAGE = 500  # entries read per transaction while an export streams


@dataclass(frozen=True)
class ShownEntry:
    """An entry as its page shows it: the action and its target in words, and what changed
    field by field (the exports keep the stored values)."""

    entry: AuditEntry
    action: str
    target: Target
    changes: list[Change]


def shown(entry: AuditEntry) -> ShownEntry:
    return ShownEntry(
        entry, action_word(entry.action), target(entry.target), changes(entry.before, entry.after)
    )


@dataclass(frozen=True)
class AuditPage:
    entries: list[ShownEntry]
    more: bool  # there is a next page


async def audit_page(app: Services, page_number: int) -> AuditPage:
    """Page ``page_number`` (from 1) of the log, newest first."""
    async with app.db.read_aside() as connection:
        entries = await audit.entries(
            connection, limit=AUDIT_PAGE + 1, offset=(page_number - 1) * AUDIT_PAGE
        )
    return AuditPage([shown(e) for e in entries[:AUDIT_PAGE]], len(entries) > AUDIT_PAGE)


async def every_entry(app: Services) -> AsyncIterator[AuditEntry]:
    """The whole audit log, newest first, read a page at a time: an export of a long log
    holds neither the whole table in memory nor one read transaction open throughout."""
    before = None
    while True:
        async with app.db.read_aside() as connection:
            found = await audit.entries_before(connection, before, EXPORT_PAGE)
        for entry in found:
            yield entry
        if len(found) < EXPORT_PAGE:
            return
        before = found[-1].id

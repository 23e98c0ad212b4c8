"""Discussion rules: the site's moderation mode and auto-close, and one thread's own mode,
closing and message. Every change is audited in the same transaction as the change.

The changes take the values as a moderator gave them (a mode's name, days as typed), so
their checks run in one order whoever asks, and each refusal names the field it is about.
"""

from __future__ import annotations

from datetime import datetime

from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.moderation.pipeline import Mode
from rejoinder.domain.phrases import phrase
from rejoinder.domain.text import check_single_line
from rejoinder.service import webhooks
from rejoinder.service.services import Services
from rejoinder.store import audit
from rejoinder.store import threads as thread_store
from rejoinder.store.threads import SiteRules, ThreadRow

MAX_MESSAGE_LENGTH = 1000
MAX_AUTO_CLOSE_DAYS = 3650


def mode_named(value: str | None, *, inherit: bool) -> Mode | None:
    """The moderation mode called ``value``; for a thread (``inherit``) none means the
    site's."""
    if inherit and not value:
        return None
    try:
        return Mode(value or "")
    except ValueError:
        raise invalid(
            "invalid_mode", phrase("There is no moderation mode “{value}”.", value=value), "mode"
        ) from None


async def current(app: Services, thread_key: str | None) -> tuple[SiteRules, ThreadRow | None]:
    """The site's rules, and the thread's (with what it inherits) when a key is given."""
    async with app.db.read_aside() as connection:
        site = await thread_store.site_rules(connection)
        found = await thread_store.find_thread(connection, thread_key) if thread_key else None
    return site, found


async def set_thread_rules(
    app: Services,
    moderator: str,
    thread_key: str,
    *,
    mode: str | None,
    closed: bool,
    message: str | None,
) -> None:
    """Give one thread its own mode (none: the site's), close or open it, and set the message
    shown above it (blank: none)."""
    now = app.clock()
    async with app.db.write() as connection:
        found = await thread_store.find_thread(connection, thread_key)
        if found is None:
            raise RejoinderError(
                Problem.NOT_FOUND, "not_found", phrase("There is no discussion with that key.")
            )
        message = (message or "").strip() or None
        if message:
            check_single_line(
                message, "message", max_length=MAX_MESSAGE_LENGTH, label="The message"
            )
        own_mode = mode_named(mode, inherit=True)
        await thread_store.update_thread_rules(
            connection, found.id, mode=own_mode, closed=closed, message=message
        )
        await audit.record(
            connection,
            actor=moderator,
            action="settings",
            target=f"thread:{thread_key}",
            before={"mode": found.own_mode, "closed": found.closed, "message": found.message},
            after={"mode": own_mode, "closed": closed, "message": message},
            now=now,
        )
        if closed and not found.is_closed(now):
            await webhooks.queue_thread_closed(connection, app, found, now)
        elif found.closed and not closed and not _past_auto_close(found, now):
            # Reopened: its next closing is news again. One past its auto-close date stays
            # closed, and was announced: nothing to forget.
            await thread_store.forget_closing(connection, found.id)


def _past_auto_close(thread: ThreadRow, now: datetime) -> bool:
    closes_at = thread.closes_at()
    return closes_at is not None and closes_at <= now


def nudge_named(value: str | None, current: bool) -> bool:
    """Nudging ``"on"`` or ``"off"``; not given, it stays as it is."""
    if value is None:
        return current
    if value not in ("on", "off"):
        raise invalid("invalid_nudge", phrase("Nudging is either on or off."), "nudge")
    return value == "on"


async def set_site_rules(
    app: Services,
    moderator: str,
    *,
    mode: str | None,
    auto_close_days: str,
    nudge: str | None = None,
) -> None:
    """Set the site's moderation mode, after how many days its threads close (empty: never),
    and whether writers are nudged (``"on"``, ``"off"``; not given: unchanged)."""
    now = app.clock()
    async with app.db.write() as connection:
        site = await thread_store.site_rules(connection)
        site_mode = mode_named(mode, inherit=False)
        assert site_mode is not None
        if auto_close_days and not auto_close_days.isdigit():
            raise invalid("invalid_days", phrase("Days must be a whole number."), "auto_close_days")
        days = int(auto_close_days) if auto_close_days else None
        if days is not None and not 1 <= days <= MAX_AUTO_CLOSE_DAYS:
            raise invalid(
                "invalid_days",
                phrase(
                    "Auto-close after 1 to {most} days, or leave it empty.",
                    most=MAX_AUTO_CLOSE_DAYS,
                ),
                "auto_close_days",
            )
        nudging = nudge_named(nudge, site.nudge)
        await thread_store.update_site_rules(
            connection, mode=site_mode, auto_close_days=days, nudge=nudging
        )
        await audit.record(
            connection,
            actor=moderator,
            action="settings",
            target="site",
            before={
                "mode": site.mode,
                "auto_close_days": site.auto_close_days,
                "nudge": site.nudge,
            },
            after={"mode": site_mode, "auto_close_days": days, "nudge": nudging},
            now=now,
        )

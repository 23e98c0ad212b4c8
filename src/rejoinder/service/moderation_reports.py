"""How much moderating each moderator did, and how long comments waited for them: per day,
week or month of a chosen range, from the audit log, so that a newsroom can pay and staff
its moderation.

Days begin at midnight UTC, as the audit log's times are written. A week begins on Monday
and a month on its first day; the first and last periods are cut to the range. The time in
queue is counted for the decisions that take a comment out of its queue (approve, reject,
ban, shadow-ban), from when the comment began to wait (see ``store.moderation_reports``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

import msgspec

from rejoinder.domain.errors import invalid
from rejoinder.domain.phrases import phrase
from rejoinder.service.moderating import Action
from rejoinder.service.services import Services
from rejoinder.store import moderation_reports as store
from rejoinder.store.moderation_reports import Total, Waiting

MAX_DAYS = 366
DEFAULT_DAYS = 30
DECISIONS = (Action.APPROVE, Action.REJECT, Action.BAN, Action.SHADOWBAN)
# Beyond these the arithmetic of a period's end would leave the calendar.
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class ReportRequest(msgspec.Struct, frozen=True):
    first: date  # the range's first and last days, both included
    last: date
    period: Period


class Span(msgspec.Struct, frozen=True):
    first: date
    last: date


class ReportRow(msgspec.Struct, frozen=True):
    """One moderator's work in one span (``moderator`` None: everyone's)."""

    span: Span
    moderator: str | None
    counts: dict[str, int]  # by action, every one of the report's actions
    total: int
    decided: int  # the decisions the median is over
    median_seconds: float | None


class ModerationReport(msgspec.Struct, frozen=True):
    asked: ReportRequest
    actions: list[str]  # the columns of the CSV, in order
    shown: list[str]  # those the page shows: approve, reject and any other done in the range
    rows: list[ReportRow]  # per period (in order) and moderator (by name), active ones only
    moderators: list[ReportRow]  # each moderator over the whole range
    total: ReportRow  # everyone over the whole range


def _day(value: str | None, default: date, field: str) -> date:
    text = (value or "").strip()
    if not text:
        return default
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or len(text) != 10 or not EARLIEST <= day <= LATEST:
        raise invalid(
            "invalid_date",
            phrase("There is no day “{value}”: give it as YYYY-MM-DD.", value=text[:40]),
            field,
        )
    return day


def report_request(
    first: str | None, last: str | None, period: str | None, *, today: date
) -> ReportRequest:
    """The range and period a moderator asked for, checked; by default the last 30 days,
    day by day."""
    try:
        every = Period((period or "day").strip())
    except ValueError:
        raise invalid(
            "invalid_period", phrase("A period is a day, a week or a month."), "period"
        ) from None
    end = _day(last, today, "to")
    start = _day(first, end - timedelta(days=DEFAULT_DAYS - 1), "from")
    if start > end:
        raise invalid("invalid_range", phrase("The first day comes after the last one."), "from")
    if (end - start).days + 1 > MAX_DAYS:
        raise invalid(
            "range_too_long",
            phrase("A report covers at most {most} days.", most=MAX_DAYS),
            "to",
        )
    return ReportRequest(start, end, every)


def _next_start(day: date, period: Period) -> date:
    if period is Period.DAY:
        return day + timedelta(days=1)
    if period is Period.WEEK:
        return day + timedelta(days=7 - day.weekday())
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def spans(asked: ReportRequest) -> list[Span]:
    """The report's periods, the first and last cut to its range."""
    found = []
    day = asked.first
    while day <= asked.last:
        following = _next_start(day, asked.period)
        found.append(Span(day, min(following - timedelta(days=1), asked.last)))
        day = following
    return found


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _columns(found: Iterable[store.ActionCount]) -> list[str]:
    """Every moderator action, in the order the queue offers them, and any other the log
    holds for a comment after them."""
    known = [action.value for action in Action]
    return known + sorted({entry.action for entry in found} - set(known))


def _row(
    span: Span,
    moderator: str | None,
    counts: dict[str, int],
    actions: list[str],
    wait: Waiting | None,
) -> ReportRow:
    return ReportRow(
        span,
        moderator,
        {action: counts.get(action, 0) for action in actions},
        sum(counts.values()),
        wait.decided if wait else 0,
        wait.median_seconds if wait else None,
    )


async def moderation_report(app: Services, asked: ReportRequest) -> ModerationReport:
    periods = spans(asked)
    starts = [_midnight(span.first) for span in periods]
    end = _midnight(asked.last + timedelta(days=1))
    decisions = [action.value for action in DECISIONS]
    async with app.db.read_aside() as connection:
        counted = await store.action_counts(connection, starts, end)
        waits = {
            (by_period, by_moderator): await store.median_waits(
                connection,
                starts,
                end,
                decisions,
                by_period=by_period,
                by_moderator=by_moderator,
            )
            for by_period, by_moderator in ((True, True), (False, True), (False, False))
        }
    actions = _columns(counted)
    per_row: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    per_moderator: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    overall: dict[str, int] = defaultdict(int)
    for entry in counted:
        per_row[entry.period, entry.moderator][entry.action] = entry.count
        per_moderator[entry.moderator][entry.action] += entry.count
        overall[entry.action] += entry.count
    row_waits = {(w.period, w.moderator): w for w in waits[True, True]}
    moderator_waits = {w.moderator: w for w in waits[False, True]}
    whole = Span(asked.first, asked.last)
    shown = [a for a in actions if overall.get(a) or a in (Action.APPROVE, Action.REJECT)]
    return ModerationReport(
        asked,
        actions,
        shown,
        rows=[
            _row(periods[period], moderator, counts, actions, row_waits.get((period, moderator)))
            for (period, moderator), counts in sorted(per_row.items())
        ],
        moderators=[
            _row(whole, moderator, counts, actions, moderator_waits.get(moderator))
            for moderator, counts in sorted(per_moderator.items())
        ],
        total=_row(whole, None, overall, actions, next(iter(waits[False, False]), None)),
    )


async def all_time_counts(app: Services) -> list[Total]:
    """Every action the audit log holds, per moderator and action, since it began: for a
    counter that monitoring reads (it only grows)."""
    async with app.db.read_aside() as connection:
        return await store.all_time_counts(connection)

"""``/admin/reports``: each moderator's actions and the median time in queue, per day, week
or month of a range; and the same figures as CSV, for a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Annotated

from litestar import Request, Response, get
from litestar.params import QueryParameter

from rejoinder.domain.errors import RejoinderError
from rejoinder.service import moderation_reports as reports
from rejoinder.service.moderation_reports import (
    ModerationReport,
    ReportRequest,
    ReportRow,
)
from rejoinder.web.admin_session import SIGNED_IN, SignedIn
from rejoinder.web.context import services
from rejoinder.web.errors import STATUS_FOR, error_response
from rejoinder.web.pages.admin import admin_page

MAX_TYPED = 40  # of a refused value, shown again on the form

From = Annotated[str | None, QueryParameter(name="from", required=False)]
To = Annotated[str | None, QueryParameter(name="to", required=False)]
Every = Annotated[str | None, QueryParameter(name="period", required=False)]


def _asked(
    request: Request, first: str | None, last: str | None, period: str | None
) -> ReportRequest:
    """The range asked for; days are UTC days, as the audit log's times are."""
    today = services(request).clock().astimezone(UTC).date()
    return reports.report_request(first, last, period, today=today)


@get("/admin/reports", include_in_schema=False, dependencies=SIGNED_IN)
async def reports_page(
    request: Request, session: SignedIn, first: From = None, last: To = None, period: Every = None
) -> Response:
    """The report's form and tables; a value it cannot use is shown on the form, beside its
    field, with the values as the moderator typed them."""
    context: dict[str, object] = {"session": session, "report": None}
    try:
        asked = _asked(request, first, last, period)
    except RejoinderError as error:
        typed = {"from": first, "to": last, "period": period}
        typed = {field: (value or "")[:MAX_TYPED] for field, value in typed.items()}
        context.update(error=error, typed=typed)
        return admin_page(
            request, "admin/reports.html", context, status_code=STATUS_FOR[error.problem]
        )
    typed = {
        "from": asked.first.isoformat(),
        "to": asked.last.isoformat(),
        "period": asked.period.value,
    }
    report = await reports.moderation_report(services(request), asked)
    context.update(error=None, typed=typed, report=report)
    return admin_page(request, "admin/reports.html", context)


def _seconds(row: ReportRow) -> str:
    return "" if row.median_seconds is None else str(round(row.median_seconds))


def report_csv(report: ModerationReport) -> str:
    """The page's rows, then each moderator's and everyone's over the whole range (the
    ``moderator`` left empty), with the median wait in whole seconds."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "period_start",
            "period_end",
            "moderator",
            *report.actions,
            "total",
            "decided",
            "median_queue_seconds",
        ]
    )
    for row in [*report.rows, *report.moderators, report.total]:
        writer.writerow(
            [
                row.span.first.isoformat(),
                row.span.last.isoformat(),
                row.moderator or "",
                *(row.counts[action] for action in report.actions),
                row.total,
                row.decided,
                _seconds(row),
            ]
        )
    return out.getvalue()


@get("/admin/reports.csv", include_in_schema=False, dependencies=SIGNED_IN)
async def reports_csv(
    request: Request, session: SignedIn, first: From = None, last: To = None, period: Every = None
) -> Response:
    try:
        asked = _asked(request, first, last, period)
    except RejoinderError as error:
        return error_response(STATUS_FOR[error.problem], error.code, error.message, error.field)
    report = await reports.moderation_report(services(request), asked)
    name = f"rejoinder-moderation-{asked.first}-{asked.last}-{asked.period}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

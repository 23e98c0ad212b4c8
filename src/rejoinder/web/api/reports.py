"""``/api/comments/{id}/reports``: readers flag a comment for moderators
(``service/reporting.py`` says when reports hide it)."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from rejoinder.service import reporting
from rejoinder.service.reporting import ReportReason
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.identity import hand_back, writer_identity
from rejoinder.web.security import guard_write


class NewReport(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: ReportReason
    note: str | None = None


class ReportReceived(msgspec.Struct):
    received: bool = True


@post(
    "/api/comments/{comment_id:int}/reports",
    guards=[guard_write],
    opt={"body": NewReport},
    status_code=HTTP_201_CREATED,
    summary="Report a comment to the moderators",
    responses=refusals(401, 404, 409, write=True),
)
async def report_comment(
    request: Request, comment_id: FromPath[int], data: JSONBody[NewReport]
) -> Response[ReportReceived]:
    app = services(request)
    note = reporting.checked_note(data.note)
    identity = writer_identity(request)
    done = await reporting.report(app, identity, comment_id, data.reason, note)
    app.publish(done.events)
    return hand_back(Response(ReportReceived(), status_code=HTTP_201_CREATED), request, identity)

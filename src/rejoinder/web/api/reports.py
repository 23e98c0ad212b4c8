"""``/api/comments/{id}/reports``: readers flag a comment for moderators.

Enough reports from different readers take the comment off the page until a moderator has
looked: a crowd can hide abuse quickly, but only a person can remove it for good.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Request, Response, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.events import CommentHidden, QueueChanged
from rejoinder.domain.models import Status
from rejoinder.domain.moderation.pipeline import Action, Finding
from rejoinder.domain.text import check_single_line
from rejoinder.store import moderation as moderation_store
from rejoinder.store import reports as report_store
from rejoinder.store import threads as thread_store
from rejoinder.web.context import services
from rejoinder.web.identity import resolve_writer, signed_in
from rejoinder.web.live import publish, publish_moderation
from rejoinder.web.ratelimit import enforce
from rejoinder.web.security import client_address, guard_write
from rejoinder.web.voters import guest_voter

MAX_NOTE_LENGTH = 500
ReportReason = Literal["spam", "abuse", "off_topic", "misinformation", "spoiler"]
REASON_WORDS = {
    "spam": "spam",
    "abuse": "abuse",
    "off_topic": "off-topic",
    "misinformation": "misinformation",
    "spoiler": "unmarked spoiler",
}


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
)
async def report_comment(
    request: Request, comment_id: FromPath[int], data: JSONBody[NewReport]
) -> Response[ReportReceived]:
    app = services(request)
    now = app.clock()
    note = None
    if data.note and data.note.strip():
        note = check_single_line(
            data.note.strip(), "note", max_length=MAX_NOTE_LENGTH, label="The note"
        )
    address_hash = app.signer.address_hash(client_address(request))
    await enforce(
        app.counter, f"report:{address_hash}", app.settings.rate_posts_per_address, "reports"
    )
    sso = signed_in(request, now)
    key, cookie = (None, None) if sso else guest_voter(request)
    hidden = None
    async with app.db.write() as connection:
        comment = await moderation_store.get_for_update(connection, comment_id)
        if comment is None or comment.status is not Status.VISIBLE:
            raise RejoinderError(
                Problem.NOT_FOUND, "not_found", f"There is no comment {comment_id}."
            )
        writer = await resolve_writer(connection, sso, key, now)
        reporter = f"user:{writer.user.id}" if writer.user else f"voter:{writer.voter_id}"
        open_reports = await report_store.add_report(
            connection,
            comment_id=comment_id,
            reason=data.reason,
            note=note,
            reporter=reporter,
            now=now,
        )
        threshold = app.settings.report_threshold
        if open_reports >= threshold and comment.moderated_at is None:
            finding = Finding(
                "reports",
                Action.QUEUE,
                f"{open_reports} readers reported it (latest: {REASON_WORDS[data.reason]})",
            )
            hidden = await moderation_store.set_status(
                connection, comment, Status.PENDING, now=now, by=None, finding=finding
            )
            thread_key = await thread_store.thread_key(connection, comment.thread_id)
            count = await thread_store.visible_count(connection, comment.thread_id)
    if hidden is not None:
        publish(request, CommentHidden(thread=thread_key, id=comment_id, comment_count=count))
    publish_moderation(
        request,
        QueueChanged(
            comment_id=comment_id,
            status=(hidden or comment).status.value,
            reason=f"reported: {REASON_WORDS[data.reason]}",
        ),
    )
    response = Response(ReportReceived(), status_code=HTTP_201_CREATED)
    if cookie is not None:
        response.set_cookie(cookie)
    return response

"""``/api/comments/{id}/reports``: readers flag a comment for moderators.

Enough reports from different readers *and* different addresses take the comment off the
page until a moderator has looked: a crowd can hide abuse quickly, but one client cannot hide
what it dislikes, and only a person can remove a comment for good. A reader's repeated report
is kept for the moderator and not counted again.
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
from rejoinder.store.authors import writer_for
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.identity import hand_back, writer_identity
from rejoinder.web.live import publish, publish_moderation
from rejoinder.web.ratelimit import enforce
from rejoinder.web.security import guard_write

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
    responses=refusals(401, 404, 409, write=True),
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
    identity = writer_identity(request)
    await enforce(
        app.counter,
        f"report:{identity.address_hash}",
        app.settings.rate_posts_per_address,
        "reports",
    )
    hidden = None
    async with app.db.write() as connection:
        comment = await moderation_store.get_for_update(connection, comment_id)
        if comment is None or comment.status is not Status.VISIBLE:
            raise RejoinderError(
                Problem.NOT_FOUND, "not_found", f"There is no comment {comment_id}."
            )
        writer = await writer_for(connection, identity, now)
        found = await report_store.add_report(
            connection,
            comment_id=comment_id,
            reason=data.reason,
            note=note,
            reporter=writer.author.reporter,
            address_hash=identity.address_hash,
            now=now,
        )
        if found.reach(app.settings.report_threshold) and comment.moderated_at is None:
            finding = Finding(
                "reports",
                Action.QUEUE,
                f"{found.readers} readers from {found.addresses} addresses reported it "
                f"(latest: {REASON_WORDS[data.reason]})",
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
    return hand_back(Response(ReportReceived(), status_code=HTTP_201_CREATED), request, identity)

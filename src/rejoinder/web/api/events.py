"""``/api/threads/events``: a thread's new, edited and deleted comments as server-sent events."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent

from rejoinder.domain.comments import check_thread_key
from rejoinder.web.api.refusals import refusals
from rejoinder.web.live import thread_stream


@get(
    "/api/threads/events",
    summary="Live events of one thread (text/event-stream)",
    description="Event types: comment_created, comment_edited, comment_deleted, "
    "comment_hidden; each event's data is the JSON of the event, and its id resumes the "
    "stream: reconnect with Last-Event-ID to get what was missed (or a resync event when "
    "too much was).",
    responses=refusals(404),
)
async def thread_events(
    request: Request,
    thread: Annotated[str, QueryParameter(description="Article id or canonical URL")],
) -> ServerSentEvent:
    key = check_thread_key(thread)
    last_event_id = request.headers.get("last-event-id")
    if last_event_id is not None and (len(last_event_id) > 64 or not last_event_id.isascii()):
        last_event_id = "?"  # not one of ours: the reader gets a resync, not an error
    return ServerSentEvent(
        thread_stream(request, key, last_event_id),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

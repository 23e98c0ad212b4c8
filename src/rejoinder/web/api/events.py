"""``/api/threads/events``: a thread's new, edited and deleted comments as server-sent events."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent

from rejoinder.domain.comments import check_thread_key
from rejoinder.web.live import thread_stream


@get(
    "/api/threads/events",
    summary="Live events of one thread (text/event-stream)",
    description="Event types: comment_created, comment_edited, comment_deleted; "
    "each event's data is the JSON of the event.",
)
async def thread_events(
    request: Request,
    thread: Annotated[str, QueryParameter(description="Article id or canonical URL")],
) -> ServerSentEvent:
    key = check_thread_key(thread)
    return ServerSentEvent(
        thread_stream(request, key),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

"""``/api/counts``: comment counts for a list of articles, for front pages and article lists."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.params import QueryParameter

from rejoinder.domain.comments import check_thread_key
from rejoinder.domain.errors import invalid
from rejoinder.service.site import comment_counts
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.schemas import Counts

MAX_THREADS = 200


@get("/api/counts", summary="Visible-comment counts of several threads", responses=refusals())
async def counts(
    request: Request,
    thread: Annotated[list[str], QueryParameter(description="Repeat for each thread key")],
) -> Counts:
    if len(thread) > MAX_THREADS:
        raise invalid("too_many", f"Ask for at most {MAX_THREADS} threads at once.", "thread")
    keys = [check_thread_key(key) for key in thread]
    return Counts(await comment_counts(services(request), keys))

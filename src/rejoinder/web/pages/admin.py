"""``/admin``: the moderation queues, one comment in full, search, and the live queue stream.

Server-rendered and complete without JavaScript: every action is a plain form post. With
JavaScript (``static/admin.js``) the same forms are sent in the background and the queue is
driven from the keyboard and kept current by the moderation event stream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_303_SEE_OTHER

from rejoinder.domain.errors import RejoinderError, invalid
from rejoinder.domain.events import MODERATION_CHANNEL
from rejoinder.domain.models import Status
from rejoinder.domain.moderation.pipeline import decode_findings
from rejoinder.service.moderating import MAX_BAN_DAYS, Action, BanRequest, apply
from rejoinder.store import moderation as moderation_store
from rejoinder.store import reports as report_store
from rejoinder.store.moderation import Queue, QueueItem
from rejoinder.web.admin_session import (
    ANSWERS_JSON,
    SIGNED_IN,
    AdminSession,
    SignedIn,
    SignedOut,
    checked_form,
)
from rejoinder.web.context import services
from rejoinder.web.errors import STATUS_FOR, error_response
from rejoinder.web.live import channel_stream
from rejoinder.web.pages.render import page, render_fragment

PER_PAGE = 50
MAX_SEARCH = 200
# Where an item no longer belongs after an action, so the page can drop it.
_LEAVES = {
    Queue.PENDING: {Status.VISIBLE, Status.REJECTED, Status.SHADOW},
    Queue.REPORTED: {Status.VISIBLE, Status.REJECTED, Status.SHADOW},
    Queue.APPROVED: {Status.REJECTED, Status.PENDING, Status.SHADOW},
    Queue.REJECTED: {Status.VISIBLE, Status.PENDING, Status.SHADOW},
    Queue.RECENT: set(),
}


def to_login(request: Request) -> Redirect:
    return Redirect(f"/admin/login?next={request.url.path}", status_code=HTTP_303_SEE_OTHER)


def on_signed_out(request: Request, _: SignedOut) -> Response:
    if request.route_handler.opt.get("signed_out") == "json":
        return error_response(401, "signed_out", "Your moderator session has ended: sign in again.")
    return to_login(request)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def error_page(request: Request, session: AdminSession | None, error: RejoinderError) -> Response:
    status = STATUS_FOR[error.problem]
    if wants_json(request):
        return error_response(status, error.code, error.message, error.field)
    return page(
        "admin/error.html",
        {"session": session, "error": error, "status": status},
        status_code=status,
    )


def _queue(value: str | None) -> Queue:
    try:
        return Queue(value or "pending")
    except ValueError:
        return Queue.PENDING


async def _details(connection: Any, items: list[QueueItem]) -> dict[int, dict[str, Any]]:
    """Per item: the parent, the author's history, the pipeline's findings and reports.

    Parents and reports are read for the whole page at once; each author's history is its
    own pair of queries (it leaves out the item itself)."""
    parent_ids = [i.comment.parent_id for i in items if i.comment.parent_id is not None]
    parents = await moderation_store.queue_items(connection, parent_ids)
    reported = [i.comment.id for i in items if i.comment.report_count]
    reports = await report_store.reports_for_comments(connection, reported)
    details: dict[int, dict[str, Any]] = {}
    for item in items:
        comment = item.comment
        history, by_status = await moderation_store.author_history(connection, comment, limit=3)
        details[comment.id] = {
            "parent": parents.get(comment.parent_id) if comment.parent_id is not None else None,
            "history": history,
            "by_status": by_status,
            "findings": decode_findings(comment.moderation),
            "reports": reports.get(comment.id, []),
        }
    return details


def parse_action(value: str | None) -> Action:
    try:
        return Action(value or "")
    except ValueError:
        raise invalid("unknown_action", f"There is no action {value!r}.", "action") from None


def parse_ban(form: Any) -> BanRequest:
    by = form.get("ban_by") or "author"
    if by not in ("author", "email", "address"):
        raise invalid("invalid_ban", "Ban by author, email or address.", "ban_by")
    try:
        days = int(form.get("days") or 0)
    except ValueError:
        raise invalid("invalid_days", "Days must be a whole number.", "days") from None
    if not 0 <= days <= MAX_BAN_DAYS:
        raise invalid("invalid_days", f"Days must be between 0 and {MAX_BAN_DAYS}.", "days")
    reason = (form.get("reason") or "").strip() or None
    if reason and len(reason) > 500:
        raise invalid("too_long", "A ban reason can be at most 500 characters.", "reason")
    return BanRequest(by, days, reason)


@get("/admin", include_in_schema=False, dependencies=SIGNED_IN)
async def queue_page(
    request: Request,
    session: SignedIn,
    queue: Annotated[str | None, QueryParameter(required=False)] = None,
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
) -> Response:
    chosen = _queue(queue)
    app = services(request)
    now = app.clock()
    async with app.db.read() as connection:
        counts = await moderation_store.queue_counts(connection, now)
        items = await moderation_store.queue_page(
            connection, chosen, now, limit=PER_PAGE + 1, offset=(page_number - 1) * PER_PAGE
        )
        more = len(items) > PER_PAGE
        items = items[:PER_PAGE]
        details = await _details(connection, items)
    return page(
        "admin/queue.html",
        {
            "session": session,
            "queue": chosen,
            "queues": list(Queue),
            "counts": counts,
            "items": items,
            "details": details,
            "page": page_number,
            "more": more,
            "now": now,
        },
    )


@get("/admin/counts", include_in_schema=False, dependencies=SIGNED_IN, opt=ANSWERS_JSON)
async def queue_counts(request: Request, session: SignedIn) -> Response:
    app = services(request)
    async with app.db.read() as connection:
        counts = await moderation_store.queue_counts(connection, app.clock())
    return Response({queue.value: n for queue, n in counts.items()})


@get(
    "/admin/items/{comment_id:int}",
    include_in_schema=False,
    dependencies=SIGNED_IN,
    opt=ANSWERS_JSON,
)
async def item_fragment(
    request: Request,
    session: SignedIn,
    comment_id: FromPath[int],
    queue: Annotated[str | None, QueryParameter(required=False)] = None,
) -> Response:
    """One queue item's HTML, for the live queue to insert; 204 if it is not in that queue."""
    chosen = _queue(queue)
    async with services(request).db.read() as connection:
        item = await moderation_store.queue_item(connection, comment_id)
        if (
            item is None
            or item.comment.status in _LEAVES[chosen]
            or (chosen is Queue.REPORTED and not item.comment.report_count)
        ):
            return Response(b"", status_code=204)
        details = await _details(connection, [item])
    html = render_fragment(
        "admin/_item.html",
        {"session": session, "item": item, "details": details, "queue": chosen},
    )
    return Response(html, media_type="text/html; charset=utf-8")


@get("/admin/comments/{comment_id:int}", include_in_schema=False, dependencies=SIGNED_IN)
async def comment_page(request: Request, session: SignedIn, comment_id: FromPath[int]) -> Response:
    async with services(request).db.read() as connection:
        item = await moderation_store.queue_item(connection, comment_id)
        if item is None:
            return page(
                "admin/error.html",
                {"session": session, "status": 404, "error": None},
                status_code=404,
            )
        details = await _details(connection, [item])
        history, by_status = await moderation_store.author_history(connection, item.comment, 20)
        campaign = (
            await moderation_store.campaign_members(connection, item.comment.campaign_id)
            if item.comment.campaign_id
            else []
        )
    return page(
        "admin/comment.html",
        {
            "session": session,
            "item": item,
            "details": details,
            "history": history,
            "by_status": by_status,
            "campaign": campaign,
            "queue": Queue.RECENT,
        },
    )


def _back(form: Any, fallback: str = "/admin") -> str:
    """Return to the page the form was on; only local paths, never another site."""
    target = form.get("next") or fallback
    if not target.startswith("/admin") or target.startswith("//"):
        return fallback
    return target


@post("/admin/comments/{comment_id:int}", include_in_schema=False, dependencies=SIGNED_IN)
async def act_on_comment(
    request: Request, session: SignedIn, comment_id: FromPath[int]
) -> Response:
    try:
        form = await checked_form(request, session)
        action = parse_action(form.get("action"))
        ban = parse_ban(form) if action in (Action.BAN, Action.SHADOWBAN) else None
        app = services(request)
        done = await apply(
            app, session.user.label, comment_id, action, body=form.get("body"), ban=ban
        )
        app.publish(done.events)
        changed = done.result
    except RejoinderError as error:
        return error_page(request, session, error)
    if wants_json(request):
        queue = _queue(form.get("queue"))
        return Response(
            {
                "id": changed.id,
                "status": changed.status.value,
                "spoiler": changed.spoiler,
                "featured": changed.featured,
                "leaves_queue": changed.status in _LEAVES[queue],
            }
        )
    return Redirect(_back(form), status_code=HTTP_303_SEE_OTHER)


@post("/admin/bulk", include_in_schema=False, dependencies=SIGNED_IN)
async def bulk_action(request: Request, session: SignedIn) -> Response:
    """The same action on every ticked comment; each is applied and audited on its own."""
    try:
        form = await checked_form(request, session)
        action = parse_action(form.get("action"))
        if action not in (Action.APPROVE, Action.REJECT, Action.SPOILER, Action.UNSPOILER):
            raise invalid(
                "bulk_not_allowed", "Bulk actions are approve, reject, spoiler and unspoiler."
            )
        ids = [int(value) for value in form.getall("ids", []) if str(value).isdigit()]
        app = services(request)
        for comment_id in ids:
            app.publish((await apply(app, session.user.label, comment_id, action)).events)
    except RejoinderError as error:
        return error_page(request, session, error)
    if wants_json(request):
        return Response({"done": ids})
    return Redirect(_back(form), status_code=HTTP_303_SEE_OTHER)


@get("/admin/search", include_in_schema=False, dependencies=SIGNED_IN)
async def search_page(
    request: Request,
    session: SignedIn,
    q: Annotated[str | None, QueryParameter(required=False)] = None,
    author: Annotated[str | None, QueryParameter(required=False)] = None,
    address: Annotated[str | None, QueryParameter(required=False)] = None,
) -> Response:
    text, name, hashed = ((v or "").strip()[:MAX_SEARCH] or None for v in (q, author, address))
    app = services(request)
    async with app.db.read() as connection:
        items = await moderation_store.search(connection, text=text, author=name, address=hashed)
        details = await _details(connection, items)
        counts = await moderation_store.queue_counts(connection, app.clock())
    return page(
        "admin/search.html",
        {
            "session": session,
            "items": items,
            "details": details,
            "counts": counts,
            "queues": list(Queue),
            "queue": Queue.RECENT,
            "q": text or "",
            "author": name or "",
            "address": hashed or "",
            "searched": any((text, name, hashed)),
        },
    )


@get("/admin/events", include_in_schema=False, dependencies=SIGNED_IN, opt=ANSWERS_JSON)
async def moderation_events(request: Request, session: SignedIn) -> Response:
    """The moderation channel as server-sent events, for signed-in moderators only."""

    async def stream() -> AsyncGenerator[ServerSentEventMessage, None]:
        async for message in channel_stream(request, MODERATION_CHANNEL):
            yield message

    return ServerSentEvent(stream(), headers={"Cache-Control": "no-store"})

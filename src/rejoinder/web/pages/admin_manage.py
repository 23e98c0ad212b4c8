"""``/admin``'s other pages: signing in and out, bans, the audit log, and discussion rules."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Stream
from litestar.status_codes import HTTP_303_SEE_OTHER

from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.moderation.pipeline import Mode
from rejoinder.domain.text import check_single_line
from rejoinder.store import audit
from rejoinder.store import bans as ban_store
from rejoinder.store import threads as thread_store
from rejoinder.web.admin_session import (
    LOGIN_CSRF_COOKIE,
    SIGNED_IN,
    SignedIn,
    check_csrf,
    check_origin,
    checked_form,
    current_session,
    login_form_token,
    sign_in,
    sign_out,
)
from rejoinder.web.context import services
from rejoinder.web.errors import STATUS_FOR
from rejoinder.web.pages.admin import error_page
from rejoinder.web.pages.render import page

AUDIT_PAGE = 100
MAX_MESSAGE_LENGTH = 1000
MAX_AUTO_CLOSE_DAYS = 3650


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/admin") and not value.startswith("//"):
        return value
    return "/admin"


@get("/admin/login", include_in_schema=False)
async def login_page(
    request: Request, next_path: Annotated[str | None, QueryParameter(name="next")] = None
) -> Response:
    token, cookie = login_form_token(request)
    response = page(
        "admin/login.html", {"csrf": token, "next": _safe_next(next_path), "error": None}
    )
    if cookie is not None:
        response.set_cookie(cookie)
    return response


@post("/admin/login", include_in_schema=False)
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    try:
        check_origin(request)
        check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf"))
        if not username or not password or len(username) > 64 or len(password) > 1024:
            raise RejoinderError(
                Problem.UNAUTHORISED, "login_failed", "Give your username and password."
            )
        _, cookie = await sign_in(request, username, password)
    except RejoinderError as error:
        token, new_cookie = login_form_token(request)
        response = page(
            "admin/login.html",
            {"csrf": token, "next": _safe_next(form.get("next")), "error": error},
            status_code=STATUS_FOR[error.problem],
        )
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(error.retry_after)
        if new_cookie is not None:
            response.set_cookie(new_cookie)
        return response
    response = Redirect(_safe_next(form.get("next")), status_code=HTTP_303_SEE_OTHER)
    response.set_cookie(cookie)
    return response


@post("/admin/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    session = await current_session(request)
    form = await request.form()
    if session is not None:
        try:
            check_csrf(session.csrf, form.get("csrf"))
        except RejoinderError as error:
            return error_page(request, session, error)
    response = Redirect("/admin/login", status_code=HTTP_303_SEE_OTHER)
    response.set_cookie(await sign_out(request))
    return response


@get("/admin/bans", include_in_schema=False, dependencies=SIGNED_IN)
async def bans_page(request: Request, session: SignedIn) -> Response:
    app = services(request)
    async with app.db.read() as connection:
        bans = await ban_store.list_bans(connection, app.clock())
    return page("admin/bans.html", {"session": session, "bans": bans})


@post("/admin/bans/{ban_id:int}/lift", include_in_schema=False, dependencies=SIGNED_IN)
async def lift_ban(request: Request, session: SignedIn, ban_id: FromPath[int]) -> Response:
    app = services(request)
    now = app.clock()
    try:
        await checked_form(request, session)
        async with app.db.write() as connection:
            lifted = await ban_store.lift_ban(connection, ban_id, now)
            if lifted is None:
                raise RejoinderError(Problem.NOT_FOUND, "not_found", f"There is no ban {ban_id}.")
            await audit.record(
                connection,
                actor=session.user.label,
                action="lift_ban",
                target=f"ban:{ban_id} {lifted.kind}",
                before={"active": True},
                after={"active": False},
                now=now,
            )
    except RejoinderError as error:
        return error_page(request, session, error)
    return Redirect("/admin/bans", status_code=HTTP_303_SEE_OTHER)


@get("/admin/audit", include_in_schema=False, dependencies=SIGNED_IN)
async def audit_page(
    request: Request,
    session: SignedIn,
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
) -> Response:
    async with services(request).db.read() as connection:
        entries = await audit.entries(
            connection, limit=AUDIT_PAGE + 1, offset=(page_number - 1) * AUDIT_PAGE
        )
    return page(
        "admin/audit.html",
        {
            "session": session,
            "entries": entries[:AUDIT_PAGE],
            "more": len(entries) > AUDIT_PAGE,
            "page": page_number,
        },
    )


EXPORT_PAGE = 500  # audit entries read per transaction while an export streams


async def _every_entry(request: Request) -> AsyncIterator[audit.AuditEntry]:
    """The whole audit log, newest first, read a page at a time: an export of a long log
    holds neither the whole table in memory nor one read transaction open throughout."""
    before = None
    while True:
        async with services(request).db.read() as connection:
            found = await audit.entries_before(connection, before, EXPORT_PAGE)
        for entry in found:
            yield entry
        if len(found) < EXPORT_PAGE:
            return
        before = found[-1].id


@get("/admin/audit.json", include_in_schema=False, dependencies=SIGNED_IN)
async def audit_json(request: Request, session: SignedIn) -> Stream:
    async def body() -> AsyncIterator[bytes]:
        yield b"["
        first = True
        async for entry in _every_entry(request):
            yield (b"" if first else b",") + msgspec.json.encode(entry)
            first = False
        yield b"]"

    return Stream(
        body(),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="rejoinder-audit.json"'},
    )


def _csv_line(values: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


@get("/admin/audit.csv", include_in_schema=False, dependencies=SIGNED_IN)
async def audit_csv(request: Request, session: SignedIn) -> Stream:
    async def body() -> AsyncIterator[str]:
        yield _csv_line(["id", "when", "who", "action", "target", "before", "after"])
        async for entry in _every_entry(request):
            yield _csv_line(
                [
                    entry.id,
                    entry.created_at.isoformat(),
                    entry.actor,
                    entry.action,
                    entry.target,
                    msgspec.json.encode(entry.before).decode(),
                    msgspec.json.encode(entry.after).decode(),
                ]
            )

    return Stream(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rejoinder-audit.csv"'},
    )


def _mode(value: str | None, *, inherit: bool) -> Mode | None:
    if inherit and not value:
        return None
    try:
        return Mode(value or "")
    except ValueError:
        raise invalid("invalid_mode", f"There is no moderation mode {value!r}.", "mode") from None


@get("/admin/settings", include_in_schema=False, dependencies=SIGNED_IN)
async def settings_page(
    request: Request,
    session: SignedIn,
    thread: Annotated[str | None, QueryParameter(required=False)] = None,
) -> Response:
    async with services(request).db.read() as connection:
        site = await thread_store.site_rules(connection)
        found = await thread_store.find_thread(connection, thread) if thread else None
    return page(
        "admin/settings.html",
        {
            "session": session,
            "site": site,
            "modes": list(Mode),
            "thread_key": thread or "",
            "thread": found,
        },
    )


@post("/admin/settings", include_in_schema=False, dependencies=SIGNED_IN)
async def save_settings(request: Request, session: SignedIn) -> Response:
    """Site-wide rules, or one thread's when the form names a thread."""
    form = await request.form()
    app = services(request)
    now = app.clock()
    key = str(form.get("thread") or "")
    try:
        form = await checked_form(request, session)
        async with app.db.write() as connection:
            if key:
                found = await thread_store.find_thread(connection, key)
                if found is None:
                    raise RejoinderError(
                        Problem.NOT_FOUND, "not_found", "There is no discussion with that key."
                    )
                message = (form.get("message") or "").strip() or None
                if message:
                    check_single_line(
                        message, "message", max_length=MAX_MESSAGE_LENGTH, label="The message"
                    )
                mode = _mode(form.get("mode"), inherit=True)
                closed = form.get("closed") == "on"
                await thread_store.update_thread_rules(
                    connection, found.id, mode=mode, closed=closed, message=message
                )
                before = {"mode": found.own_mode, "closed": found.closed, "message": found.message}
                after = {"mode": mode, "closed": closed, "message": message}
                target = f"thread:{key}"
            else:
                site = await thread_store.site_rules(connection)
                mode = _mode(form.get("mode"), inherit=False)
                assert mode is not None
                raw_days = str(form.get("auto_close_days") or "").strip()
                if raw_days and not raw_days.isdigit():
                    raise invalid("invalid_days", "Days must be a whole number.", "auto_close_days")
                days = int(raw_days) if raw_days else None
                if days is not None and not 1 <= days <= MAX_AUTO_CLOSE_DAYS:
                    raise invalid(
                        "invalid_days",
                        f"Auto-close after 1 to {MAX_AUTO_CLOSE_DAYS} days, or leave it empty.",
                        "auto_close_days",
                    )
                await thread_store.update_site_rules(connection, mode=mode, auto_close_days=days)
                before = {"mode": site.mode, "auto_close_days": site.auto_close_days}
                after = {"mode": mode, "auto_close_days": days}
                target = "site"
            await audit.record(
                connection,
                actor=session.user.label,
                action="settings",
                target=target,
                before=before,
                after=after,
                now=now,
            )
    except RejoinderError as error:
        return error_page(request, session, error)
    suffix = f"?thread={key}" if key else ""
    return Redirect(f"/admin/settings{suffix}", status_code=HTTP_303_SEE_OTHER)

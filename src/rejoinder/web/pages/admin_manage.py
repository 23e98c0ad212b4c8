"""``/admin``'s other pages: signing in and out, bans, the audit log, and discussion rules."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Stream
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.moderation.pipeline import Mode
from rejoinder.domain.phrases import phrase
from rejoinder.service import audit_log, bans, rules
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
from rejoinder.web.pages.admin import admin_page, admin_path, error_page, wants_json


@get("/admin/login", include_in_schema=False)
async def login_page(
    request: Request, next_path: Annotated[str | None, QueryParameter(name="next")] = None
) -> Response:
    token, cookie = login_form_token(request)
    response = admin_page(
        request, "admin/login.html", {"csrf": token, "next": admin_path(next_path), "error": None}
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
                Problem.UNAUTHORISED, "login_failed", phrase("Give your username and password.")
            )
        _, cookie = await sign_in(request, username, password)
    except RejoinderError as error:
        token, new_cookie = login_form_token(request)
        response = admin_page(
            request,
            "admin/login.html",
            {"csrf": token, "next": admin_path(form.get("next")), "error": error},
            status_code=STATUS_FOR[error.problem],
        )
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(error.retry_after)
        if new_cookie is not None:
            response.set_cookie(new_cookie)
        return response
    response = Redirect(admin_path(form.get("next")), status_code=HTTP_303_SEE_OTHER)
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
    active = await bans.active_bans(services(request))
    return admin_page(request, "admin/bans.html", {"session": session, "bans": active})


@post("/admin/bans/{ban_id:int}/lift", include_in_schema=False, dependencies=SIGNED_IN)
async def lift_ban(request: Request, session: SignedIn, ban_id: FromPath[int]) -> Response:
    try:
        await checked_form(request, session)
        await bans.lift(services(request), session.user.label, ban_id)
    except RejoinderError as error:
        return error_page(request, session, error)
    return Redirect("/admin/bans", status_code=HTTP_303_SEE_OTHER)


@get("/admin/audit", include_in_schema=False, dependencies=SIGNED_IN)
async def audit_page(
    request: Request,
    session: SignedIn,
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
) -> Response:
    found = await audit_log.audit_page(services(request), page_number)
    return admin_page(
        request,
        "admin/audit.html",
        {"session": session, "entries": found.entries, "more": found.more, "page": page_number},
    )


@get("/admin/audit.json", include_in_schema=False, dependencies=SIGNED_IN)
async def audit_json(request: Request, session: SignedIn) -> Stream:
    async def body() -> AsyncIterator[bytes]:
        yield b"["
        first = True
        async for entry in audit_log.every_entry(services(request)):
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
        async for entry in audit_log.every_entry(services(request)):
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
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="rejoinder-audit.csv"'},
    )


@get("/admin/settings", include_in_schema=False, dependencies=SIGNED_IN)
async def settings_page(
    request: Request,
    session: SignedIn,
    thread: Annotated[str | None, QueryParameter(required=False)] = None,
) -> Response:
    return await _settings(request, session, thread or "")


async def _settings(
    request: Request,
    session: SignedIn,
    thread_key: str,
    refused: RejoinderError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The rules' forms; after a refusal, the form again with the refusal beside its field
    and the values as the moderator typed them."""
    site, found = await rules.current(services(request), thread_key or None)
    return admin_page(
        request,
        "admin/settings.html",
        {
            "session": session,
            "site": site,
            "modes": list(Mode),
            "thread_key": thread_key,
            "thread": found,
            "site_error": refused if refused and not thread_key else None,
            "thread_error": refused if refused and thread_key else None,
            "typed": typed or {},
        },
        status_code=STATUS_FOR[refused.problem] if refused else HTTP_200_OK,
    )


async def _settings_refused(
    request: Request, session: SignedIn, thread_key: str, form: Any, error: RejoinderError
) -> Response:
    """A value the form can point at is shown on the form; anything else (a stale form, a
    thread that has gone) gets the error page."""
    if error.problem is not Problem.INVALID or error.field is None or wants_json(request):
        return error_page(request, session, error)
    typed = {name: str(form.get(name) or "") for name in ("auto_close_days", "message")}
    return await _settings(request, session, thread_key, error, typed)


@post("/admin/settings", include_in_schema=False, dependencies=SIGNED_IN)
async def save_settings(request: Request, session: SignedIn) -> Response:
    """Site-wide rules, or one thread's when the form names a thread."""
    form = await request.form()
    app = services(request)
    key = str(form.get("thread") or "")
    try:
        form = await checked_form(request, session)
        if key:
            await rules.set_thread_rules(
                app,
                session.user.label,
                key,
                mode=form.get("mode"),
                closed=form.get("closed") == "on",
                message=form.get("message"),
            )
        else:
            await rules.set_site_rules(
                app,
                session.user.label,
                mode=form.get("mode"),
                auto_close_days=str(form.get("auto_close_days") or "").strip(),
                nudge=form.get("nudge"),
            )
    except RejoinderError as error:
        return await _settings_refused(request, session, key, form, error)
    suffix = f"?thread={key}" if key else ""
    return Redirect(f"/admin/settings{suffix}", status_code=HTTP_303_SEE_OTHER)

"""``/admin/import``: an admin brings in another system's archive without a shell: upload,
preview (a dry run), import, and the summary ``rejoinder import`` prints.

Litestar spools a file part to a temporary file as it arrives (past 1 MB it is on disk, not
in memory), and a body over the route's limit is refused as it streams; the archive is then
copied to a named file the readers can open (Isso's is a SQLite database), which goes when
the answer is made. Archives over ``MAX_ARCHIVE_MB`` are refused with the command to use.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from babel.numbers import format_decimal
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.status_codes import HTTP_200_OK

from rejoinder.archives.opening import FORMATS
from rejoinder.catalogues import DATE_LOCALES
from rejoinder.domain.errors import RejoinderError, invalid
from rejoinder.domain.phrases import phrase
from rejoinder.service import import_upload
from rejoinder.service.import_upload import (
    AUTO,
    MAX_ARCHIVE_BYTES,
    MAX_ARCHIVE_MB,
    MAX_KEY_MAP_BYTES,
    Imported,
)
from rejoinder.service.importing import summary_lines
from rejoinder.web.admin_session import (
    SIGNED_IN,
    SignedIn,
    check_csrf,
    check_origin,
    require_admin,
)
from rejoinder.web.context import services
from rejoinder.web.errors import STATUS_FOR
from rejoinder.web.pages.admin import admin_page, error_page
from rejoinder.web.pages.render import admin_language

# The archive, a key map and the form's few fields; a larger body is refused as it arrives.
MAX_BODY_BYTES = MAX_ARCHIVE_BYTES + MAX_KEY_MAP_BYTES + 64 * 1024
FORMAT_NAMES = {
    "disqus": "Disqus",
    "wordpress": "WordPress",
    "isso": "Isso",
    "remark42": "Remark42",
    "commento": "Commento",
}
# The form's fields a refusal is shown beside; any other (the CSRF token) is the error page's.
FIELDS = ("archive", "format", "site_origin", "key_map")


def _import_form(
    request: Request,
    session: SignedIn,
    *,
    refused: RejoinderError | None = None,
    typed: dict[str, str] | None = None,
    done: Imported | None = None,
) -> Response:
    """The form; above it, after a run, its summary in the admin's language; after a
    refusal, the refusal beside its field and the choices as the admin made them."""
    language = admin_language(request)
    locale = DATE_LOCALES[language]
    lines = []
    if done is not None:
        lines = summary_lines(done.summary, lambda n: format_decimal(n, locale=locale))
    return admin_page(
        request,
        "admin/import.html",
        {
            "session": session,
            "formats": [(name, FORMAT_NAMES.get(name, name)) for name in FORMATS],
            "most": MAX_ARCHIVE_MB,
            "error": refused,
            "typed": typed or {"format": AUTO, "site_origin": ""},
            "done": done,
            "lines": lines,
        },
        status_code=STATUS_FOR[refused.problem] if refused else HTTP_200_OK,
    )


@get("/admin/import", include_in_schema=False, dependencies=SIGNED_IN)
async def import_page(request: Request, session: SignedIn) -> Response:
    try:
        require_admin(session)
    except RejoinderError as error:
        return error_page(request, session, error)
    return _import_form(request, session)


@post(
    "/admin/import",
    include_in_schema=False,
    dependencies=SIGNED_IN,
    request_max_body_size=MAX_BODY_BYTES,
)
async def import_archive(request: Request, session: SignedIn) -> Response:
    """Preview (``run=preview``, also the default) or import (``run=import``) the upload."""
    try:
        require_admin(session)  # before the body is read: a moderator's upload is not taken
        check_origin(request)
    except RejoinderError as error:
        return error_page(request, session, error)
    try:
        form = await _posted(request)
    except RejoinderError as error:
        return _import_form(request, session, refused=error)
    typed = {"format": _text(form, "format") or AUTO, "site_origin": _text(form, "site_origin")}
    try:
        check_csrf(session.csrf, form.get("csrf"))
        done = await _run(request, session, form, typed)
    except RejoinderError as error:
        if error.field not in FIELDS:
            return error_page(request, session, error)
        return _import_form(request, session, refused=error, typed=typed)
    finally:
        await _close_uploads(form)
    return _import_form(request, session, typed=typed, done=done)


async def _posted(request: Request) -> Any:
    """The form, its files spooled to disk; a body too large or broken, refused."""
    try:
        return await request.form()
    except RequestEntityTooLarge:
        raise import_upload.too_large() from None
    except (ClientException, UnicodeDecodeError):
        raise invalid(
            "invalid_upload",
            phrase("The upload did not arrive whole. Choose the file and send it again."),
            "archive",
        ) from None


async def _close_uploads(form: Any) -> None:
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            await value.close()


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _run(request: Request, session: SignedIn, form: Any, typed: dict[str, str]) -> Imported:
    archive = form.get("archive")
    if not isinstance(archive, UploadFile) or not archive.filename:
        raise invalid("no_archive", phrase("Choose the archive to import."), "archive")
    key_file = form.get("key_map")
    key_map = None
    if isinstance(key_file, UploadFile) and key_file.filename:
        key_map = await key_file.read(MAX_KEY_MAP_BYTES + 1)
    dry_run = _text(form, "run") != "import"
    chosen = import_upload.choices(typed["format"], typed["site_origin"], key_map, dry_run)
    size = archive.file.seek(0, os.SEEK_END)
    archive.file.seek(0)
    if size > MAX_ARCHIVE_BYTES:
        raise import_upload.too_large()
    name = import_upload.file_name(archive.filename)
    with tempfile.TemporaryDirectory(prefix="rejoinder-import-") as folder:
        path = Path(folder) / "archive"
        await asyncio.to_thread(_save, archive.file, path)
        return await import_upload.run(services(request), session.user.label, path, name, chosen)


def _save(upload: IO[bytes], path: Path) -> None:
    with path.open("wb") as target:
        shutil.copyfileobj(upload, target, 1024 * 1024)

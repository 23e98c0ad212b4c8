"""``POST /api/preview``: the HTML a comment's markdown would be published as."""

from __future__ import annotations

from litestar import Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from rejoinder.service import previewing
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.identity import reading_identity
from rejoinder.web.schemas import Preview, PreviewRequest
from rejoinder.web.security import guard_write


@post(
    "/api/preview",
    guards=[guard_write],
    opt={"body": PreviewRequest},
    status_code=HTTP_200_OK,
    summary="Render a comment's markdown as it would be published, storing nothing",
    responses=refusals(413, 429, write=True),
)
async def preview_comment(request: Request, data: JSONBody[PreviewRequest]) -> Preview:
    identity = reading_identity(request)
    return Preview(await previewing.preview(services(request), identity, data.body))

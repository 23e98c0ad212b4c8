"""``/api/moderation/callback``: an outside moderation service approves or rejects a comment
that waits for a moderator, at the signed address its ``comment.queued`` webhook carried
(``service/webhooks.py``)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Request, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from rejoinder.domain.models import Status
from rejoinder.service import moderating, webhooks
from rejoinder.service.moderating import Action
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.security import guard_write

MAX_ID = 2**63 - 1  # a database id's range: larger numbers are refused, never looked up


class Decision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    action: Literal["approve", "reject"]


class Decided(msgspec.Struct, kw_only=True):
    id: int
    status: str


@post(
    webhooks.CALLBACK_PATH,
    guards=[guard_write],
    opt={"body": Decision},
    status_code=HTTP_200_OK,
    summary="An outside moderation service decides on a waiting comment",
    responses=refusals(403, 404, 409, write=True),
)
async def moderation_callback(
    request: Request,
    data: JSONBody[Decision],
    comment: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
    endpoint: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
    expires: Annotated[int, QueryParameter(ge=0, le=MAX_ID)],
    signature: Annotated[str, QueryParameter(max_length=100)],
) -> Decided:
    """Only a comment still waiting is decided here: once a moderator has acted, theirs is
    the decision, and the service hears 409 with the comment's standing."""
    app = services(request)
    webhooks.check_callback(app, comment, endpoint, expires, signature)
    action = Action.APPROVE if data.action == "approve" else Action.REJECT
    done = await moderating.apply(
        app, f"webhook:{endpoint}", comment, action, only_if=Status.PENDING
    )
    app.publish(done.events)
    return Decided(id=done.result.id, status=done.result.status.value)

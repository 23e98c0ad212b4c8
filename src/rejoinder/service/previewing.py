"""A comment's text as it would be published, before it is: the reader's markdown rendered by
the rules every comment goes through (``domain/markup.render``: markdown-it with raw HTML off,
then nh3), so the preview cannot promise what the published comment will not show."""

from __future__ import annotations

from rejoinder.domain.comments import check_body
from rejoinder.domain.identity import Identity
from rejoinder.domain.markup import render
from rejoinder.service.limits import enforce
from rejoinder.service.services import Services

# Two a second, per address: a reader pressing Preview, never a script rendering for free.
PREVIEWS_PER_ADDRESS = (120, 60)


async def preview(app: Services, identity: Identity, body: str) -> str:
    """The HTML ``body`` would be published as; refused as a post would be if it is empty,
    too long or holds what no comment may."""
    text = check_body(body)
    await enforce(
        app.counter, f"preview:address:{identity.address_hash}", PREVIEWS_PER_ADDRESS, "previews"
    )
    return render(text)

"""A thread's first page as HTML: in Rejoinder's own article pages, and as a fragment a
publisher's server may include in its own.

Search engines and readers without JavaScript then see the comments, marked up as schema.org
``Comment`` items. The page is the one every anonymous reader of ``GET /api/comments`` shares
(Best, the first 20), read through the same read cache entry, and it is also put in the page
as JSON, so the widget that takes over has it without downloading it again.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, Response, get
from litestar.params import QueryParameter
from markupsafe import Markup

from rejoinder import __version__
from rejoinder.domain.comments import check_thread_key
from rejoinder.domain.models import Sort
from rejoinder.service import reading
from rejoinder.service.reading import ThreadPage
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import read_cache, services
from rejoinder.web.pages.render import render_fragment, site_language
from rejoinder.web.read_cache import etag_for, matches, page_key

# What the widget shows first, and what GET /api/comments answers by default.
FIRST_PAGE_LIMIT = 20
# A publisher's server may keep the fragment this long; readers see a new comment in the
# widget at once, and search engines need no fresher copy.
FRAGMENT_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"


class FirstPage(msgspec.Struct, frozen=True):
    page: ThreadPage
    body: bytes  # the page as GET /api/comments sends it
    key: str  # the read cache's: it changes whenever the page does


async def first_page(request: Request, thread_key: str) -> FirstPage:
    """The page every anonymous reader shares, from the read cache when it holds it."""
    async with reading.thread_snapshot(services(request), thread_key) as snapshot:
        found = snapshot.thread
        if found is None:
            empty = reading.empty_page(thread_key)
            return FirstPage(empty, msgspec.json.encode(empty), f"empty:{thread_key}")
        key = page_key(
            found.id,
            found.version,
            found.is_closed(snapshot.now),
            Sort.BEST,
            FIRST_PAGE_LIMIT,
            None,
        )
        body = await read_cache(request).page(
            key, lambda: snapshot.page(Sort.BEST, FIRST_PAGE_LIMIT, None)
        )
    return FirstPage(msgspec.json.decode(body, type=ThreadPage), body, key)


def page_as_json(body: bytes) -> Markup:
    """The page's JSON, safe inside a ``<script type="application/json">`` element: no
    ``</script>`` or ``<!--`` can end it early, whatever the comments say."""
    text = body.decode("utf-8").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


@get(
    "/fragments/comments",
    summary="A thread's first page of comments as an HTML fragment, to include server-side",
    description=(
        "Sanitised HTML with schema.org Comment markup, no scripts or styles: safe to insert "
        "into a publisher's own page. Cacheable; send If-None-Match to revalidate."
    ),
    responses=refusals(),
    media_type="text/html",
)
async def comments_fragment(
    request: Request,
    thread: Annotated[str, QueryParameter(description="Article id or canonical URL")],
) -> Response[str]:
    found = await first_page(request, check_thread_key(thread))
    language = site_language(request)
    # A new release may mark it up anew, and a new site language word it anew.
    etag = etag_for(f"fragment:{__version__}:{language}:{found.key}")
    headers = {"ETag": etag, "Cache-Control": FRAGMENT_CACHE_CONTROL}
    headers["Access-Control-Allow-Origin"] = "*"  # public, read without credentials
    if matches(request.headers.get("if-none-match"), etag):
        return Response("", status_code=304, headers=headers)
    html = render_fragment("discussion.html", {"page": found.page}, language=language)
    return Response(html, media_type="text/html", headers=headers)

"""The reader's pages: the front page, an article with its discussion, and search."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter

from rejoinder.domain.captions import parse_captions
from rejoinder.domain.search import MAX_QUERY_LENGTH, parse_query
from rejoinder.domain.web_addresses import media_origin
from rejoinder.service import articles, site
from rejoinder.service.articles import Article
from rejoinder.web.context import services
from rejoinder.web.pages.discussion import first_page, page_as_json
from rejoinder.web.pages.feeds import article_feeds, site_feeds
from rejoinder.web.pages.media import media_url
from rejoinder.web.pages.render import page, site_language
from rejoinder.web.security import public_origin

RESULTS_PER_PAGE = 10
# Beyond this the page number is surely made up; the answer is "no more results", not an error.
LAST_PAGE = 1000


def _common(request: Request, query: str = "") -> dict[str, object]:
    return {"today": services(request).clock(), "query": query, "origin": public_origin(request)}


@get("/", include_in_schema=False)
async def home(request: Request) -> Response[str]:
    front = await site.front_page(services(request))
    return page(
        "home.html",
        {
            **_common(request),
            "articles": front.articles,
            "counts": front.counts,
            "feeds": site_feeds(),
        },
        language=site_language(request),
    )


@get("/articles/{slug:str}", include_in_schema=False)
async def article_page(request: Request, slug: FromPath[str]) -> Response[str]:
    article = await articles.find(services(request), slug)
    if article is None:
        return not_found(request)
    discussion = await first_page(request, slug)
    cues = parse_captions(article.captions) if article.captions else []
    return page(
        "article.html",
        {
            **_common(request),
            "article": article,
            "page": discussion.page,
            "first_page_json": page_as_json(discussion.body),
            "cues": cues,
            "video": media_url(article, "video"),
            "poster": media_url(article, "poster"),
            "captions": media_url(article, "captions"),
            "canonical": f"{public_origin(request)}/articles/{slug}",
            "feeds": article_feeds(slug, article.headline),
        },
        media_origins=_media_origins(article),
        language=site_language(request),
    )


def _media_origins(article: Article) -> tuple[str, ...]:
    found = {media_origin(article.video_src), media_origin(article.video_poster)}
    return tuple(sorted(origin for origin in found if origin))


@get("/search", include_in_schema=False)
async def search_page(
    request: Request,
    q: Annotated[str, QueryParameter(description="Words to look for")] = "",
    page_number: Annotated[str, QueryParameter(name="page")] = "1",
) -> Response[str]:
    query = parse_query(q)
    number = int(page_number) if page_number.isdigit() else 1
    number = min(max(number, 1), LAST_PAGE)
    results = None
    if query.problem is None:
        results = await site.search(services(request), query.words, number, RESULTS_PER_PAGE)
    return page(
        "search.html",
        {
            **_common(request, q if query.problem != "too_long" else ""),
            "search": query,
            "results": results,
            "raw_query": q,
            "max_length": MAX_QUERY_LENGTH,
        },
        language=site_language(request),
    )


def not_found(request: Request) -> Response[str]:
    return page(
        "not_found.html", _common(request), status_code=404, language=site_language(request)
    )

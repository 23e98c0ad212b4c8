"""The reader's pages: the front page, an article with its discussion, and search."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter

from rejoinder.domain.captions import parse_captions
from rejoinder.domain.search import MAX_QUERY_LENGTH, parse_query
from rejoinder.domain.web_addresses import media_origin
from rejoinder.store.articles import Article, find_article, latest_articles
from rejoinder.store.search import search_articles
from rejoinder.store.threads import counts_for
from rejoinder.web.context import services
from rejoinder.web.pages.media import media_url
from rejoinder.web.pages.render import page
from rejoinder.web.security import public_origin

RESULTS_PER_PAGE = 10
# Beyond this the page number is surely made up; the answer is "no more results", not an error.
LAST_PAGE = 1000


def _common(request: Request, query: str = "") -> dict[str, object]:
    return {"today": services(request).clock(), "query": query, "origin": public_origin(request)}


@get("/", include_in_schema=False)
async def home(request: Request) -> Response[str]:
    async with services(request).db.read() as connection:
        articles = await latest_articles(connection)
        counts = await counts_for(connection, [article.slug for article in articles])
    return page("home.html", {**_common(request), "articles": articles, "counts": counts})


@get("/articles/{slug:str}", include_in_schema=False)
async def article_page(request: Request, slug: FromPath[str]) -> Response[str]:
    async with services(request).db.read() as connection:
        article = await find_article(connection, slug)
        counts = await counts_for(connection, [slug]) if article else {}
    if article is None:
        return not_found(request)
    cues = parse_captions(article.captions) if article.captions else []
    return page(
        "article.html",
        {
            **_common(request),
            "article": article,
            "comment_count": counts.get(slug, 0),
            "cues": cues,
            "video": media_url(article, "video"),
            "poster": media_url(article, "poster"),
            "captions": media_url(article, "captions"),
            "canonical": f"{public_origin(request)}/articles/{slug}",
        },
        media_origins=_media_origins(article),
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
        async with services(request).db.read() as connection:
            results = await search_articles(
                connection, query.words, page=number, per_page=RESULTS_PER_PAGE
            )
    return page(
        "search.html",
        {
            **_common(request, q if query.problem != "too_long" else ""),
            "search": query,
            "results": results,
            "raw_query": q,
            "max_length": MAX_QUERY_LENGTH,
        },
    )


def not_found(request: Request) -> Response[str]:
    return page("not_found.html", _common(request), status_code=404)

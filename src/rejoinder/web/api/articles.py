"""``/api/articles``: the newsroom's stories. Anyone may read; writing needs the admin token.

The token (``admin_token``) is the newsroom's publishing system's, one shared secret for a
machine rather than a person's account (moderators sign in to ``/admin`` instead); it is
compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from typing import Annotated

import msgspec
from litestar import Request, get, post, put
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from rejoinder.domain.articles import ArticleDraft, draft_article
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.web_addresses import check_media_url
from rejoinder.service import articles
from rejoinder.service.articles import Article
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.pages.media import media_url
from rejoinder.web.schemas import ArticleInput, ArticleList, ArticleOut, ArticleSummary
from rejoinder.web.security import guard_write


async def guard_admin(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    token = services(connection).settings.admin_token
    if not token:
        raise RejoinderError(
            Problem.FORBIDDEN,
            "api_disabled",
            "Writing articles through the API is off: set REJOINDER_ADMIN_TOKEN to turn it on.",
        )
    given = connection.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        raise RejoinderError(
            Problem.UNAUTHORISED,
            "unauthorized",
            "Send the admin token as `Authorization: Bearer TOKEN`.",
            "Authorization",
        )
    await guard_write(connection, handler)


def _summary(article: Article) -> ArticleSummary:
    return ArticleSummary(
        slug=article.slug,
        url=f"/articles/{article.slug}",
        headline=article.headline,
        standfirst=article.standfirst,
        byline=article.byline,
        published_at=article.published_at,
        tags=article.tags,
        has_video=article.video_src is not None,
    )


def _full(article: Article) -> ArticleOut:
    return ArticleOut(
        **msgspec.structs.asdict(_summary(article)),
        body_markdown=article.body_markdown,
        body_html=article.body_html,
        video=media_url(article, "video"),
        poster=media_url(article, "poster"),
        captions=article.captions,
        captions_format=article.captions_format,
        updated_at=article.updated_at,
        author=article.author,
    )


def _web_address(value: str | None, field: str) -> str | None:
    return None if value is None else check_media_url(value, field)


def _draft(data: ArticleInput, slug: str | None) -> ArticleDraft:
    if slug is not None and data.slug is not None and data.slug != slug:
        raise invalid("slug_mismatch", "The slug in the body differs from the address.", "slug")
    if data.captions is not None and data.captions_format is None:
        raise invalid("required", "Say whether the captions are vtt or srt.", "captions_format")
    try:
        return _checked(data, slug)
    except RejoinderError as error:
        # The file format calls it `published`; API clients sent `published_at`.
        if error.field == "published":
            error.field = "published_at"
        raise


def _checked(data: ArticleInput, slug: str | None) -> ArticleDraft:
    return draft_article(
        slug=slug or data.slug or "",
        headline=data.headline,
        standfirst=data.standfirst,
        byline=data.byline,
        published=data.published_at,
        tags=data.tags,
        body=data.body,
        video=_web_address(data.video, "video"),
        poster=_web_address(data.poster, "poster"),
        captions=data.captions,
        captions_format=data.captions_format,
        author=data.author,
    )


@get("/api/articles", summary="The latest articles, newest first", responses=refusals())
async def list_articles(
    request: Request,
    limit: Annotated[int, QueryParameter(ge=1, le=200, description="How many")] = 50,
) -> ArticleList:
    return ArticleList([_summary(a) for a in await articles.latest(services(request), limit)])


@get("/api/articles/{slug:str}", summary="One article, in full", responses=refusals(404))
async def get_article(request: Request, slug: FromPath[str]) -> ArticleOut:
    article = await articles.find(services(request), slug)
    if article is None:
        raise RejoinderError(Problem.NOT_FOUND, "not_found", f"There is no article {slug!r}.")
    return _full(article)


@post(
    "/api/articles",
    guards=[guard_admin],
    opt={"body": ArticleInput},
    status_code=HTTP_201_CREATED,
    summary="Publish an article (admin token)",
    responses=refusals(401, 409, write=True),
)
async def create_article(request: Request, data: JSONBody[ArticleInput]) -> ArticleOut:
    return _full(await articles.add(services(request), _draft(data, None)))


@put(
    "/api/articles/{slug:str}",
    guards=[guard_admin],
    opt={"body": ArticleInput},
    summary="Replace an article (admin token); its address never changes",
    responses=refusals(401, 404, 409, write=True),
)
async def replace_article(
    request: Request, slug: FromPath[str], data: JSONBody[ArticleInput]
) -> ArticleOut:
    return _full(await articles.replace(services(request), _draft(data, slug)))

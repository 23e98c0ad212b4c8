"""The Atom feeds: a thread's latest comments, the whole site's, and the latest articles.

Each feed is kept in the read cache as the bytes sent, under its version (see
``service/feeds.py``), the site's language and address, and the release that wrote it; the
same key makes the ETag, so a feed reader that polls with ``If-None-Match`` gets 304
without the feed being written again, and a new comment on show makes a new version at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Annotated, NamedTuple, TypeVar
from urllib.parse import quote, urlsplit

from litestar import Request, Response, get
from litestar.params import QueryParameter

from rejoinder import __version__
from rejoinder.catalogues import translations
from rejoinder.domain.comments import check_thread_key
from rejoinder.domain.feeds import (
    FeedComment,
    article_link,
    comment_entry_id,
    comment_link,
    hides_spoiler,
    thread_link,
)
from rejoinder.domain.phrases import Catalogue, Phrase, phrase
from rejoinder.service import feeds
from rejoinder.service.articles import Article
from rejoinder.service.feeds import CommentFeed, FeedSnapshot
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import read_cache, services
from rejoinder.web.pages import atom
from rejoinder.web.pages.render import SITE_NAME, site_language
from rejoinder.web.read_cache import etag_for, matches
from rejoinder.web.security import public_origin

COMMENTS_PATH = "/feeds/comments.atom"
ARTICLES_PATH = "/feeds/articles.atom"
# Feed readers poll; a minute's copy in a CDN spares the server, and revalidating is cheap.
FEED_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"
# The feed's date while it has no entries and nothing else to date it by (a site nobody has
# commented on yet): a fixed one, so that every copy of the same version is the same bytes.
NEVER = datetime.fromtimestamp(0, UTC)

T = TypeVar("T")


class _Site(NamedTuple):
    """Where the feeds' links point and what language their words are in."""

    origin: str
    language: str

    @property
    def words(self) -> Catalogue:
        return translations(self.language)

    @property
    def host(self) -> str:
        return urlsplit(self.origin).hostname or "localhost"


def _site(request: Request) -> _Site:
    return _Site(public_origin(request), site_language(request))


class FeedLink(NamedTuple):
    """A ``<link rel="alternate">`` of a page: its ``title`` is worded in the page's language."""

    href: str
    title: Phrase


def thread_feed_path(key: str) -> str:
    return f"{COMMENTS_PATH}?thread={quote(key, safe='')}"


def thread_feed_title(title: str) -> Phrase:
    # Translators: the title of the feed of one article's comments.
    return phrase("Comments on “{title}”", title=title)


# Translators: the title of the feed of the latest comments on the whole site.
SITE_COMMENTS_TITLE = phrase("Latest comments on {site}", site=SITE_NAME)
# Translators: the title of the feed of the site's latest articles.
ARTICLES_TITLE = phrase("Latest stories from {site}", site=SITE_NAME)


def site_feeds() -> list[FeedLink]:
    return [FeedLink(ARTICLES_PATH, ARTICLES_TITLE), FeedLink(COMMENTS_PATH, SITE_COMMENTS_TITLE)]


def article_feeds(slug: str, headline: str) -> list[FeedLink]:
    return [FeedLink(thread_feed_path(slug), thread_feed_title(headline)), *site_feeds()]


@get(
    COMMENTS_PATH,
    summary="The latest comments as an Atom feed: one thread's, or the whole site's",
    description=(
        "Comments on show only, newest first, replies marked with RFC 4685's "
        "thr:in-reply-to. Without `thread`, the site's latest comments. Send If-None-Match "
        "to revalidate."
    ),
    responses=refusals(404),
    media_type=atom.MEDIA_TYPE,
)
async def comments_feed(
    request: Request,
    thread: Annotated[
        str | None, QueryParameter(description="Article id or canonical URL; none: every thread")
    ] = None,
) -> Response[bytes]:
    app, site = services(request), _site(request)
    if thread is None:
        reading = feeds.site_comments(app)
        self_url = site.origin + COMMENTS_PATH
    else:
        key = check_thread_key(thread)
        reading = feeds.thread_comments(app, key)
        self_url = site.origin + thread_feed_path(key)
    async with reading as snapshot:
        return await _answer(request, site, snapshot, lambda feed: _comments(feed, self_url, site))


@get(
    ARTICLES_PATH,
    summary="The latest articles as an Atom feed",
    description="Newest first, as the front page lists them. Send If-None-Match to revalidate.",
    responses=refusals(),
    media_type=atom.MEDIA_TYPE,
)
async def articles_feed(request: Request) -> Response[bytes]:
    site = _site(request)
    async with feeds.latest_articles(services(request)) as snapshot:
        return await _answer(request, site, snapshot, lambda found: _articles(found, site))


async def _answer(
    request: Request, site: _Site, snapshot: FeedSnapshot[T], write: Callable[[T], bytes]
) -> Response[bytes]:
    """304 for a reader who has this version, else the feed, written once per version."""
    key = f"feed:{__version__}:{site.language}:{site.origin}:{snapshot.version}"
    headers = {"ETag": etag_for(key), "Cache-Control": FEED_CACHE_CONTROL}
    headers["Access-Control-Allow-Origin"] = "*"  # public, read without credentials
    if matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(b"", status_code=304, headers=headers)

    async def build() -> bytes:
        return write(await snapshot.entries())

    body = await read_cache(request).page(key, build)
    return Response(body, media_type=atom.MEDIA_TYPE, headers=headers)


def _comments(feed: CommentFeed, self_url: str, site: _Site) -> bytes:
    page: str | None
    if feed.thread is None:
        title, page = SITE_COMMENTS_TITLE.render(site.words), site.origin + "/"
    else:
        title = thread_feed_title(feed.thread.title or feed.thread.key).render(site.words)
        page = thread_link(site.origin, feed.thread)
    dates = [comment.updated_at for comment in feed.comments]
    updated = max(dates, default=feed.opened_at) or NEVER
    entries = [_comment_entry(comment, site) for comment in feed.comments]
    return atom.feed(atom.Head(self_url, title, page, updated), entries)


def _comment_entry(comment: FeedComment, site: _Site) -> atom.Entry:
    link = comment_link(site.origin, comment.thread, comment.id)
    answered = None
    if comment.parent_id is not None and comment.parent_created_at is not None:
        answered = (
            comment_entry_id(site.host, comment.parent_id, comment.parent_created_at),
            comment_link(site.origin, comment.thread, comment.parent_id),
        )
    # Translators: the title of one comment in a feed: who wrote it, on which article.
    title = phrase(
        "{author} on “{title}”",
        author=comment.author_name,
        title=comment.thread.title or comment.thread.key,
    )
    return atom.Entry(
        id=comment_entry_id(site.host, comment.id, comment.created_at),
        title=title.render(site.words),
        link=link,
        published=comment.created_at,
        updated=comment.updated_at,
        author=comment.author_name,
        html=_spoiler_notice(link, site.words) if hides_spoiler(comment) else comment.html,
        in_reply_to=answered,
    )


def _spoiler_notice(link: str | None, words: Catalogue) -> str:
    """What a feed shows of a comment behind a spoiler cover: where to read it, covered."""
    notice = escape(
        phrase("This comment is behind a spoiler cover: read it on the page.").render(words)
    )
    if link is None:
        return f"<p>{notice}</p>"
    return f'<p><a href="{escape(link)}">{notice}</a></p>'


def _articles(found: list[Article], site: _Site) -> bytes:
    origin = site.origin
    entries = [
        atom.Entry(
            id=article_link(origin, article.slug),
            title=article.headline,
            link=article_link(origin, article.slug),
            published=article.published_at,
            updated=max(article.published_at, article.updated_at),
            author=article.byline,
            html=article.body_html,
            summary=article.standfirst,
            categories=tuple(article.tags),
        )
        for article in found
    ]
    updated = max((entry.updated for entry in entries), default=NEVER)
    head = atom.Head(
        origin + ARTICLES_PATH, ARTICLES_TITLE.render(site.words), origin + "/", updated
    )
    return atom.feed(head, entries)

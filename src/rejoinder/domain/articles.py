"""Articles: what a newsroom publishes, read from markdown files with TOML front matter.

A file looks like::

    +++
    slug = "explained-surge-in-russian-deserters"
    headline = "EXPLAINED: ..."
    standfirst = "..."
    byline = "Anya Korzun"
    published = 2023-12-08T09:00:00Z
    tags = ["Explained"]
    video = "clip.webm"        # a file beside this one, or an http(s) URL
    poster = "clip.jpg"        # optional
    captions = "clip.vtt"      # WebVTT or SRT, a file beside this one
    +++
    The body, in markdown.

TOML front matter (Hugo's ``+++`` form) needs nothing beyond the standard library.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from rejoinder.domain.captions import parse_captions
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.markup import render
from rejoinder.domain.text import check_single_line
from rejoinder.domain.web_addresses import check_media_url

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 120
MAX_STANDFIRST_LENGTH = 1000
MAX_BODY_LENGTH = 100_000
CAPTION_FORMATS = {".vtt": "vtt", ".srt": "srt"}
_FRONT_MATTER = re.compile(r"\A\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*\n?(.*)\Z", re.DOTALL)
_KNOWN_KEYS = {
    "slug", "headline", "standfirst", "byline", "published", "tags", "video", "poster", "captions",
    "author",
}  # fmt: skip


class ArticleDraft(msgspec.Struct, kw_only=True):
    """An article that passed every check, ready to store."""

    slug: str
    headline: str
    standfirst: str
    byline: str
    published_at: datetime
    tags: list[str]
    body_markdown: str
    body_html: str
    video_src: str | None = None
    video_poster: str | None = None
    captions: str | None = None
    captions_format: str | None = None
    author: str | None = None  # the writer's staff username


def check_slug(slug: object, field: str = "slug") -> str:
    if not isinstance(slug, str) or not SLUG.match(slug) or len(slug) > MAX_SLUG_LENGTH:
        raise invalid(
            "invalid_slug",
            f"A slug is lower-case letters, digits and single hyphens, at most "
            f"{MAX_SLUG_LENGTH} characters (got {slug!r}).",
            field,
        )
    return slug


def _text(meta: dict[str, Any], key: str, max_length: int, *, required: bool = True) -> str:
    value = meta.get(key, "")
    if not isinstance(value, str):
        raise invalid("invalid", f"{key} must be text.", key)
    return check_single_line(
        value.strip(), key, max_length=max_length, label=key.capitalize(), required=required
    )


def _published(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise invalid(
                "invalid", "published needs a time zone, e.g. 2023-12-08T09:00:00Z.", "published"
            )
        return value.astimezone(UTC)
    raise invalid(
        "invalid", "published must be a TOML date-time such as 2023-12-08T09:00:00Z.", "published"
    )


def _media(value: object, key: str, base: Path | None) -> str | None:
    """A media reference: an http(s) URL, or a file name resolved beside the article file."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid("invalid", f"{key} must be a file name or an http(s) URL.", key)
    if value.startswith(("http://", "https://")):
        return check_media_url(value, key)
    if base is None or not (base / value).is_file():
        raise invalid(
            "missing_file", f"{key} file {value!r} was not found beside the article.", key
        )
    return str((base / value).resolve())


def parse_article(text: str, base: Path | None = None) -> ArticleDraft:
    """Check and render an article file's text; ``base`` is the folder media names are in."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        raise invalid("no_front_matter", "An article file starts with +++ front matter +++.")
    try:
        meta = tomllib.loads(match.group(1))
    except tomllib.TOMLDecodeError as exc:
        raise invalid(
            "invalid_front_matter", f"The front matter is not valid TOML: {exc}."
        ) from None
    unknown = sorted(set(meta) - _KNOWN_KEYS)
    if unknown:
        raise invalid("unknown_key", f"Unknown front matter key: {unknown[0]}.", unknown[0])
    captions_path = _media(meta.get("captions"), "captions", base)
    captions_format = None
    captions = None
    if captions_path is not None:
        captions_format = CAPTION_FORMATS.get(Path(captions_path).suffix.lower())
        if captions_format is None or captions_path.startswith("http"):
            raise invalid(
                "invalid", "captions must be a .vtt or .srt file beside the article.", "captions"
            )
        captions = Path(captions_path).read_text(encoding="utf-8")
    return draft_article(
        slug=meta.get("slug", ""),
        headline=meta.get("headline", ""),
        standfirst=meta.get("standfirst", ""),
        byline=meta.get("byline", ""),
        published=meta.get("published"),
        tags=meta.get("tags", []),
        body=match.group(2),
        video=_media(meta.get("video"), "video", base),
        poster=_media(meta.get("poster"), "poster", base),
        captions=captions,
        captions_format=captions_format,
        author=meta.get("author"),
    )


def draft_article(
    *,
    slug: object,
    headline: object,
    standfirst: object,
    byline: object,
    published: object,
    tags: object,
    body: str,
    video: str | None = None,
    poster: str | None = None,
    captions: str | None = None,
    captions_format: str | None = None,
    author: object = None,
) -> ArticleDraft:
    """Check every field of an article, from a file or the API, and render its body."""
    meta = {"headline": headline, "standfirst": standfirst, "byline": byline}
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise invalid("invalid", "tags must be a list of words.", "tags")
    if len(body) > MAX_BODY_LENGTH:
        raise RejoinderError(
            Problem.TOO_LARGE,
            "too_long",
            f"An article body is at most {MAX_BODY_LENGTH:,} characters.",
            "body",
        )
    body = body.strip()
    if captions is not None:
        if captions_format not in CAPTION_FORMATS.values():
            raise invalid("invalid", "captions_format is vtt or srt.", "captions_format")
        parse_captions(captions)
    return ArticleDraft(
        slug=check_slug(slug),
        headline=_text(meta, "headline", 300),
        standfirst=_text(meta, "standfirst", MAX_STANDFIRST_LENGTH, required=False),
        byline=_text(meta, "byline", 200),
        published_at=_published(published),
        tags=[t.strip() for t in tags],
        body_markdown=body,
        body_html=render(body),
        video_src=video,
        video_poster=poster,
        captions=captions,
        captions_format=captions_format if captions is not None else None,
        author=_author(author),
    )


def _author(author: object) -> str | None:
    """A staff username, or none; that such a user exists is not required (they may be added
    later, and a story outlives its writer's account)."""
    if author is None or author == "":
        return None
    if not isinstance(author, str) or len(author) > 64 or not author.strip():
        raise invalid("invalid", "author is a staff username, at most 64 characters.", "author")
    return author.strip()

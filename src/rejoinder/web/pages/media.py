"""An article's video, poster and captions, served from the files the newsroom gave.

Browsers seek in a video with HTTP range requests, which Litestar's file response does not
answer, so this module reads the asked-for slice itself. Captions are always served as
WebVTT, the only format the ``<track>`` element reads, whatever format was uploaded.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

import anyio
from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.status_codes import HTTP_206_PARTIAL_CONTENT

from rejoinder.domain.captions import Cue, parse_captions
from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.service import articles
from rejoinder.service.articles import Article
from rejoinder.web.context import services

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# One slice at most this big; the browser asks again for the next.
MAX_SLICE = 4 * 1024 * 1024
_KINDS = {"video": "video_src", "poster": "video_poster"}


def media_url(article: Article, kind: str) -> str | None:
    """Where a page points for the article's media: its own URL, or ours for a stored file."""
    if kind == "captions":
        return f"/media/articles/{article.slug}/captions.vtt" if article.captions else None
    value: str | None = getattr(article, _KINDS[kind])
    if value is None or value.startswith(("http://", "https://")):
        return value
    return f"/media/articles/{article.slug}/{kind}"


def _missing(what: str) -> RejoinderError:
    return RejoinderError(Problem.NOT_FOUND, "not_found", f"There is no {what}.")


async def _article(request: Request, slug: str) -> Article:
    article = await articles.find(services(request), slug)
    if article is None:
        raise _missing(f"article {slug!r}")
    return article


@get("/media/articles/{slug:str}/{kind:str}", include_in_schema=False)
async def article_media(
    request: Request, slug: FromPath[str], kind: FromPath[str]
) -> Response[bytes]:
    article = await _article(request, slug)
    if kind == "captions.vtt":
        if not article.captions:
            raise _missing("transcript for this article")
        return Response(
            webvtt(parse_captions(article.captions)).encode(),
            media_type="text/vtt",
            headers={"Cache-Control": "no-cache"},
        )
    if kind not in _KINDS or getattr(article, _KINDS[kind]) is None:
        raise _missing(f"{kind} for this article")
    path = Path(getattr(article, _KINDS[kind]))
    wanted = request.headers.get("range", "")
    response = await anyio.to_thread.run_sync(_file_slice, path, wanted)
    if response is None:
        raise _missing(f"{kind} file for this article")
    return response


def _file_slice(path: Path, range_header: str) -> Response[bytes] | None:
    """The file, or the slice a Range header asks for; None when the file has gone."""
    if not path.is_file():
        return None
    size = path.stat().st_size
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "public, max-age=3600"}
    wanted = _RANGE.match(range_header.strip())
    if not wanted or size == 0:
        return Response(path.read_bytes(), media_type=media_type, headers=headers)
    first, last = wanted.groups()
    if first == "":
        start = max(size - int(last or 0), 0)
        end = size - 1
    else:
        start = int(first)
        end = min(int(last) if last else size - 1, size - 1)
    if start >= size or end < start:
        return Response(
            b"",
            status_code=416,
            media_type=media_type,
            headers={**headers, "Content-Range": f"bytes */{size}"},
        )
    end = min(end, start + MAX_SLICE - 1)
    with path.open("rb") as file:
        file.seek(start)
        data = file.read(end - start + 1)
    return Response(
        data,
        status_code=HTTP_206_PARTIAL_CONTENT,
        media_type=media_type,
        headers={**headers, "Content-Range": f"bytes {start}-{end}/{size}"},
    )


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def webvtt(cues: list[Cue]) -> str:
    """Cues as a WebVTT file; the cue text is plain, so ``&`` and ``<`` are escaped."""
    blocks = ["WEBVTT"]
    for cue in cues:
        text = cue.text.replace("&", "&amp;").replace("<", "&lt;")
        blocks.append(f"{_stamp(cue.start)} --> {_stamp(cue.end)}\n{text}")
    return "\n\n".join(blocks) + "\n"

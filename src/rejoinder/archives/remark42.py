"""Remark42's backup (``backup-SITE-YYYYMMDD.gz``): JSON Lines, a first line of metadata
(``{"version": 1, "users": [...], "posts": [...]}``) and then one comment a line.

A comment names its page in ``locator.url`` (a thread, made when first seen; a post the
metadata marks ``read_only`` is closed), its parent in ``pid``, its author in ``user``;
``orig`` is the markdown it was written in (``text``, Remark42's HTML, when there is none);
``time`` is RFC 3339 with any offset; ``delete`` marks a deleted one. Its ``votes`` map
readers to up (true) or down (false); an older backup has only its ``score``. Remark42 keeps
no email in a backup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from rejoinder.domain.archive import (
    ArchiveError,
    Entry,
    SourceComment,
    SourceStatus,
    SourceThread,
    parse_time,
)

NAME = "remark42"


def _json(line: bytes, number: int) -> Any:
    try:
        return json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(f"not a JSON line: {error}", number) from None


def read(source: IO[bytes]) -> Iterator[Entry]:
    lines = enumerate(source, start=1)
    meta = next((_json(line, n) for n, line in lines if line.strip()), None)
    if not isinstance(meta, dict) or meta.get("version") not in (0, 1):
        raise ArchiveError("this is not a Remark42 backup: no metadata line with its version", 1)
    closed = {
        post["url"]
        for post in meta.get("posts") or []
        if isinstance(post, dict) and post.get("read_only") and post.get("url")
    }
    seen: set[str] = set()
    for number, line in lines:
        if not line.strip():
            continue
        record = _json(line, number)
        if not isinstance(record, dict):
            raise ArchiveError("a line that is not a comment", number)
        comment = _comment(record, number)
        if comment.thread not in seen:
            seen.add(comment.thread)
            yield SourceThread(
                source_id=comment.thread,
                url=comment.thread,
                title=str(record.get("title") or "").strip() or None,
                closed=comment.thread in closed,
                line=number,
            )
        yield comment


def _comment(record: dict[str, Any], number: int) -> SourceComment:
    identifier = str(record.get("id") or "")
    url = str((record.get("locator") or {}).get("url") or "")
    when = record.get("time")
    if not identifier or not url or not isinstance(when, str):
        raise ArchiveError("a comment without its id, locator.url or time", number)
    up, down = _votes(record)
    user = record.get("user") or {}
    markdown = record.get("orig")
    return SourceComment(
        source_id=identifier,
        thread=url,
        parent=str(record.get("pid") or "") or None,
        author_name=str(user.get("name") or "").strip(),
        created_at=parse_time(when, number),
        body=str(markdown if markdown else record.get("text") or ""),
        body_format="markdown" if markdown else "html",
        status=SourceStatus.DELETED if record.get("delete") else SourceStatus.VISIBLE,
        votes_up=up,
        votes_down=down,
        line=number,
    )


def _votes(record: dict[str, Any]) -> tuple[int, int]:
    votes = record.get("votes")
    if isinstance(votes, dict) and votes:
        up = sum(1 for value in votes.values() if value is True)
        return up, len(votes) - up
    score = record.get("score")
    score = score if isinstance(score, int) else 0
    return max(score, 0), max(-score, 0)


def looks_like(head: bytes) -> bool:
    first = head.lstrip().split(b"\n", 1)[0]
    described = b'"posts"' in first or b'"users"' in first
    return first.startswith(b"{") and b'"version"' in first and described

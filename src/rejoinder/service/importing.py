"""Importing another system's archive: every thread and comment it holds, once, and nothing
of a file that turns out to be malformed.

An import reads its file twice. The first reading only checks it: a file that is not what it
claims, or breaks off, stops the import there, with its line, before anything is written. The
second stores the comments in batches, each batch one transaction, each comment known by its
source and its id there; a comment stored by an earlier run (a run that was killed, the same
file again, a larger later export) is passed over. When all are stored, replies whose parent
came later are linked to it, placeholders that answer nothing go, and the counts of every
thread the archive touched are made anew. So a run killed at any point and then run again
ends as one uninterrupted run would, and native comments are never changed or removed.

The moderation pipeline does not judge imported comments (they were moderated where they
were written); they feed the campaign bands like native ones.
"""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rejoinder.domain.archive import (
    ArchiveError,
    Entry,
    SkippedEntry,
    SourceComment,
    SourceStatus,
    SourceThread,
    comment_text,
)
from rejoinder.domain.comments import check_thread_key
from rejoinder.domain.errors import RejoinderError
from rejoinder.domain.models import Status
from rejoinder.domain.moderation.campaigns import band_keys
from rejoinder.domain.names import clean_author_name
from rejoinder.domain.phrases import Phrase, counted, phrase
from rejoinder.domain.ranking import wilson_lower_bound
from rejoinder.store import campaigns as campaign_store
from rejoinder.store import imports as import_store
from rejoinder.store import threads as thread_store
from rejoinder.store.database import Connection, Database

BATCH = 500  # comments a transaction
PROBLEMS_KEPT = 10
_STATUS = {
    SourceStatus.VISIBLE: Status.VISIBLE,
    SourceStatus.PENDING: Status.PENDING,
    SourceStatus.REJECTED: Status.REJECTED,
    SourceStatus.DELETED: Status.DELETED,
}


@dataclass(frozen=True)
class ImportOptions:
    """How a source's threads become Rejoinder's: ``site_origin`` completes links that are
    only paths; ``key_map`` renames a thread (its old key or URL to the new one)."""

    site_origin: str | None = None
    key_map: Mapping[str, str] = field(default_factory=dict)
    dry_run: bool = False


@dataclass
class ImportSummary:
    source: str
    threads: int = 0  # threads the archive names
    new_threads: int = 0
    comments: int = 0  # stored by this run
    already: int = 0  # stored by an earlier run
    skipped: Counter[str] = field(default_factory=Counter)
    unmapped_parents: int = 0
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False

    def problem(self, line: int | None, text: str) -> None:
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(f"line {line}: {text}" if line else text)

    def skip(self, reason: str, line: int | None = None, detail: str | None = None) -> None:
        self.skipped[reason] += 1
        if detail:
            self.problem(line, detail)


Reader = Callable[[], Iterator[Entry]]
Progress = Callable[[int], None]


def summary_lines(
    summary: ImportSummary, number: Callable[[int], str] = "{:,}".format
) -> list[Phrase]:
    """What a run did, a line a fact: the command's output and the admin page's summary.
    ``number`` writes a count as the reader's language does (the command: ``1,234``)."""
    counts = {
        "n": number(summary.comments),
        "source": summary.source,
        "threads": number(summary.threads),
        "new": number(summary.new_threads),
    }
    if summary.dry_run:
        first = counted(
            "would import {n} comment from {source} ({threads} threads, {new} new)",
            "would import {n} comments from {source} ({threads} threads, {new} new)",
            summary.comments,
            **counts,
        )
    else:
        first = counted(
            "imported {n} comment from {source} ({threads} threads, {new} new)",
            "imported {n} comments from {source} ({threads} threads, {new} new)",
            summary.comments,
            **counts,
        )
    lines = [
        first,
        phrase("already imported before: {n}", n=number(summary.already)),
        phrase(
            "replies whose parent is not in the archive (shown at the top level): {n}",
            n=number(summary.unmapped_parents),
        ),
    ]
    lines += [
        phrase("skipped, {reason}: {n}", reason=reason, n=number(n))
        for reason, n in sorted(summary.skipped.items())
    ]
    lines += [phrase("problem: {problem}", problem=problem) for problem in summary.problems]
    if summary.dry_run:
        lines.append(phrase("dry run: nothing was written"))
    return lines


def key_map(lines: Iterable[str]) -> dict[str, str]:
    """A key map's CSV: one ``old,new`` pair a line (a first line ``old,new`` is a header);
    ``ArchiveError`` with the line of a row that is not two filled columns."""
    found: dict[str, str] = {}
    for number, row in enumerate(csv.reader(lines), start=1):
        if not row or (number == 1 and [v.strip().lower() for v in row] == ["old", "new"]):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise ArchiveError("expected two columns, old and new", number)
        found[row[0].strip()] = row[1].strip()
    return found


def check(read: Reader, progress: Progress | None = None) -> int:
    """Read the whole archive once, writing nothing; its entry count, or ``ArchiveError``."""
    count = 0
    for count, _ in enumerate(read(), start=1):
        if progress and count % 1000 == 0:
            progress(count)
    return count


class _Rollback(Exception):
    pass


async def import_archive(
    db: Database,
    source: str,
    read: Reader,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the archive ``read()`` gives (checked first with ``check``); a dry run does
    all of it in one transaction and rolls it back, so its summary is the real one's."""
    summary = ImportSummary(source, dry_run=options.dry_run)
    run = _Run(source, options, summary, now, progress)
    if not options.dry_run:
        await run.store(read, db.write)
        async with db.write() as connection:
            await run.finish(connection)
        return summary
    try:
        async with db.write() as connection:
            await run.store(read, lambda: _Same(connection))
            await run.finish(connection)
            raise _Rollback
    except _Rollback:
        pass
    return summary


class _Same:
    """The dry run's one transaction, handed out as if it were a new one each batch."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def __aenter__(self) -> Connection:
        return self.connection

    async def __aexit__(self, *_: object) -> None:
        return None


@dataclass
class _Thread:
    id: int
    key: str


class _Run:
    def __init__(
        self,
        source: str,
        options: ImportOptions,
        summary: ImportSummary,
        now: datetime,
        progress: Progress | None,
    ) -> None:
        self.source = source
        self.options = options
        self.summary = summary
        self.now = now
        self.progress = progress
        self.threads: dict[str, _Thread] = {}  # by the source's thread id
        self.touched: set[int] = set()
        self.pending: list[SourceComment] = []
        self.pending_threads: list[SourceThread] = []
        self.seen = 0

    async def store(self, read: Reader, transaction: Callable[[], Any]) -> None:
        for entry in read():
            self.seen += 1
            if isinstance(entry, SourceThread):
                self.pending_threads.append(entry)
            elif isinstance(entry, SourceComment):
                self.pending.append(entry)
            elif isinstance(entry, SkippedEntry):
                self.summary.skip(entry.reason)
            if len(self.pending) >= BATCH or len(self.pending_threads) >= BATCH:
                async with transaction() as connection:
                    await self._flush(connection)
                # Run from the admin page, the import shares the server's event loop, and
                # SQLite's statements do not give it back: let readers in between batches.
                await asyncio.sleep(0)
            if self.progress and self.seen % 1000 == 0:
                self.progress(self.seen)
        async with transaction() as connection:
            await self._flush(connection)

    async def _flush(self, connection: Connection) -> None:
        for thread in self.pending_threads:
            await self._thread(connection, thread)
        self.pending_threads.clear()
        batch, self.pending = self.pending, []
        known = await import_store.already_imported(
            connection, self.source, [comment.source_id for comment in batch]
        )
        emails = [comment.author_email for comment in batch if comment.author_email]
        accounts = await import_store.users_by_email(connection, emails)
        rows: list[dict[str, Any]] = []
        bands: list[tuple[str, list[str], datetime]] = []
        for comment in batch:
            if comment.source_id in known:
                self.summary.already += 1
                self.touched.add(known[comment.source_id][1])
                continue
            row = self._row(comment, accounts)
            if row is not None:
                known[comment.source_id] = (0, row["thread_id"])
                rows.append(row)
                if row["status"] == Status.VISIBLE.value:
                    bands.append(
                        (comment.source_id, band_keys(row["body_markdown"]), row["created_at"])
                    )
        ids = await import_store.insert_imported(connection, rows)
        for source_id, keys, created in bands:
            await campaign_store.add_bands(connection, ids[source_id], keys, created)
        self.summary.comments += len(rows)

    async def _thread(self, connection: Connection, thread: SourceThread) -> None:
        self.summary.threads += 1
        name = thread.source_id or thread.url or ""
        try:
            key, url = self._key_and_url(thread)
        except RejoinderError as error:
            self.summary.skip("thread without a usable key", thread.line, error.message)
            return
        found = await thread_store.find_thread(connection, key)
        if found is None:
            self.summary.new_threads += 1
            found = await thread_store.thread_for_new_comment(
                connection, key, thread.title, url, thread.created_at or self.now
            )
            if thread.closed:
                await import_store.close_thread(connection, found.id)
        self.threads[name] = _Thread(found.id, key)
        self.touched.add(found.id)

    def _key_and_url(self, thread: SourceThread) -> tuple[str, str | None]:
        url = thread.url
        origin = self.options.site_origin
        if url and url.startswith("/") and origin:
            url = origin.rstrip("/") + url
        key = thread.key or url or thread.source_id
        for old in (thread.key, thread.url, url):
            if old and old in self.options.key_map:
                key = self.options.key_map[old]
                break
        if url and not url.startswith(("http://", "https://")):
            url = None
        return check_thread_key(key), url

    def _row(self, comment: SourceComment, accounts: Mapping[str, int]) -> dict[str, Any] | None:
        line = comment.line
        thread = self.threads.get(comment.thread)
        if thread is None:
            self.summary.skip(
                "thread not in the archive",
                line,
                f"comment {comment.source_id}: its thread {comment.thread!r} is not in the file",
            )
            return None
        text = comment_text(comment.body, comment.body_format)
        if text is None:
            if comment.status is SourceStatus.DELETED:
                text = ("", "")
            else:
                self.summary.skip(
                    "empty or too long",
                    line,
                    f"comment {comment.source_id} is empty or longer than a comment may be",
                )
                return None
        try:
            name = clean_author_name(comment.author_name or "Anonymous")
        except RejoinderError as error:
            self.summary.skip(
                "unusable name", line, f"comment {comment.source_id}: {error.message}"
            )
            return None
        email = (comment.author_email or "").strip() or None
        if email and (len(email) > 254 or "@" not in email):
            self.summary.problem(line, f"comment {comment.source_id}: email {email[:60]!r} dropped")
            email = None
        user_id = accounts.get(email.lower()) if email else None
        status = _STATUS[comment.status]
        self.touched.add(thread.id)
        return {
            "thread_id": thread.id,
            "parent_id": None,
            "root_id": None,
            "source": self.source,
            "source_id": comment.source_id,
            "source_parent": comment.parent,
            "author_name": name,
            "author_email": email,
            "author_guest": user_id is None,
            "user_id": user_id,
            "body_markdown": text[0],
            "body_html": text[1],
            "status": status.value,
            "created_at": comment.created_at,
            "deleted_at": comment.created_at if status is Status.DELETED else None,
            "votes_up": comment.votes_up,
            "votes_down": comment.votes_down,
            "score": wilson_lower_bound(comment.votes_up, comment.votes_down),
        }

    async def finish(self, connection: Connection) -> None:
        await import_store.link_late_parents(connection, self.source)
        dropped = await import_store.drop_empty_placeholders(connection, self.source)
        if dropped:
            # Stored by this run (an earlier run's placeholders had replies, which stay).
            self.summary.comments -= dropped
            self.summary.skipped["deleted, with no replies"] += dropped
        await import_store.set_roots(connection, self.source)
        self.summary.unmapped_parents = await import_store.unmapped_parents(connection, self.source)
        await import_store.recount(connection, sorted(self.touched))

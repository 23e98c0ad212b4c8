"""Importing a Disqus export: how long it takes and how much memory it needs, Rejoinder
against Isso on the same file, and Rejoinder again on a file ten times larger.

A newsroom leaving Disqus brings years of comments in one XML file, and the import is the
first thing it runs. It has to finish in minutes, on the server the comments will live on,
in memory that does not grow with the file: Rejoinder's reader streams the XML one element
at a time and stores batches, so a 1,000,000-comment export should need about the memory a
100,000-comment one does. Isso's importer (``isso import --type disqus``) reads the same
format but parses the whole file into a tree first.

1. Writes a deterministic Disqus export (streamed to a file, never held in memory):
   100,000 comments in 5,000 threads of skewed sizes, 40% of them replies to earlier
   comments of their thread, paragraph-length HTML bodies (``<p>``, ``<a href>``,
   entities), named authors with emails (some without), 2% spam, 2% deleted.
2. ``rejoinder import disqus FILE`` into a fresh, migrated SQLite database; Isso 0.14 from
   PyPI in a temporary virtualenv, ``isso -c isso.cfg import --type disqus --empty-id FILE``
   into its own fresh SQLite file. Isso skips every thread whose ``<id>`` element has no
   child elements (an ElementTree truth test, which is false for any leaf element) unless
   given ``--empty-id``, so it gets that flag: without it, it imports nothing.
3. A 1,000,000-comment export (same shape: threads scaled with comments), Rejoinder only.

Each import is one child process, timed from start to exit, and its peak RSS is the
``ru_maxrss`` that ``wait4`` reports for that child alone. Each database's rows are counted
and checked against what the generator knows each system keeps: Rejoinder stores spam as
rejected rows and drops deleted comments that nothing answers; Isso imports spam as
published, and keeps a deleted comment only if it is a top-level one with a live reply (it
flattens replies to one level).

Run from the repository root: ``.venv/bin/python benchmarks/import_speed.py``. Expect
about 5 minutes for the 100,000-comment file and an hour for the 1,000,000 one on 2 cores
(``--skip-big`` leaves it out). Two steps at the end of an import once grew with the square
of the archive: counting each thread's comments through the ``(status, created_at)`` index
(31 minutes for 100,000 comments), and removing the deleted placeholders nothing answers,
where the database looked for each one's replies by ``parent_id`` through no index (hours
for 1,000,000); both now take an index each (store/imports.py, migration 0015).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from isso_comparison import REPLY_SHARE, ROOT, paragraph

ISSO = "isso==0.14.0"
SEED = 2019_03_01
SPAM_SHARE = 0.02
DELETED_SHARE = 0.02
START = datetime(2019, 3, 1, 10, 0, tzinfo=UTC)
FIRST_NAMES = (
    "Olena", "Ivan", "Maria", "Petro", "Anna", "Taras", "Sofia", "Dmytro", "Kateryna",
    "James", "Aisha", "Lukas", "Zoë", "Marta", "Jean-Luc", "Siobhán", "Kenji", "Priya",
    "Оксана", "Андрій", "Björn", "Noor", "Tomasz", "Inés",
)  # fmt: skip
SURNAMES = (
    "Kovalenko", "Shevchenko", "Bondarenko", "O'Brien", "Müller", "Nowak", "García",
    "Tkachenko", "Smith", "Dubois", "Rossi", "Коваль", "Lindqvist", "Haddad", "Sato",
)  # fmt: skip
MAIL_DOMAINS = ("example.org", "example.com", "mail.example", "post.example.net")
LINK_TEXT = ("the report", "this map", "their statement", "the interview", "a thread")
ENTITIES = ("&amp;", "&quot;", "&#8217;", "&lt;", "&gt;", "&nbsp;", "&#8212;")


@dataclass
class Export:
    """What the generator wrote, and what each importer should keep of it."""

    path: str
    comments: int
    threads: int
    replies: int
    spam: int
    deleted: int
    megabytes: float
    seconds: float
    rejoinder_rows: int  # all but deleted comments that nothing answers
    isso_rows: int  # all but deleted replies and deleted top-level comments with no live reply
    isso_threads: int  # threads left with a comment in Isso


@dataclass
class Result:
    tool: str
    comments: int
    threads: int
    seconds: float
    comments_per_second: float
    peak_rss_mb: float
    rows: int
    expected_rows: int
    thread_rows: int
    expected_threads: int


def people(rng: random.Random) -> list[tuple[str, str]]:
    """A few thousand readers: a name and an email ("" for those who left none)."""
    found = []
    for n in range(4000):
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        name = f"{first} {last}" if rng.random() < 0.7 else f"{first.lower()}{n}"
        local = "".join(ch for ch in f"{first}.{last}{n}".lower() if ch.isascii() and ch != "'")
        email = "" if rng.random() < 0.15 else f"{local}@{rng.choice(MAIL_DOMAINS)}"
        found.append((name, email))
    return found


def body(rng: random.Random) -> str:
    """One to three paragraphs of HTML, as Disqus exports them: links, bold, entities."""
    parts = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        text = paragraph(rng)
        if rng.random() < 0.3:
            cut = text.index(" ", len(text) // 2)
            link = (
                f'<a href="https://news.example/{rng.randint(1, 9999)}">{rng.choice(LINK_TEXT)}</a>'
            )
            text = f"{text[:cut]} {link}{text[cut:]}"
        if rng.random() < 0.3:
            cut = text.index(" ")
            text = f"<b>{text[:cut]}</b>{text[cut:]} {rng.choice(ENTITIES)} yes"
        parts.append(f"<p>{text}</p>")
    return "".join(parts)


def thread_sizes(rng: random.Random, comments: int, threads: int) -> list[int]:
    """Comments per thread, summing to ``comments``: every thread has one, and the rest are
    spread by a skewed weight, as a few stories draw most of a site's comments."""
    weights = [rng.lognormvariate(0, 1.2) for _ in range(threads)]
    total = sum(weights)
    spare = comments - threads
    sizes = [1 + int(spare * w / total) for w in weights]
    for i in range(comments - sum(sizes)):  # what rounding down left over
        sizes[i % threads] += 1
    return sizes


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(path: Path, comments: int, threads: int) -> Export:
    """Write the export, thread by thread for the posts; only one thread's tree is held."""
    if comments < threads:
        raise SystemExit(f"--comments ({comments}) must be at least --threads ({threads})")
    started = time.perf_counter()
    rng = random.Random(SEED)
    readers = people(rng)
    sizes = thread_sizes(rng, comments, threads)
    # The first comment of a thread cannot be a reply: ask a little more of the others.
    reply_chance = min(1.0, REPLY_SHARE * comments / (comments - threads)) if comments else 0
    replies = spam = deleted = rejoinder_rows = isso_rows = isso_threads = 0
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            '  <category dsq:id="1"><forum>newsroom</forum><title>General</title>'
            "<isDefault>true</isDefault></category>\n"
        )
        for t in range(threads):
            created = START + timedelta(minutes=37 * t)
            slug = f"story-{t:06d}"
            # Some threads have no disqus_identifier: their link names them.
            identifier = "" if t % 10 == 3 else slug
            title = escape(f"Explained: {paragraph(rng)[:60].rstrip()} & why ({t})")
            out.write(
                f'  <thread dsq:id="{10_000_000 + t}">\n'
                f"    <id>{identifier}</id>\n"
                "    <forum>newsroom</forum>\n"
                '    <category dsq:id="1"/>\n'
                f"    <link>https://news.example/{created:%Y/%m}/{slug}/</link>\n"
                f"    <title>{title}</title>\n"
                "    <message/>\n"
                f"    <createdAt>{stamp(created)}</createdAt>\n"
                "    <author><email>desk@news.example</email><name>Desk</name>"
                "<isAnonymous>false</isAnonymous><username>desk</username></author>\n"
                f"    <isClosed>{'true' if t % 50 == 7 else 'false'}</isClosed>\n"
                "    <isDeleted>false</isDeleted>\n"
                "  </thread>\n"
            )
        post_id = 20_000_000
        for t, size in enumerate(sizes):
            moment = START + timedelta(minutes=37 * t)
            parents: list[int | None] = []
            gone: list[bool] = []
            for i in range(size):
                post_id += 1
                moment += timedelta(seconds=rng.randint(20, 3600))
                parent = rng.randrange(i) if i and rng.random() < reply_chance else None
                roll = rng.random()
                is_spam = roll < SPAM_SHARE
                is_deleted = SPAM_SHARE <= roll < SPAM_SHARE + DELETED_SHARE
                name, email = rng.choice(readers)
                out.write(
                    f'  <post dsq:id="{post_id}">\n'
                    "    <id/>\n"
                    f"    <message><![CDATA[{body(rng)}]]></message>\n"
                    f"    <createdAt>{stamp(moment)}</createdAt>\n"
                    f"    <isDeleted>{'true' if is_deleted else 'false'}</isDeleted>\n"
                    f"    <isSpam>{'true' if is_spam else 'false'}</isSpam>\n"
                    f"    <author><email>{escape(email)}</email><name>{escape(name)}</name>"
                    "<isAnonymous>true</isAnonymous></author>\n"
                    f"    <ipAddress>192.0.2.{rng.randint(1, 254)}</ipAddress>\n"
                    f'    <thread dsq:id="{10_000_000 + t}"/>\n'
                )
                if parent is not None:
                    out.write(f'    <parent dsq:id="{post_id - i + parent}"/>\n')
                out.write("  </post>\n")
                parents.append(parent)
                gone.append(is_deleted)
                replies += parent is not None
                spam += is_spam
                deleted += is_deleted
            kept, isso_kept = kept_rows(parents, gone)
            rejoinder_rows += kept
            isso_rows += isso_kept
            isso_threads += isso_kept > 0
        out.write("</disqus>\n")
    return Export(
        path=str(path),
        comments=comments,
        threads=threads,
        replies=replies,
        spam=spam,
        deleted=deleted,
        megabytes=path.stat().st_size / 1e6,
        seconds=time.perf_counter() - started,
        rejoinder_rows=rejoinder_rows,
        isso_rows=isso_rows,
        isso_threads=isso_threads,
    )


def kept_rows(parents: list[int | None], gone: list[bool]) -> tuple[int, int]:
    """How many of one thread's comments Rejoinder and Isso keep. Rejoinder keeps a deleted
    comment while anything it keeps answers it; Isso points every reply at its top-level
    comment, so no reply has replies: deleted replies go, and deleted top-level comments
    stay only with a live reply somewhere below."""
    answered = [False] * len(parents)
    kept = 0
    for i in reversed(range(len(parents))):  # a reply always comes after its parent
        if not gone[i] or answered[i]:
            kept += 1
            if parents[i] is not None:
                answered[parents[i]] = True
    top = list(range(len(parents)))
    for i, parent in enumerate(parents):
        if parent is not None:
            top[i] = top[parent]
    live_below = {top[i] for i in range(len(parents)) if parents[i] is not None and not gone[i]}
    isso_kept = sum(
        1 for i in range(len(parents)) if not gone[i] or (parents[i] is None and i in live_below)
    )
    return kept, isso_kept


def run_measured(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run ``command`` to its end: its wall seconds and its own peak RSS in MB (``wait4``
    reports the usage of that one child, unlike ``RUSAGE_CHILDREN``, a maximum over all)."""
    print("  $ " + " ".join(command), flush=True)
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(errors="replace")
    print("    " + "\n    ".join(output.strip().splitlines()[-8:]), flush=True)
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} exited with {process.returncode}; log: {log}")
    return seconds, usage.ru_maxrss / 1024  # Linux gives kilobytes


def count(database: Path, comments_sql: str, threads_sql: str) -> tuple[int, int]:
    with sqlite3.connect(database) as connection:
        return (
            connection.execute(comments_sql).fetchone()[0],
            connection.execute(threads_sql).fetchone()[0],
        )


def rejoinder(export: Export, work: Path, label: str) -> Result:
    database = work / f"rejoinder-{label}.db"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")},
        "REJOINDER_DATABASE_URL": f"sqlite:///{database}",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
    }
    cli = [sys.executable, "-m", "rejoinder"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    seconds, rss = run_measured([*cli, "import", "disqus", export.path], env, work / f"{label}.log")
    rows, threads = count(
        database,
        "SELECT count(*) FROM comments WHERE source = 'disqus'",
        "SELECT count(*) FROM threads",
    )
    return Result(
        "rejoinder", export.comments, export.threads, seconds, export.comments / seconds, rss,
        rows, export.rejoinder_rows, threads, export.threads,
    )  # fmt: skip


def isso_venv(work: Path) -> tuple[Path, str]:
    """A virtualenv with Isso 0.14 from PyPI: its ``isso`` command and version."""
    env_dir = work / "isso-venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "pip"), "install", "-q", ISSO]
    subprocess.run(pip, check=True, capture_output=True)
    version = subprocess.run(
        [str(env_dir / "bin" / "isso"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return env_dir / "bin" / "isso", version


def isso(export: Export, work: Path, command: Path) -> Result:
    database = work / "isso.db"
    config = work / "isso.cfg"
    config.write_text(
        f"[general]\ndbpath = {database}\nhost = http://127.0.0.1/\n"
        "[moderation]\nenabled = false\n[guard]\nenabled = false\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ISSO_SETTINGS"}
    seconds, rss = run_measured(
        [str(command), "-c", str(config), "import", "--type", "disqus", "--empty-id", export.path],
        env,
        work / "isso.log",
    )
    rows, threads = count(database, "SELECT count(*) FROM comments", "SELECT count(*) FROM threads")
    return Result(
        "isso", export.comments, export.threads, seconds, export.comments / seconds, rss,
        rows, export.isso_rows, threads, export.isso_threads,
    )  # fmt: skip


def describe(export: Export) -> None:
    print(
        f"  {export.megabytes:,.0f} MB in {export.seconds:.0f}s: {export.comments:,} comments "
        f"({export.replies / export.comments:.0%} replies, {export.spam:,} spam, "
        f"{export.deleted:,} deleted) in {export.threads:,} threads",
        flush=True,
    )


def report(results: list[Result]) -> float | None:
    print(
        f"\n{'tool':<10} {'comments':>10} {'threads':>8} {'seconds':>9} {'comments/s':>11} "
        f"{'peak RSS MB':>12}"
    )
    for r in results:
        print(
            f"{r.tool:<10} {r.comments:>10,} {r.threads:>8,} {r.seconds:>9.1f} "
            f"{r.comments_per_second:>11,.0f} {r.peak_rss_mb:>12.1f}"
        )
    for r in results:
        state = (
            "ok" if (r.rows, r.thread_rows) == (r.expected_rows, r.expected_threads) else "WRONG"
        )
        print(
            f"rows {r.tool} {r.comments:,}: {r.rows:,} comments (expected {r.expected_rows:,}), "
            f"{r.thread_rows:,} threads (expected {r.expected_threads:,}): {state}"
        )
    mine = [r for r in results if r.tool == "rejoinder"]
    by = {r.tool: r for r in results if r.comments == results[0].comments}
    if "isso" in by and "rejoinder" in by:
        speed = by["rejoinder"].comments_per_second / by["isso"].comments_per_second
        memory = by["rejoinder"].peak_rss_mb / by["isso"].peak_rss_mb
        print(
            f"ratio speed  rejoinder/isso = {speed:.2f}x; peak RSS rejoinder/isso = {memory:.2f}x"
        )
    if len(mine) == 2:
        ratio = mine[1].peak_rss_mb / mine[0].peak_rss_mb
        print(
            f"ratio peak RSS rejoinder {mine[1].comments:,}/{mine[0].comments:,} = {ratio:.2f}x "
            f"(comments x{mine[1].comments / mine[0].comments:.0f})"
        )
        return ratio
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=5_000)
    parser.add_argument(
        "--big", type=int, default=1_000_000, help="comments in the large export (Rejoinder only)"
    )
    parser.add_argument("--skip-isso", action="store_true", help="do not measure Isso")
    parser.add_argument("--skip-big", action="store_true", help="do not import the large export")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rejoinder-import-"))
    print(f"machine: {os.cpu_count()} cores; working in {work}", flush=True)
    exports: list[Export] = []
    results: list[Result] = []
    try:
        print(f"writing a Disqus export of {args.comments:,} comments", flush=True)
        exports.append(generate(work / "disqus.xml", args.comments, args.threads))
        describe(exports[0])
        print("rejoinder import", flush=True)
        results.append(rejoinder(exports[0], work, "small"))
        if not args.skip_isso:
            command, version = isso_venv(work)
            print(f"isso import ({version})", flush=True)
            results.append(isso(exports[0], work, command))
        if not args.skip_big:
            threads = max(1, round(args.threads * args.big / args.comments))
            print(f"writing a Disqus export of {args.big:,} comments", flush=True)
            exports.append(generate(work / "disqus-big.xml", args.big, threads))
            describe(exports[1])
            print("rejoinder import", flush=True)
            results.append(rejoinder(exports[1], work, "big"))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    ratio = report(results)
    if args.json:
        figures = {"exports": [asdict(e) for e in exports], "results": [asdict(r) for r in results]}
        args.json.write_text(json.dumps({**figures, "big_rss_ratio": ratio}, indent=2))
    wrong = [r for r in results if (r.rows, r.thread_rows) != (r.expected_rows, r.expected_threads)]
    for r in wrong:
        print(f"FAILED: {r.tool} kept {r.rows:,} of {r.comments:,} comments", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())

"""`rejoinder import` brings a newsroom's archive in whole and only once: every thread and
comment with its author, time, parent and standing; nothing twice when run again; nothing at
all from a file that is malformed; and a run killed half-way, run again, ends as one run
would. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from rejoinder.cli import main
from tests.conftest import Peek
from tests.support import posted, sso_token

SSO_SECRET = "a-publisher-secret-of-at-least-32-bytes!"

ARCHIVES = Path(__file__).resolve().parents[1] / "archives"
DISQUS = ARCHIVES / "disqus.xml"
ORIGIN = "https://news.example"


def rejoinder(*args: str, env: dict[str, str], timeout: float = 0) -> subprocess.CompletedProcess:
    """`rejoinder ARGS` as the command line runs it, with ``env`` as its environment, but in
    this process: an interpreter's start-up per command would double these tests' time."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def imported(peek: Peek, source: str = "disqus") -> dict[str, dict]:
    """Every imported comment by its source id, as readers and moderators would see it."""
    rows = peek.rows(
        """SELECT c.source_id, t.key, p.source_id, r.source_id, c.status, c.author_name,
                  c.author_email, c.body_markdown, c.body_html, c.created_at, c.reply_count,
                  c.author_guest
           FROM comments c JOIN threads t ON t.id = c.thread_id
           LEFT JOIN comments p ON p.id = c.parent_id
           LEFT JOIN comments r ON r.id = c.root_id
           WHERE c.source = :source""",
        source=source,
    )
    keys = (
        "thread",
        "parent",
        "root",
        "status",
        "name",
        "email",
        "markdown",
        "html",
        "at",
        "replies",
        "guest",
    )
    found = {}
    for row in rows:
        comment = dict(zip(keys, row[1:], strict=True))
        # The same on both databases: a time to the second, a flag as a bool.
        comment["at"], comment["guest"] = str(comment["at"])[:19], bool(comment["guest"])
        found[row[0]] = comment
    return found


def threads(peek: Peek) -> dict[str, tuple]:
    rows = peek.rows("SELECT key, title, url, closed, comment_count FROM threads")
    return {key: (title, url, bool(closed), count) for key, title, url, closed, count in rows}


def test_a_disqus_export_imports_with_every_quirk(env, peek):
    done = rejoinder("import", "disqus", str(DISQUS), "--site-origin", ORIGIN, env=env)
    assert done.returncode == 0, done.stderr
    assert "imported 8 comments from disqus (2 threads, 2 new)" in done.stdout
    assert "skipped, deleted, with no replies: 1" in done.stdout
    assert "replies whose parent is not in the archive (shown at the top level): 1" in done.stdout
    assert "email 'not-an-address' dropped" in done.stdout

    comments = imported(peek)
    assert sorted(comments) == ["1000", "1001", "1002", "1003", "1004", "1006", "1007", "1008"]
    first, reply, deeper = comments["1000"], comments["1001"], comments["1008"]
    # The thread's identifier is its key; a reply that came before its parent still nests.
    assert first["thread"] == "story-deserters" and first["parent"] is None
    assert reply["parent"] == "1000" and reply["root"] == "1000"
    assert deeper["parent"] == "1001" and deeper["root"] == "1000"
    assert first["replies"] == 1 and reply["replies"] == 1
    # HTML becomes the same safe markup as a native comment's; the script is gone.
    assert first["markdown"] == "First! Thanks for the [map](https://news.example/map) & the video."
    assert '<a href="https://news.example/map"' in first["html"] and "alert" not in first["html"]
    assert "<strong>before</strong>" in reply["html"]
    # Times in UTC, a time without a zone taken as UTC; empty emails kept as none.
    assert first["at"] == "2023-12-08 10:00:00"
    assert comments["1004"]["at"] == "2023-12-08 10:30:00"
    assert first["email"] is None and reply["email"] == "ivan@example.org"
    assert comments["1004"]["email"] is None and first["guest"] is True
    # Spam is refused, not approved is pending, a deleted comment with replies a placeholder.
    assert comments["1002"]["status"] == "rejected"
    assert comments["1006"]["status"] == "pending"
    assert comments["1003"]["status"] == "deleted" and comments["1004"]["parent"] == "1003"
    # No name: the Disqus username; an unknown parent: the top level.
    assert comments["1007"]["name"] == "nameless_user" and comments["1007"]["parent"] is None
    # A thread without an identifier is known by its link, completed with the site's origin.
    found = threads(peek)
    assert found["story-deserters"][:2] == (
        "Explained: the surge in deserters & why",
        "https://news.example/2023/12/deserters/",
    )
    assert found["story-deserters"][3] == 4  # published: 1000, 1001, 1004, 1008
    no_id = found[f"{ORIGIN}/2023/12/no-identifier/"]
    assert no_id[2] is True and no_id[3] == 1  # closed there, closed here


def test_the_same_file_again_imports_nothing_and_changes_nothing(env, peek):
    assert rejoinder("import", "auto", str(DISQUS), env=env).returncode == 0
    before = imported(peek)
    again = rejoinder("import", "auto", str(DISQUS), env=env)
    assert again.returncode == 0, again.stderr
    assert "imported 0 comments" in again.stdout
    assert "already imported before: 8" in again.stdout
    assert imported(peek) == before


def test_a_commenter_known_by_their_email_writes_as_their_signed_in_self(env, peek, make_client):
    reader = make_client(sso_secret=SSO_SECRET, sso_audience="rejoinder")
    token = sso_token(SSO_SECRET, "subscriber-12", "Ivan Subscriber", "Ivan@Example.org")
    bearer = {"Authorization": f"Bearer {token}"}
    posted(
        reader, "Signed in before the import.", thread="elsewhere", headers=bearer, author_name=None
    )
    user_id = peek.scalar("SELECT id FROM users WHERE sso_subject = 'subscriber-12'")
    assert rejoinder("import", "disqus", str(DISQUS), env=env).returncode == 0
    # The archive's ivan@example.org is that subscriber (e-mails match in any case): not a
    # guest, and theirs in a data export or an erasure; others stay guests.
    ivan = peek.rows("SELECT user_id, author_guest FROM comments WHERE source_id = '1001'")
    assert [(row[0], bool(row[1])) for row in ivan] == [(user_id, False)]
    others = peek.scalar(
        "SELECT count(*) FROM comments WHERE source = 'disqus' AND user_id IS NOT NULL"
    )
    assert others == 1


def test_a_later_larger_export_adds_only_what_is_new(env, peek, tmp_path):
    assert rejoinder("import", "disqus", str(DISQUS), env=env).returncode == 0
    later = DISQUS.read_text().replace(
        "</disqus>",
        """<post dsq:id="1009"><message><![CDATA[<p>Written after the first export.</p>]]></message>
        <createdAt>2023-12-10T09:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
        <author><name>Late</name></author><thread dsq:id="100"/><parent dsq:id="1000"/></post>
        </disqus>""",
    )
    (tmp_path / "later.xml.gz").write_bytes(gzip.compress(later.encode()))
    done = rejoinder("import", "auto", str(tmp_path / "later.xml.gz"), env=env)
    assert done.returncode == 0, done.stderr
    assert "imported 1 comment from" in done.stdout and "already imported before: 8" in done.stdout
    comments = imported(peek)
    assert comments["1009"]["parent"] == "1000" and comments["1000"]["replies"] == 2
    assert threads(peek)["story-deserters"][3] == 5


def test_an_import_never_touches_native_comments(env, peek, client):
    native = posted(client, "Written here, before the archive came.", thread="story-deserters")
    assert rejoinder("import", "disqus", str(DISQUS), env=env).returncode == 0
    assert peek.scalar("SELECT count(*) FROM threads WHERE key = 'story-deserters'") == 1
    kept = peek.rows(
        "SELECT body_markdown, status, source FROM comments WHERE id = :id",
        id=native["comment"]["id"],
    )
    assert kept == [("Written here, before the archive came.", "visible", None)]
    assert threads(peek)["story-deserters"][3] == 5  # the native one and four imported


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda text: text[: text.index('<post dsq:id="1004">') + 200], "malformed XML"),
        (
            lambda text: text.replace("<disqus ", "<rss ").replace("</disqus>", "</rss>"),
            "not a Disqus export",
        ),
        (
            lambda text: text.replace('<post dsq:id="1006">', "<post>"),
            "a <post> without its dsq:id",
        ),
        (
            lambda text: text.replace("2023-12-09T10:05:00Z", "yesterday"),
            "'yesterday' is not a date",
        ),
    ],
    ids=["cut-off", "another-format", "post-without-id", "bad-date"],
)
def test_a_malformed_file_is_refused_by_line_and_leaves_the_database_as_it_was(
    env, peek, tmp_path, content, message
):
    assert rejoinder("migrate", env=env).returncode == 0
    broken = tmp_path / "broken.xml"
    broken.write_text(content(DISQUS.read_text()))
    done = rejoinder("import", "disqus", str(broken), env=env)
    assert done.returncode == 1
    assert message in done.stderr and "line " in done.stderr
    assert "nothing was imported" in done.stderr
    assert peek.scalar("SELECT count(*) FROM comments") == 0
    assert peek.scalar("SELECT count(*) FROM threads") == 0


def test_a_dry_run_reports_the_import_and_writes_nothing(env, peek):
    done = rejoinder("import", "disqus", str(DISQUS), "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    assert "would import 8 comments from disqus (2 threads, 2 new)" in done.stdout
    assert "dry run: nothing was written" in done.stdout
    assert peek.scalar("SELECT count(*) FROM comments") == 0
    assert peek.scalar("SELECT count(*) FROM threads") == 0


def test_a_map_file_moves_threads_to_their_new_keys(env, peek, tmp_path):
    moved = tmp_path / "moved.csv"
    moved.write_text("old,new\nstory-deserters,articles/explained-deserters\n")
    assert rejoinder("import", "disqus", str(DISQUS), "--map", str(moved), env=env).returncode == 0
    assert "articles/explained-deserters" in threads(peek)
    assert "story-deserters" not in threads(peek)


def _big_export(path: Path, threads_n: int, per_thread: int) -> None:
    with path.open("w") as out:
        out.write(
            '<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        )
        for t in range(threads_n):
            out.write(
                f'<thread dsq:id="t{t}"><id>story-{t}</id><link>{ORIGIN}/s/{t}</link>'
                f"<title>Story {t}</title><createdAt>2020-01-01T00:00:00Z</createdAt></thread>\n"
            )
        for t in range(threads_n):
            for n in range(per_thread):
                parent = f'<parent dsq:id="p{t}-{n - 1}"/>' if n % 3 else ""
                out.write(
                    f'<post dsq:id="p{t}-{n}"><message><![CDATA[<p>Comment {n} on story {t}, '
                    f"with its own words number {t * per_thread + n}.</p>]]></message>"
                    f"<createdAt>2020-01-02T00:{n % 60:02d}:00Z</createdAt>"
                    "<isDeleted>false</isDeleted>"
                    f"<isSpam>false</isSpam><author><name>Reader {n}</name></author>"
                    f'<thread dsq:id="t{t}"/>{parent}</post>\n'
                )
        out.write("</disqus>\n")


def test_an_import_killed_half_way_then_run_again_ends_as_one_run_would(env, peek, tmp_path):
    archive = tmp_path / "big.xml"
    _big_export(archive, threads_n=20, per_thread=100)
    command = [sys.executable, "-m", "rejoinder", "import", "disqus", str(archive)]
    running = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if (peek.scalar("SELECT count(*) FROM comments") or 0) > 0:
                break
        except Exception:  # the tables are not made yet
            pass
        time.sleep(0.05)
    running.send_signal(signal.SIGKILL)
    running.wait()
    partial = peek.scalar("SELECT count(*) FROM comments")
    assert 0 < partial < 2000, "the kill came before the first batch or after the last"

    again = rejoinder("import", "disqus", str(archive), env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"already imported before: {partial:,}" in again.stdout
    killed_then_rerun = imported(peek), threads(peek)

    whole = tmp_path / "whole"
    whole.mkdir()
    other = dict(env, REJOINDER_DATABASE_URL=f"sqlite:///{whole / 'whole.db'}")
    assert rejoinder("import", "disqus", str(archive), env=other, timeout=300).returncode == 0
    uninterrupted = Peek(other["REJOINDER_DATABASE_URL"])
    assert killed_then_rerun == (imported(uninterrupted), threads(uninterrupted))
    assert len(killed_then_rerun[0]) == 2000

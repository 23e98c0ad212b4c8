"""An Isso database imports whatever schema version Isso left it at: threads by their
path on the site, markdown text, Unix times, likes as votes, and its three modes. SQLite and
PostgreSQL (as Rejoinder's database; Isso's is always SQLite)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_importing import imported, rejoinder, threads

ORIGIN = "https://blog.example"
# The columns Isso's comments table has had: the first release's, then its later additions.
FIRST = (
    "tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT NOT NULL,"
    " modified FLOAT, mode INTEGER, remote_addr VARCHAR, text VARCHAR, author VARCHAR,"
    " email VARCHAR, website VARCHAR"
)
LATEST = FIRST + (
    ", likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL DEFAULT '',"
    " notification INTEGER DEFAULT 0"
)


def isso_database(path: Path, columns: str, version: int) -> Path:
    db = sqlite3.connect(path)
    db.executescript(
        f"""
        CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
        CREATE TABLE comments ({columns});
        CREATE TABLE preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
        PRAGMA user_version = {version};
        INSERT INTO threads VALUES (1, '/2021/05/river-walk/', 'A walk by the river');
        INSERT INTO threads VALUES (2, '/about/', NULL);
        """
    )
    rows = [
        # tid, id, parent, created (Unix), mode, text, author, email
        (1, 1, None, 1620000000.5, 1, "Lovely *photos*.\n\n> quoted", "Iryna", "iryna@example.org"),
        (1, 2, 1, 1620003600.0, 1, "Thanks!", None, None),
        (1, 3, None, 1620007200.0, 2, "Waiting for a moderator.", "Bohdan", ""),
        (1, 4, None, 1620010800.0, 4, "", None, None),
        (1, 5, 4, 1620014400.0, 1, "Answering a deleted one.", "Ostap", None),
        (2, 6, None, 1620018000.0, 1, "<script>alert(1)</script> plain", "Eve", None),
    ]
    db.executemany(
        "INSERT INTO comments (tid, id, parent, created, mode, text, author, email)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    if "likes" in columns:
        db.execute("UPDATE comments SET likes = 3, dislikes = 1 WHERE id = 1")
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize(("columns", "version"), [(FIRST, 0), (LATEST, 3)], ids=["v0", "v3"])
def test_an_isso_database_imports_at_any_schema_version(env, peek, tmp_path, columns, version):
    archive = isso_database(tmp_path / "comments.db", columns, version)
    done = rejoinder("import", "auto", str(archive), "--site-origin", ORIGIN, env=env)
    assert done.returncode == 0, done.stderr
    assert "imported 6 comments from isso (2 threads, 2 new)" in done.stdout
    comments = imported(peek, "isso")
    first, thanks = comments["1"], comments["2"]
    assert first["thread"] == f"{ORIGIN}/2021/05/river-walk/"
    assert threads(peek)[f"{ORIGIN}/2021/05/river-walk/"][:2] == (
        "A walk by the river",
        f"{ORIGIN}/2021/05/river-walk/",
    )
    assert "<em>photos</em>" in first["html"] and "<blockquote>" in first["html"]
    assert first["at"] == "2021-05-03 00:00:00" and first["email"] == "iryna@example.org"
    assert thanks["parent"] == "1" and thanks["name"] == "Anonymous"
    assert comments["3"]["status"] == "pending" and comments["3"]["email"] is None
    assert comments["4"]["status"] == "deleted" and comments["5"]["parent"] == "4"
    assert "<script>" not in comments["6"]["html"]
    votes = peek.rows("SELECT votes_up, votes_down FROM comments WHERE source_id = '1'")
    assert votes == [(3, 1)] if "likes" in columns else [(0, 0)]


def test_a_sqlite_file_that_is_not_isso_is_refused(env, peek, tmp_path):
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE notes (id INTEGER, body TEXT)")
    db.close()
    done = rejoinder("import", "isso", str(other), env=env)
    assert done.returncode == 1 and "not an Isso database" in done.stderr
    assert peek.scalar("SELECT count(*) FROM comments") == 0

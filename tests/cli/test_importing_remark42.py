"""A Remark42 backup (gzipped JSON Lines) imports with its markdown, its votes, its read-only
posts and its deleted comments, and is never taken to mean "empty the site first". SQLite and
PostgreSQL."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.cli.test_importing import DISQUS, imported, rejoinder, threads

POST = "https://blog.example/2020/04/lockdown-diary/"
OTHER = "https://blog.example/2020/05/reopening/"


def _comment(identifier: str, **fields: object) -> dict:
    return {
        "id": identifier,
        "pid": "",
        "text": "<p>ignored when orig is there</p>",
        "orig": f"Comment {identifier}.",
        "user": {"name": "Taras", "id": "github_taras", "picture": "", "ip": "h", "admin": False},
        "locator": {"site": "remark", "url": POST},
        "score": 0,
        "votes": {},
        "time": "2020-04-10T12:00:00.123456789+03:00",
        "pin": False,
        "delete": False,
        "title": "Lockdown diary",
        **fields,
    }


def remark_backup(path: Path, *, version: int = 1) -> Path:
    meta = {
        "version": version,
        "users": [{"id": "github_taras", "blocked": {"status": False}}],
        "posts": [{"url": OTHER, "read_only": True}],
    }
    comments = [
        _comment("c-2", pid="c-1", orig="A reply **before** its parent."),
        _comment("c-1", votes={"u1": True, "u2": True, "u3": False}, score=1),
        _comment("c-3", orig="", text="<p>Only <em>HTML</em> here.</p>"),
        _comment("c-4", delete=True, orig="", text=""),
        _comment("c-5", pid="c-4", orig="Under a deleted one."),
        _comment(
            "c-6",
            locator={"site": "remark", "url": OTHER},
            title="Reopening",
            score=-2,
            votes=None,
            time="2020-05-01T08:00:00Z",
        ),
    ]
    lines = [json.dumps(meta)] + [json.dumps(c) for c in comments]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def test_a_remark42_backup_imports_with_every_quirk(env, peek, tmp_path):
    backup = remark_backup(tmp_path / "backup-remark-20200601.gz")
    done = rejoinder("import", "auto", str(backup), env=env)
    assert done.returncode == 0, done.stderr
    assert "imported 6 comments from remark42 (2 threads, 2 new)" in done.stdout
    comments = imported(peek, "remark42")
    assert (
        comments["c-2"]["parent"] == "c-1" and "<strong>before</strong>" in comments["c-2"]["html"]
    )
    assert comments["c-1"]["at"] == "2020-04-10 09:00:00"  # +03:00 in the file
    assert comments["c-3"]["html"] == "<p>Only <em>HTML</em> here.</p>"
    assert comments["c-4"]["status"] == "deleted" and comments["c-5"]["parent"] == "c-4"
    votes = dict(
        peek.rows(
            "SELECT source_id, votes_up || '/' || votes_down FROM comments"
            " WHERE source = 'remark42'"
        )
    )
    assert votes["c-1"] == "2/1" and votes["c-6"] == "0/2"  # from votes, else from the score
    found = threads(peek)
    assert found[POST][0] == "Lockdown diary" and found[POST][2] is False
    assert found[OTHER][0] == "Reopening" and found[OTHER][2] is True  # read-only there


def test_importing_a_backup_keeps_what_the_site_already_has(env, peek, tmp_path):
    assert rejoinder("import", "disqus", str(DISQUS), env=env).returncode == 0
    before = peek.scalar("SELECT count(*) FROM comments")
    backup = remark_backup(tmp_path / "backup.gz")
    assert rejoinder("import", "remark42", str(backup), env=env).returncode == 0
    assert peek.scalar("SELECT count(*) FROM comments") == before + 6


def test_a_broken_line_is_refused_by_its_number(env, peek, tmp_path):
    backup = remark_backup(tmp_path / "backup.gz")
    lines = gzip.decompress(backup.read_bytes()).decode().splitlines()
    lines[3] = lines[3][:40]
    backup.write_bytes(gzip.compress("\n".join(lines).encode()))
    done = rejoinder("import", "remark42", str(backup), env=env)
    assert done.returncode == 1 and "line 4: not a JSON line" in done.stderr
    assert peek.scalar("SELECT count(*) FROM comments") == 0

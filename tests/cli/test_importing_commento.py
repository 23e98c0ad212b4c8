"""A Commento export imports with its commenters' names and emails (which come after the
comments), its states and its threads on the publisher's domain. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_importing import imported, rejoinder, threads

PAGE = "https://example.com/blog/post/1"


def commento_export(path: Path) -> Path:
    def comment(hex_id: str, **fields: object) -> dict:
        return {
            "commentHex": hex_id,
            "domain": "example.com",
            "url": "/blog/post/1",
            "commenterHex": "anonymous",
            "markdown": f"Comment {hex_id}.",
            "html": "",
            "parentHex": "root",
            "score": 0,
            "state": "approved",
            "creationDate": "2021-03-12T11:21:56Z",
            "direction": 0,
            "deleted": False,
            **fields,
        }

    export = {
        "version": 1,
        "comments": [
            comment("aa", commenterHex="c1", score=3),
            comment("bb", parentHex="cc", commenterHex="c2", markdown="Reply *before* parent."),
            comment("cc", commenterHex="c1", creationDate="2021-03-12T10:00:00.722181Z"),
            comment("dd", state="unapproved"),
            comment("ee", state="flagged", score=-1),
            comment("ff", url="/blog/post/2", deleted=True, markdown=""),
        ],
        "commenters": [
            {
                "commenterHex": "c1",
                "email": "vira@example.org",
                "name": "Vira",
                "link": "",
                "photo": "",
                "provider": "commento",
                "isModerator": False,
            },
            {"commenterHex": "c2", "email": "", "name": "Yurii", "provider": "google"},
        ],
    }
    path.write_text(json.dumps(export, indent=2))
    return path


def test_a_commento_export_imports_with_every_quirk(env, peek, tmp_path):
    export = commento_export(tmp_path / "commento.json")
    done = rejoinder("import", "auto", str(export), env=env)
    assert done.returncode == 0, done.stderr
    # The deleted comment answers nothing, so it is left out; its thread is still made.
    assert "imported 5 comments from commento (2 threads, 2 new)" in done.stdout
    comments = imported(peek, "commento")
    assert comments["aa"]["name"] == "Vira" and comments["aa"]["email"] == "vira@example.org"
    assert comments["aa"]["thread"] == PAGE
    assert comments["bb"]["parent"] == "cc" and "<em>before</em>" in comments["bb"]["html"]
    assert comments["bb"]["name"] == "Yurii" and comments["bb"]["email"] is None
    assert comments["dd"]["name"] == "Anonymous" and comments["dd"]["status"] == "pending"
    assert comments["ee"]["status"] == "pending"  # flagged: for a moderator to decide
    assert comments["cc"]["at"] == "2021-03-12 10:00:00"
    assert threads(peek)[PAGE][3] == 3  # aa, bb, cc are published
    votes = peek.rows("SELECT votes_up, votes_down FROM comments WHERE source_id = 'aa'")
    assert votes == [(3, 0)]


def test_a_cut_off_export_is_refused_near_its_line(env, peek, tmp_path):
    export = commento_export(tmp_path / "commento.json")
    text = export.read_text()
    export.write_text(text[: text.index('"commentHex": "dd"')])
    done = rejoinder("import", "commento", str(export), env=env)
    assert done.returncode == 1 and "malformed JSON" in done.stderr and "line " in done.stderr
    assert peek.scalar("SELECT count(*) FROM comments") == 0

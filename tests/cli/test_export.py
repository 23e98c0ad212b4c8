"""`rejoinder export` writes everything a newsroom owns, and `rejoinder import rejoinder`
brings it back into an empty database, whole or not at all: exported again, it is the same
file, on SQLite, on PostgreSQL, and from one to the other."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_importing import DISQUS, rejoinder
from tests.conftest import Peek, new_postgres
from tests.domain.test_articles import GOOD
from tests.support import add_moderator, moderate, page, posted, report_from, sign_in, sso_token

SECRET = "a-publisher-secret-of-at-least-32-bytes!"


def newsroom(
    make_client, database_url: str, env: dict[str, str], tmp_path: Path, smtp_url: str = ""
) -> None:
    """A site with a bit of everything: an article, guests and a subscriber, replies, votes,
    a report, moderators' decisions and a ban, an imported archive with late parents; with
    ``smtp_url``, a guest following replies by mail and a moderator's queue digest too."""
    story = tmp_path / "story.md"
    story.write_text(GOOD)
    assert rejoinder("article", "add", str(story), env=env).returncode == 0
    assert rejoinder("import", "disqus", str(DISQUS), env=env).returncode == 0
    reader = make_client(sso_secret=SECRET, sso_audience="rejoinder")
    first = posted(reader, "Thanks for the **explainer**.", thread="surge-in-deserters")
    reply = posted(
        reader, "And the ||ending||.", thread="surge-in-deserters", parent_id=first["comment"]["id"]
    )
    token = sso_token(SECRET, "subscriber-3", "Marta Subscriber", "marta@news.example")
    bearer = {"Authorization": f"Bearer {token}"}
    posted(
        reader,
        "A subscriber's view.",
        thread="surge-in-deserters",
        headers=bearer,
        author_name=None,
    )
    voter = make_client()
    assert voter.post(f"/api/comments/{first['comment']['id']}/vote", json={"value": 1}).is_success
    report_from(voter, reply["comment"]["id"], "203.0.113.9")
    add_moderator(database_url)
    desk = make_client()
    csrf = sign_in(desk)
    moderate(desk, csrf, first["comment"]["id"], "feature")
    spam = posted(voter, "Cheap watches here.", thread="surge-in-deserters")
    moderate(desk, csrf, spam["comment"]["id"], "ban", reason="spam", days="7")
    if smtp_url:
        mailing = make_client(smtp_url=smtp_url)
        followed = {"author_email": "olena@news.example", "notify_replies": True}
        posted(mailing, "Tell me who answers.", thread="surge-in-deserters", **followed)
        chosen = desk.post(
            "/admin/me", data={"csrf": csrf, "queue_every": "day", "email": "desk@news.example"}
        )
        assert chosen.status_code == 200


def exported(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as source:
        return [json.loads(line) for line in source]


def test_export_restore_export_is_the_same_file(
    empty_database, make_client, database_url, env, tmp_path, smtp
):
    newsroom(make_client, database_url, env, tmp_path, smtp.url)
    first = tmp_path / "first.jsonl.gz"
    done = rejoinder("export", str(first), env=env)
    assert done.returncode == 0, done.stderr
    records = exported(first)
    header, end = records[0], records[-1]
    assert header["format"] == "rejoinder-export" and header["version"] == 1
    assert end == {"type": "end", "records": len(records) - 2}
    kinds = {record["type"] for record in records[1:-1]}
    assert kinds == {
        "site", "user", "voter", "article", "thread", "comment", "vote", "report", "ban",
        "mail_address", "reply_subscription", "staff_mail", "audit",
    }  # fmt: skip
    # Nothing that is a secret or made again: no password hashes, edit keys or rendered HTML.
    text = gzip.decompress(first.read_bytes()).decode()
    assert "password_hash" not in text and "edit_key" not in text and "body_html" not in text

    elsewhere = {**env, "REJOINDER_DATABASE_URL": empty_database}
    restored = rejoinder("import", "rejoinder", str(first), env=elsewhere)
    assert restored.returncode == 0, restored.stderr
    assert f"restored {len(records) - 2:,} records" in restored.stdout
    second = tmp_path / "second.jsonl.gz"
    assert rejoinder("export", str(second), env=elsewhere).returncode == 0
    assert exported(second)[1:] == records[1:]


def test_a_restored_site_reads_and_writes_as_before(
    empty_database, make_client, database_url, env, tmp_path
):
    newsroom(make_client, database_url, env, tmp_path)
    before = page(make_client(), "surge-in-deserters")
    archive = tmp_path / "site.jsonl.gz"
    assert rejoinder("export", str(archive), env=env).returncode == 0
    elsewhere = {**env, "REJOINDER_DATABASE_URL": empty_database}
    assert rejoinder("import", "auto", str(archive), env=elsewhere).returncode == 0
    moved = make_client(database_url=empty_database)
    assert page(moved, "surge-in-deserters") == before
    restored = Peek(empty_database)
    html = restored.scalar("SELECT body_html FROM comments WHERE body_markdown LIKE 'Thanks%'")
    assert html == "<p>Thanks for the <strong>explainer</strong>.</p>"
    assert restored.scalar("SELECT count(*) FROM users WHERE password_hash IS NOT NULL") == 0
    # The next comment written there takes the next id, not one of the restored.
    highest = restored.scalar("SELECT max(id) FROM comments")
    assert posted(moved, "The first comment after the move.")["comment"]["id"] == highest + 1


@pytest.fixture
def postgres_target() -> Iterator[str]:
    yield from new_postgres("rejoinder_moved")


@pytest.mark.postgres
def test_sqlite_to_postgresql_keeps_every_visible_comment(
    postgres_target, make_client, database_url, env, tmp_path
):
    if not database_url.startswith("sqlite"):
        pytest.skip("the move starts from SQLite")
    newsroom(make_client, database_url, env, tmp_path)
    archive = tmp_path / "site.jsonl.gz"
    assert rejoinder("export", str(archive), env=env).returncode == 0
    elsewhere = {**env, "REJOINDER_DATABASE_URL": postgres_target}
    done = rejoinder("import", "rejoinder", str(archive), env=elsewhere)
    assert done.returncode == 0, done.stderr
    again = tmp_path / "again.jsonl.gz"
    assert rejoinder("export", str(again), env=elsewhere).returncode == 0
    assert exported(again)[1:] == exported(archive)[1:]
    here, there = Peek(database_url), Peek(postgres_target)
    visible = "SELECT id, body_markdown FROM comments WHERE status = 'visible' ORDER BY id"
    assert there.rows(visible) == here.rows(visible) and len(here.rows(visible)) >= 6
    highest = here.scalar("SELECT max(id) FROM comments")
    moved = make_client(database_url=postgres_target)
    assert posted(moved, "First on PostgreSQL.")["comment"]["id"] == highest + 1


def test_a_database_that_is_not_empty_is_refused_and_left_alone(
    make_client, database_url, env, tmp_path, peek
):
    newsroom(make_client, database_url, env, tmp_path)
    archive = tmp_path / "site.jsonl.gz"
    assert rejoinder("export", str(archive), env=env).returncode == 0
    counts = peek.scalar("SELECT count(*) FROM comments")
    done = rejoinder("import", "rejoinder", str(archive), env=env)
    assert done.returncode == 1
    assert "the database is not empty (it holds users, voters, articles, threads" in done.stderr
    assert "nothing was restored" in done.stderr
    assert peek.scalar("SELECT count(*) FROM comments") == counts


def _rewrite(source: Path, target: Path, change) -> None:
    lines = gzip.decompress(source.read_bytes()).decode().splitlines(keepends=True)
    target.write_bytes(gzip.compress("".join(change(lines)).encode()))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda lines: lines[:-1], "ends before its end record: the export is incomplete"),
        (
            lambda lines: [
                line.replace('"status":"visible"', '"status":"published"', 1) for line in lines
            ],
            "comment status: 'published' is not one of",
        ),
        (
            lambda lines: [
                line.replace('"author_name":"Olena"', '"author_name":"' + "O" * 65 + '"')
                for line in lines
            ],
            "comment author_name is longer than 64 characters",
        ),
        (
            lambda lines: [*lines[:2], '{"type":"poll","id":1}\n', *lines[2:]],
            "unknown record type 'poll'",
        ),
        (lambda lines: [*lines[:2], "not json\n", *lines[2:]], "line 3: not JSON"),
        (
            lambda lines: [
                line.replace(
                    '"created_at":"2023-12-08T10:00:00Z"', '"created_at":"2023-12-08 10:00"', 1
                )
                for line in lines
            ],
            "expected a time with its zone",
        ),
    ],
)
def test_a_file_cut_short_or_altered_restores_nothing(
    empty_database, make_client, database_url, env, tmp_path, change, says
):
    assert rejoinder("import", "disqus", str(DISQUS), env=env).returncode == 0
    archive, altered = tmp_path / "site.jsonl.gz", tmp_path / "altered.jsonl.gz"
    assert rejoinder("export", str(archive), env=env).returncode == 0
    _rewrite(archive, altered, change)
    done = rejoinder(
        "import", "rejoinder", str(altered), env={**env, "REJOINDER_DATABASE_URL": empty_database}
    )
    assert done.returncode == 1
    assert says in done.stderr and "nothing was restored" in done.stderr
    assert Peek(empty_database).scalar("SELECT count(*) FROM comments") == 0


def test_markup_in_a_file_reaches_no_page(empty_database, database_url, env, tmp_path):
    assert rejoinder("import", "disqus", str(DISQUS), env=env).returncode == 0
    archive, altered = tmp_path / "site.jsonl.gz", tmp_path / "altered.jsonl.gz"
    assert rejoinder("export", str(archive), env=env).returncode == 0

    def scripted(lines, html):
        for line in lines:
            record = json.loads(line)
            if record.get("type") == "comment":
                record["body_markdown"] = "<script>alert(1)</script> hi"
                if html:
                    record["body_html"] = "<script>alert(1)</script>"
            yield json.dumps(record) + "\n"

    here = {**env, "REJOINDER_DATABASE_URL": empty_database}
    _rewrite(archive, altered, lambda lines: scripted(lines, html=True))
    done = rejoinder("import", "rejoinder", str(altered), env=here)
    assert done.returncode == 1 and "comment: unknown field 'body_html'" in done.stderr
    _rewrite(archive, altered, lambda lines: scripted(lines, html=False))
    done = rejoinder("import", "rejoinder", str(altered), env=here)
    assert done.returncode == 0, done.stderr
    for (html,) in Peek(empty_database).rows("SELECT body_html FROM comments"):
        assert "<script" not in html and "&lt;script&gt;" in html


def test_an_export_since_a_date_holds_only_what_is_newer_and_restores_nothing(
    empty_database, make_client, database_url, env, tmp_path
):
    assert rejoinder("import", "disqus", str(DISQUS), env=env).returncode == 0
    posted(make_client(), "Written today.")
    recent = tmp_path / "recent.jsonl.gz"
    done = rejoinder("export", str(recent), "--since", "2024-01-01", env=env)
    assert done.returncode == 0, done.stderr
    comments = [r for r in exported(recent) if r.get("type") == "comment"]
    assert [c["body_markdown"] for c in comments] == ["Written today."]
    assert exported(recent)[0]["since"] == "2024-01-01T00:00:00Z"
    refused = rejoinder(
        "import", "rejoinder", str(recent), env={**env, "REJOINDER_DATABASE_URL": empty_database}
    )
    assert refused.returncode == 1 and "restore from a whole export" in refused.stderr


def test_bad_arguments_are_clear_errors(env, tmp_path):
    assert (
        "no site is called 'elsewhere'"
        in rejoinder("export", str(tmp_path / "x.gz"), "--site", "elsewhere", env=env).stderr
    )
    done = rejoinder("export", str(tmp_path / "x.gz"), "--since", "last week", env=env)
    assert done.returncode == 2 and "is not a date" in done.stderr
    assert not (tmp_path / "x.gz").exists()
    done = rejoinder("import", "rejoinder", str(DISQUS), env=env)
    assert done.returncode == 1 and "not a whole gzipped Rejoinder export" in done.stderr

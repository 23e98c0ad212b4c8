"""A WordPress export (WXR 1.0 to 1.2) imports with its paragraphs, its GMT times, its
statuses and its threads, and without its pingbacks and trackbacks. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.cli.test_importing import ARCHIVES, imported, rejoinder, threads

WORDPRESS = ARCHIVES / "wordpress.xml"
SITE = "https://regional.example"


def test_a_wordpress_export_imports_with_every_quirk(env, peek):
    done = rejoinder("import", "auto", str(WORDPRESS), env=env)
    assert done.returncode == 0, done.stderr
    assert "imported 6 comments from wordpress (2 threads, 2 new)" in done.stdout
    assert "skipped, pingbacks: 1" in done.stdout and "skipped, trackbacks: 1" in done.stdout

    comments = imported(peek, "wordpress")
    reply, first = comments[f"{SITE}#31"], comments[f"{SITE}#30"]
    # Threads are their permalinks; a page without comments makes no thread.
    assert reply["thread"] == f"{SITE}/2022/03/flood-defences/"
    assert set(threads(peek)) == {f"{SITE}/2022/03/flood-defences/", f"{SITE}/2021/01/closed/"}
    assert threads(peek)[f"{SITE}/2022/03/flood-defences/"][0] == (
        "Flood defences: what went wrong & what’s next"
    )
    assert threads(peek)[f"{SITE}/2021/01/closed/"][2] is True
    # The reply came first in the file and still nests; paragraphs and line breaks are kept.
    assert reply["parent"] == f"{SITE}#30" and first["replies"] == 1
    assert reply["html"].count("<p>") == 2 and "<br" in reply["html"]
    assert first["html"] == "<p>The <em>old</em> barrier &amp; the new one.</p>"
    # GMT times; a comment whose GMT time is zeros falls back to its local time.
    assert reply["at"] == "2022-03-01 10:15:00" and first["at"] == "2022-03-01 10:00:00"
    assert comments[f"{SITE}#34"]["status"] == "rejected"  # spam
    assert comments[f"{SITE}#35"]["status"] == "rejected"  # trash
    assert comments[f"{SITE}#36"]["status"] == "pending"
    assert first["email"] is None and reply["email"] == "hanna@example.org"


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_older_wxr_versions_import_too(env, peek, tmp_path, version):
    older = tmp_path / f"wxr-{version}.xml"
    older.write_text(WORDPRESS.read_text().replace("export/1.2/", f"export/{version}/"))
    done = rejoinder("import", "wordpress", str(older), env=env)
    assert done.returncode == 0, done.stderr
    assert len(imported(peek, "wordpress")) == 6


def test_an_rss_feed_that_is_not_a_wordpress_export_is_refused(env, peek, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        "<item><title>A story</title></item></channel></rss>"
    )
    rss = tmp_path / "not-wxr.xml"
    rss.write_text(WORDPRESS.read_text().replace("http://wordpress.org/export/1.2/", "urn:other"))
    for path in (feed, rss):
        refused = rejoinder("import", "wordpress", str(path), env=env)
        assert refused.returncode == 1 and "not a WordPress export" in refused.stderr
    assert peek.scalar("SELECT count(*) FROM comments") == 0


def test_xml_entities_are_never_expanded(env, peek, tmp_path):
    """A billion-laughs file, or one naming a local file as an entity, imports no text of it."""
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        '<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        + WORDPRESS.read_text().split("?>", 1)[1].replace("Thrown away.", "&c; &secret;")
    )
    done = rejoinder("import", "wordpress", str(bomb), env=env)
    stored = peek.scalar(
        "SELECT body_markdown FROM comments WHERE source_id = :id", id=f"{SITE}#35"
    )
    assert stored is None or ("aaaaaaaaaa" not in stored and "root:" not in stored), done.stdout

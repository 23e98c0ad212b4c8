"""The moderation pages speak in words: the audit log says what changed from what to what,
the bans list names the people banned, modes are described, and counts are plural or not."""

from __future__ import annotations

import re

import pytest

from tests.pages.test_admin import ABUSE
from tests.support import add_moderator, moderate, posted, sign_in, statements_for


@pytest.fixture
def moderator(client, database_url):
    add_moderator(database_url)
    return sign_in(client)


def audit_rows(client) -> list[str]:
    """The audit page's entries, newest first, each row's HTML."""
    html = client.get("/admin/audit").text
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr data-action=.*?</tr>", body, re.S)


def text_of(html: str) -> str:
    """The words a reader sees: inline tags vanish, the others part words."""
    inline = re.sub(r"</?(?:span|a|time|del|ins|strong|kbd)\b[^>]*>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", inline).split())


def as_another_guest(client) -> None:
    """The same browser's moderator session, but a new guest: no reader cookie."""
    client.cookies.delete("rj_voter")


def test_an_approval_in_the_audit_log_reads_status_from_and_to(client, moderator):
    queued = posted(client, ABUSE, nudge_acknowledged=True)["comment"]["id"]  # sent anyway
    moderate(client, moderator, queued, "approve")
    [row] = audit_rows(client)
    words = text_of(row)
    assert "Approved" in words and f"comment #{queued}" in words
    assert "status: pending → published" in words
    assert "spoiler" not in words  # only what changed is listed
    assert "{" not in row and '"status"' not in row and "&#34;" not in row


def test_an_edit_in_the_audit_log_shows_the_words_removed_and_added(client, moderator):
    comment_id = posted(client, "It's the ending's fault, isn't it?")["comment"]["id"]
    moderate(client, moderator, comment_id, "edit", body="It's the ending's twist, isn't it?")
    [row] = audit_rows(client)
    assert "text" in text_of(row)
    assert re.search(r"<del>.*fault,</del>", row) and re.search(r"<ins>.*twist,</ins>", row)
    assert "\\u0027" not in row and "{" not in row
    assert "It&#39;s the ending&#39;s" in row  # the kept words, escaped once, not as JSON


def test_an_edited_text_is_shown_escaped_never_as_markup(client, moderator):
    comment_id = posted(client, "Plain words.")["comment"]["id"]
    moderate(client, moderator, comment_id, "edit", body='Plain <img src=x onerror="alert(1)">.')
    [row] = audit_rows(client)
    assert "<img" not in row
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in row


def test_a_long_comments_one_word_edit_shows_that_word_in_its_context(client, moderator):
    start, end = "Opening words. " * 20, " closing words." * 20
    comment_id = posted(client, f"{start}The bridge reopened{end}")["comment"]["id"]
    moderate(client, moderator, comment_id, "edit", body=f"{start}The bridge closed{end}")
    words = text_of(audit_rows(client)[0])
    assert "removed: reopened" in words and "added: closed" in words
    assert words.count("Opening words.") < 20 and "…" in words


def test_the_audit_exports_keep_the_stored_values(client, moderator):
    queued = posted(client, ABUSE, nudge_acknowledged=True)["comment"]["id"]  # sent anyway
    moderate(client, moderator, queued, "approve")
    [entry] = client.get("/admin/audit.json").json()
    assert entry["before"]["status"] == "pending" and entry["after"]["status"] == "visible"
    assert '"status"' in client.get("/admin/audit.csv").text


def test_a_change_of_mode_in_the_audit_log_is_in_words(client, moderator):
    client.post("/admin/settings", data={"csrf": moderator, "mode": "pre_guests"})
    client.post("/admin/settings", data={"csrf": moderator, "mode": "pre", "auto_close_days": "1"})
    newest, oldest = (text_of(row) for row in audit_rows(client))
    assert (
        "moderation: Comments appear at once; moderators check them after"
        " → Guests' comments wait for a moderator"
    ) in oldest.replace("&#39;", "'")
    assert "closes: never → 1 day after publication" in newest
    assert "pre_guests" not in newest + oldest


def test_lifting_a_ban_is_audited_in_words(client, moderator, peek):
    comment_id = posted(client)["comment"]["id"]
    moderate(client, moderator, comment_id, "ban")
    ban_id = peek.scalar("SELECT id FROM bans")
    client.post(f"/admin/bans/{ban_id}/lift", data={"csrf": moderator})
    newest, banned = (text_of(row) for row in audit_rows(client))
    assert f"Lifted a ban ban #{ban_id} (guest) ban in force: yes → no" in newest
    assert "Banned the author" in banned and "(ban on the guest)" in banned
    assert "status: published → rejected" in banned


def test_the_bans_list_names_a_guest_by_their_name_and_latest_words(client, moderator):
    posted(client, "An earlier, kinder comment.", author_name="Old Name")
    latest = posted(client, "You will <b>all</b> regret this.", author_name="Grumbler")
    moderate(client, moderator, latest["comment"]["id"], "ban", reason="threats")
    html = client.get("/admin/bans").text
    row = re.search(r'<tr data-kind="voter">.*?</tr>', html, re.S).group(0)
    assert "Grumbler" in row and "guest" in row and "Old Name" not in row
    assert "You will &lt;b&gt;all&lt;/b&gt; regret this." in row
    assert f'href="/admin/comments/{latest["comment"]["id"]}"' in row
    assert re.search(r"<td>\s*voter\b|voter \d", text_of(html)) is None


def comment_reads_for(client, path: str) -> int:
    """How many SQL statements that read comments the app runs to answer ``path``."""
    return statements_for(client, path, r"\bFROM comments\b")


def test_the_bans_list_reads_the_latest_comments_for_all_bans_at_once(client, moderator):
    def ban_guests(n: int) -> None:
        for k in range(n):
            as_another_guest(client)
            comment_id = posted(client, f"Comment {k}.", author_name=f"Guest {k}")["comment"]["id"]
            moderate(client, moderator, comment_id, "ban")

    ban_guests(2)
    assert comment_reads_for(client, "/admin/bans") == 1
    ban_guests(4)
    assert comment_reads_for(client, "/admin/bans") == 1
    assert all(f"Guest {k}" in client.get("/admin/bans").text for k in range(4))


def test_settings_describe_each_moderation_mode_in_words(client, moderator):
    posted(client)
    html = client.get("/admin/settings", params={"thread": "article-1"}).text
    options = text_of(" ".join(re.findall(r"<option.*?</option>", html, re.S)))
    for words in (
        "Comments appear at once; moderators check them after",
        "Every comment waits for a moderator",
        "Guests&#39; comments wait for a moderator",
        "Comments with links wait for a moderator",
        "As the site: Comments appear at once",
    ):
        assert words in options
    assert re.search(r">\s*pre_guests\s*<", html) is None


@pytest.mark.parametrize(("comments", "words"), [(1, "1 comment<"), (2, "2 comments<")])
def test_a_discussions_count_of_comments_is_singular_for_one(client, moderator, comments, words):
    for n in range(comments):
        posted(client, f"Comment number {n}.")
    html = client.get("/admin/settings", params={"thread": "article-1"}).text
    assert words in html


@pytest.mark.parametrize("reports", [1, 2])
def test_a_queue_item_counts_its_reports_in_good_english(client, database_url, reports):
    from tests.support import report_from

    comment_id = posted(client)["comment"]["id"]
    for k in range(reports):
        assert report_from(client, comment_id, f"198.51.100.{k + 1}").status_code == 201
    add_moderator(database_url)
    sign_in(client)
    html = client.get("/admin?queue=reported").text
    assert ("1 report<" if reports == 1 else "2 reports<") in html
    assert "1 reports" not in html

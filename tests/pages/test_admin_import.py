"""`/admin/import` does what `rejoinder import` does, for a newsroom without a shell: an admin
uploads an archive, previews it (nothing written), imports it (each comment once, audited),
and reads the same summary; a malformed file imports nothing and names its line; a file too
large for the page is sent to the command line; moderators who are not admins are refused.
Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from rejoinder.catalogues import translations
from tests.pages.test_admin_wording import text_of
from tests.pages.test_languages import UKRAINIAN, english_left_over
from tests.support import add_moderator, form_token, page, posted, sign_in

DISQUS = Path(__file__).resolve().parents[1] / "archives" / "disqus.xml"
ORIGIN = "https://news.example"


@pytest.fixture
def admin(client, database_url):
    add_moderator(database_url, "ada", role="admin")
    return sign_in(client, "ada")


def send(client, csrf, run="preview", content=None, name="disqus.xml", headers=None, **fields):
    """The import form as a browser sends it: the archive, the choices and a button."""
    files = {"archive": (name, DISQUS.read_bytes() if content is None else content)}
    key_map = fields.pop("key_map", None)
    if key_map is not None:
        files["key_map"] = ("moved.csv", key_map)
    data = {"csrf": csrf, "format": "auto", "site_origin": "", "run": run, **fields}
    return client.post("/admin/import", data=data, files=files, headers=headers)


def words(response) -> str:
    return html.unescape(text_of(response.text))


def stored(peek) -> tuple[int, int, int]:
    return (
        peek.scalar("SELECT count(*) FROM comments"),
        peek.scalar("SELECT count(*) FROM threads"),
        peek.scalar("SELECT count(*) FROM audit_log"),
    )


def test_the_import_page_sends_a_signed_out_browser_to_sign_in(client):
    response = client.get("/admin/import", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/import"


def test_a_moderator_who_is_not_an_admin_may_not_open_or_use_it(client, database_url, peek):
    add_moderator(database_url)
    csrf = sign_in(client)
    assert 'href="/admin/import"' not in client.get("/admin").text
    assert client.get("/admin/import").status_code == 403
    response = send(client, csrf, run="import")
    assert response.status_code == 403
    assert "Only an admin may open this page." in response.text
    assert stored(peek) == (0, 0, 0)


def test_an_admin_finds_the_form_from_the_navigation(client, admin):
    assert 'href="/admin/import"' in client.get("/admin").text
    form = client.get("/admin/import")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    assert form_token(form.text) == admin
    assert 'value="preview"' in form.text and 'value="import"' in form.text
    assert "rejoinder import" in form.text  # where larger archives go


def test_a_preview_shows_the_summary_and_writes_nothing(client, admin, peek):
    before = peek.counts()
    response = send(client, admin, "preview", site_origin=ORIGIN)
    assert response.status_code == 200, response.text
    said = words(response)
    assert "would import 8 comments from disqus (2 threads, 2 new)" in said
    assert "skipped, deleted, with no replies: 1" in said
    assert "dry run: nothing was written" in said
    assert peek.counts() == before


def test_an_import_stores_the_archive_shows_the_summary_and_is_audited(client, admin, peek):
    response = send(client, admin, "import", site_origin=ORIGIN)
    assert response.status_code == 200, response.text
    said = words(response)
    assert "imported 8 comments from disqus (2 threads, 2 new)" in said
    assert "already imported before: 0" in said
    assert "skipped, deleted, with no replies: 1" in said
    assert "replies whose parent is not in the archive (shown at the top level): 1" in said
    assert "problem: line " in said and "email 'not-an-address' dropped" in said
    assert "dry run: nothing was written" not in said and "is imported" in said
    assert peek.scalar("SELECT count(*) FROM comments WHERE source = 'disqus'") == 8
    assert peek.scalar("SELECT url FROM threads WHERE key = 'story-deserters'") == (
        "https://news.example/2023/12/deserters/"
    )
    [entry] = client.get("/admin/audit.json").json()
    assert (entry["actor"], entry["action"], entry["target"]) == (
        "ada",
        "import",
        "archive:disqus.xml",
    )
    assert entry["after"] == {
        "format": "disqus",
        "threads": 2,
        "new_threads": 2,
        "comments": 8,
        "already": 0,
        "skipped": 1,
        "unmapped_parents": 1,
    }
    log = words(client.get("/admin/audit"))
    assert "Imported an archive" in log and "archive “disqus.xml”" in log
    assert "comments imported: 8" in log and "none →" not in log


def test_the_same_file_again_imports_nothing_new(client, admin, peek):
    assert send(client, admin, "import").status_code == 200
    again = send(client, admin, "import")
    assert again.status_code == 200, again.text
    said = words(again)
    assert "imported 0 comments from disqus" in said
    assert "already imported before: 8" in said
    assert peek.scalar("SELECT count(*) FROM comments") == 8


def test_a_malformed_file_names_its_line_and_stores_nothing(client, admin, peek):
    text = DISQUS.read_text()
    cut = text[: text.index('<post dsq:id="1004">') + 200].encode()
    response = send(client, admin, "import", content=cut, name="cut.xml")
    assert response.status_code == 422
    said = words(response)
    assert "“cut.xml” cannot be imported: line " in said and "malformed XML" in said
    assert "Nothing was imported." in said
    assert 'id="archive" name="archive" type="file"' in response.text
    assert 'aria-invalid="true"' in response.text and 'id="archive-error"' in response.text
    assert "/tmp" not in said  # the server's own file is not named
    assert stored(peek) == (0, 0, 0)


def test_a_file_in_no_known_format_imports_nothing(client, admin, peek):
    response = send(client, admin, "import", content=b"just some text\n", name="notes.txt")
    assert response.status_code == 422
    assert "“notes.txt” is in none of the formats Rejoinder knows" in words(response)
    assert stored(peek) == (0, 0, 0)


def test_an_archive_over_the_pages_limit_is_sent_to_the_command_line(
    client, admin, peek, monkeypatch
):
    from rejoinder.web.pages import admin_import

    monkeypatch.setattr(admin_import, "MAX_ARCHIVE_BYTES", 1024)
    response = send(client, admin, "import")
    assert response.status_code == 413
    said = words(response)
    assert "up to 50 MB" in said and "rejoinder import auto FILE" in said
    assert stored(peek) == (0, 0, 0)


def test_a_body_over_the_routes_limit_is_refused_as_it_arrives(client, admin, peek):
    from rejoinder.web.pages.admin_import import MAX_BODY_BYTES

    response = send(client, admin, "import", content=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413
    assert "rejoinder import auto FILE" in words(response)
    assert stored(peek) == (0, 0, 0)


@pytest.mark.parametrize("csrf", [None, "forged", "ünïcode", ""])
def test_an_import_without_the_forms_token_is_refused(client, admin, peek, csrf):
    files = {"archive": ("disqus.xml", DISQUS.read_bytes())}
    data = {"format": "auto", "run": "import"}
    if csrf is not None:
        data["csrf"] = csrf
    response = client.post("/admin/import", data=data, files=files)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert stored(peek) == (0, 0, 0)


def test_a_form_from_another_site_is_refused(client, admin, peek):
    response = client.post(
        "/admin/import",
        data={"csrf": admin, "run": "import"},
        files={"archive": ("disqus.xml", DISQUS.read_bytes())},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert response.status_code == 403
    assert stored(peek) == (0, 0, 0)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"format": "livefyre"}, "format", "There is no format “livefyre”."),
        ({"site_origin": "news.example/stories"}, "site-origin", "The site's origin is"),
        ({"key_map": b"old,new\nstory-deserters\n"}, "key-map", "Line 2 of the key map"),
        ({"key_map": b"\xff\xfe old,new"}, "key-map", "The key map is not UTF-8 text."),
    ],
    ids=["unknown-format", "origin-with-a-path", "key-map-row", "key-map-not-utf8"],
)
def test_a_bad_choice_is_refused_beside_its_field(client, admin, peek, fields, field, message):
    response = send(client, admin, "import", **fields)
    assert response.status_code == 400, response.text
    assert message in words(response)
    assert f'id="{field}-error"' in response.text
    assert f'aria-describedby="{field}-error"' in response.text
    assert stored(peek) == (0, 0, 0)


def test_no_file_is_refused_beside_the_file_field(client, admin, peek):
    response = client.post("/admin/import", data={"csrf": admin, "run": "import"})
    assert response.status_code == 400
    assert "Choose the archive to import." in response.text
    assert 'id="archive-error"' in response.text
    empty = client.post(
        "/admin/import",
        data={"csrf": admin, "run": "import"},
        files={"archive": ("", b""), "key_map": ("", b"")},
    )
    assert empty.status_code == 400 and "Choose the archive to import." in empty.text
    assert stored(peek) == (0, 0, 0)


def test_the_choices_typed_are_kept_after_a_refusal(client, admin):
    response = send(client, admin, "import", format="disqus", site_origin="ftp://x", key_map=b"")
    assert response.status_code == 400
    assert '<option value="disqus" selected>' in response.text
    assert 'value="ftp://x"' in response.text


def test_a_key_map_moves_the_archives_threads(client, admin, peek):
    key_map = b"old,new\nstory-deserters,deserters-explained\n"
    assert send(client, admin, "import", key_map=key_map).status_code == 200
    keys = {row[0] for row in peek.rows("SELECT key FROM threads")}
    assert "deserters-explained" in keys and "story-deserters" not in keys


def test_imported_comments_are_read_at_once_not_a_stale_cached_page(client, admin):
    native = posted(client, "Written here, before the archive came.", thread="story-deserters")
    for _ in range(3):  # built once, then answered from the read cache
        assert [c["id"] for c in page(client, "story-deserters")["comments"]] == [
            native["comment"]["id"]
        ]
    client.cookies.delete("rj_voter")  # anonymous readers, whom ready answers serve
    for _ in range(3):
        assert len(page(client, "story-deserters")["comments"]) == 1
    assert send(client, admin, "import").status_code == 200
    bodies = [c["html"] for c in page(client, "story-deserters")["comments"]]
    # The native one, 1000 and the placeholder of the deleted 1003, which has a reply.
    assert len(bodies) == 3
    assert any("First! Thanks for the" in (body or "") for body in bodies)


def test_the_page_and_its_summary_speak_the_admins_language(client, admin):
    say = translations("uk")
    form = client.get("/admin/import", headers=UKRAINIAN)
    assert '<html lang="uk">' in form.text
    assert english_left_over(form.text) == []
    done = client.post(
        "/admin/import",
        data={"csrf": admin, "format": "auto", "run": "preview"},
        files={"archive": ("disqus.xml", DISQUS.read_bytes())},
        headers=UKRAINIAN,
    )
    assert done.status_code == 200
    assert english_left_over(done.text) == []
    assert say.gettext("dry run: nothing was written") in done.text
    refused = send(client, admin, "import", format="livefyre", headers=UKRAINIAN)
    assert refused.status_code == 400
    assert say.gettext("There is no format “{value}”.").format(value="livefyre") in (
        html.unescape(refused.text)
    )


@pytest.mark.parametrize(
    "body",
    [
        b'--xyz\r\nContent-Disposition: form-data; name="archive"; filename="a.xml"\r\n\r\n<dis',
        b'--xyz\r\nContent-Disposition: form-data; name="format"\r\n\r\n\xff\xfe\r\n--xyz--\r\n',
    ],
    ids=["cut-off", "not-utf8"],
)
def test_a_broken_upload_is_refused_on_the_form_not_with_a_500(client, admin, peek, body):
    response = client.post(
        "/admin/import",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 400, response.text
    assert "The upload did not arrive whole." in response.text
    assert stored(peek) == (0, 0, 0)

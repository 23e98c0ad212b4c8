"""Issue 13: what an attacker found to send, and what each now gets: a clear 4xx, nothing
stored, nothing disclosed, on both databases where a database is involved."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import THREAD, add_moderator, assert_error, posted, sign_in

PUBLISHER = "https://news.example"


def forged_cursor(sort: str, created_at: str, comment_id: int, score: float = 0.0) -> str:
    raw = json.dumps([sort, created_at, comment_id, score]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("comment_id", [2**63, 2**63 + 1, 2**64, -(2**63) - 1, 10**30])
def test_a_cursor_with_an_id_past_64_bits_is_a_400(client, comment_id):
    parent = posted(client, "A comment with a reply.")
    posted(client, "The reply.", parent_id=parent["comment"]["id"])
    cursor = forged_cursor("newest", "2026-01-01T00:00:00Z", comment_id)
    response = client.get("/api/comments", params={"thread": THREAD, "cursor": cursor})
    assert_error(response, 400, "cursor")
    oldest = forged_cursor("oldest", "2026-01-01T00:00:00Z", comment_id)
    replies = client.get(
        f"/api/comments/{parent['comment']['id']}/replies", params={"cursor": oldest}
    )
    assert_error(replies, 400, "cursor")


def test_a_cursor_with_a_score_that_is_not_a_number_is_a_400(client):
    cursor = base64.urlsafe_b64encode(b'["best","2026-01-01T00:00:00Z",1,1e999]').decode()
    response = client.get(
        "/api/comments", params={"thread": THREAD, "sort": "best", "cursor": cursor}
    )
    assert_error(response, 400, "cursor")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cursor=st.one_of(
        st.text(max_size=80),
        st.binary(max_size=60).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    )
)
def test_any_cursor_is_a_page_or_a_400(client, cursor):
    response = client.get("/api/comments", params={"thread": THREAD, "cursor": cursor})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["error"]["field"] == "cursor"


ADMIN_PATHS = ["/admin/login", "/admin", "/admin/audit.json", "/admin/search", "/admin/counts"]


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_the_admin_never_answers_another_site_even_a_listed_one(make_client, database_url, path):
    client = make_client(allowed_origins=(PUBLISHER,))
    add_moderator(database_url)
    sign_in(client)
    answer = client.get(path, headers={"Origin": PUBLISHER})
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-credentials" not in answer.headers
    preflight = client.options(
        path, headers={"Origin": PUBLISHER, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_the_readers_api_still_answers_the_publishers_site(make_client):
    client = make_client(allowed_origins=(PUBLISHER,))
    answer = client.get("/api/counts", params={"thread": THREAD}, headers={"Origin": PUBLISHER})
    assert answer.headers["access-control-allow-origin"] == PUBLISHER
    assert answer.headers["access-control-allow-credentials"] == "true"
    preflight = client.options(
        "/api/comments",
        headers={
            "Origin": PUBLISHER,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-rejoinder-reader",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == PUBLISHER


@pytest.mark.parametrize("path", ["/api/comments", "/api/counts", "/api/articles"])
@pytest.mark.parametrize("origin", [None, PUBLISHER, "https://elsewhere.example"])
def test_every_api_answer_varies_on_origin(make_client, path, origin):
    """A CDN must not hand the widget a copy made for a request without its Origin."""
    client = make_client(allowed_origins=(PUBLISHER,))
    posted(client, "So the thread exists.")
    headers = {"Origin": origin} if origin else {}
    for _ in range(2):  # the first answer, then the one served from memory
        answer = client.get(path, params={"thread": THREAD}, headers=headers)
        assert answer.status_code == 200
        varies = ",".join(answer.headers.get_list("vary")).lower()
        assert "origin" in varies, answer.headers


NUL_PATHS = [
    "/articles/a%00b",
    "/api/articles/a%00b",
    "/media/articles/a%00b/video",
    "/static/admin.css%00.js",
    "/static/widget/element.js%00",
]


@pytest.mark.parametrize("path", NUL_PATHS)
def test_a_nul_byte_in_a_path_is_a_400(client, path):
    assert_error(client.get(path), 400, None)


def test_a_nul_byte_in_a_query_is_a_400_naming_the_parameter(client):
    assert_error(client.get("/search", params={"q": "war\x00"}), 400, "q")
    assert_error(client.get("/api/counts", params={"thread": "a\x00"}), 400, "thread")


def test_a_nul_byte_in_the_sign_in_form_is_a_400_and_signs_nobody_in(client, database_url):
    add_moderator(database_url)
    login = client.get("/admin/login")
    token = login.text.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post(
        "/admin/login",
        data={"username": "ana\x00", "password": "x", "csrf": token},
        follow_redirects=False,
    )
    assert_error(answer, 400, None)
    assert client.get("/admin", follow_redirects=False).status_code in (302, 303)


def test_nul_bytes_in_moderators_forms_and_searches_change_nothing(client, database_url, peek):
    comment_id = posted(client, "Something to moderate.")["comment"]["id"]
    add_moderator(database_url)
    csrf = sign_in(client)
    before = peek.counts()
    assert_error(client.get("/admin/search", params={"q": "x\x00"}), 400, "q")
    ban = client.post(
        f"/admin/comments/{comment_id}",
        data={"csrf": csrf, "action": "ban", "days": "1", "reason": "spam\x00"},
        follow_redirects=False,
    )
    assert ban.status_code == 400  # a page for the moderator's browser, saying why
    settings = client.post(
        "/admin/settings",
        data={"csrf": csrf, "thread": THREAD, "mode": "inherit", "message": "hi\x00"},
        follow_redirects=False,
    )
    assert settings.status_code == 400
    assert peek.counts() == before


def test_a_nul_byte_in_a_json_body_is_a_400_naming_the_field(client, peek):
    comment_id = posted(client, "Worth a report.")["comment"]["id"]
    before = peek.counts()
    report = client.post(f"/api/comments/{comment_id}/reports", json={"reason": "spam\x00"})
    assert_error(report, 400, "reason")
    assert peek.counts() == before


@pytest.mark.parametrize(
    "path", ["/static/widget/", "/static/", "/static/nope.js", "/static/widget/nope/", "/nope"]
)
def test_a_404_names_no_file_and_no_folder(client, path):
    answer = client.get(path)
    error = assert_error(answer, 404, None)
    assert error == {
        "code": "not_found",
        "message": "There is nothing at this address.",
        "field": None,
    }
    assert "rejoinder" not in answer.text and "site-packages" not in answer.text


HOSTILE_MEDIA = [
    "https://x.example;frame-ancestors *;script-src *",
    "https://x.example;frame-ancestors",
    "https://x.example/clip.webm 'unsafe-inline'",
    "https://x.example/clip\x0b.webm",
    "https://user:pass@x.example/clip.webm",
    'https://x.example"/clip.webm',
    "javascript:alert(1)",
    "https:///clip.webm",
    "https://x.example:99999/clip.webm",
]


@pytest.mark.parametrize("video", HOSTILE_MEDIA)
def test_a_media_address_that_could_bend_the_page_policy_is_refused(make_client, peek, video):
    from tests.api.test_articles_api import AUTH, TOKEN, story

    newsroom = make_client(admin_token=TOKEN)
    before = peek.counts()
    answer = newsroom.post("/api/articles", json=story(video=video), headers=AUTH)
    assert_error(answer, 400, "video")
    assert peek.counts() == before


def test_the_page_policy_holds_only_the_media_origin(make_client):
    from tests.api.test_articles_api import AUTH, TOKEN, story

    newsroom = make_client(admin_token=TOKEN)
    video = "https://media.example:8443/clips/a;b.webm?x=1"
    created = newsroom.post("/api/articles", json=story(video=video), headers=AUTH)
    assert created.status_code == 201, created.text
    policy = newsroom.get(f"/articles/{created.json()['slug']}").headers["content-security-policy"]
    assert "media-src 'self' https://media.example:8443;" in policy
    assert policy.count("frame-ancestors") == 1


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://cdn.example/v.webm", "https://cdn.example"),
        ("http://10.0.0.5:8080/v.webm", "http://10.0.0.5:8080"),
        ("https://[2001:db8::1]/v.webm", "https://[2001:db8::1]"),
        ("https://x.example;frame-ancestors *", None),
        ("https://x.example;frame-ancestors", None),
        ("clip.webm", None),
    ],
)
def test_a_policy_origin_is_rebuilt_from_the_parsed_address(url, origin):
    from rejoinder.domain.web_addresses import media_origin

    assert media_origin(url) == origin


def test_wrong_passwords_from_other_addresses_do_not_lock_a_moderator_out(
    make_client, database_url
):
    from tests.support import MODERATOR_PASSWORD, form_token, from_address

    client = make_client(rate_logins=(3, 900))
    add_moderator(database_url)

    def attempt(address: str, password: str):
        login = client.get("/admin/login", headers=from_address(address))
        return client.post(
            "/admin/login",
            data={"username": "ana", "password": password, "csrf": form_token(login.text)},
            headers=from_address(address),
            follow_redirects=False,
        )

    guesses = [attempt(f"198.51.100.{n}", "guess") for n in range(1, 9)]
    assert {g.status_code for g in guesses} == {401}
    assert attempt("203.0.113.7", MODERATOR_PASSWORD).status_code == 303


def test_one_address_still_gets_only_a_few_guesses(make_client, database_url):
    from tests.support import form_token, from_address

    client = make_client(rate_logins=(3, 900))
    add_moderator(database_url)
    statuses = []
    for username in ("ana", "ana", "bob", "carol"):
        login = client.get("/admin/login", headers=from_address("198.51.100.1"))
        statuses.append(
            client.post(
                "/admin/login",
                data={"username": username, "password": "guess", "csrf": form_token(login.text)},
                headers=from_address("198.51.100.1"),
                follow_redirects=False,
            ).status_code
        )
    assert statuses == [401, 401, 401, 429]


def test_a_guest_name_does_not_tell_which_sign_in_names_exist(client, database_url):
    import asyncio
    from datetime import UTC, datetime

    from rejoinder.domain.identity import Role
    from rejoinder.domain.passwords import hash_password
    from rejoinder.store.database import Database
    from rejoinder.store.users import add_user

    async def add() -> None:
        database = Database(database_url)
        try:
            async with database.write() as connection:
                await add_user(
                    connection,
                    username="dk4471",
                    display_name="Desk Editor",
                    roles=frozenset({Role.MODERATOR, Role.STAFF}),
                    password_hash=hash_password("a long enough password"),
                    now=datetime.now(UTC),
                )
        finally:
            await database.dispose()

    asyncio.run(add())
    assert posted(client, author_name="dk4471")["status"] == "visible"
    error = assert_error(
        client.post(
            "/api/comments", json={"thread": THREAD, "author_name": "Desk Editor", "body": "x"}
        ),
        400,
        "author_name",
    )
    assert error["code"] == "name_reserved"


def test_a_host_header_does_not_choose_the_canonical_link_once_the_public_url_is_set(
    make_client,
):
    from tests.api.test_articles_api import AUTH, TOKEN, story

    client = make_client(public_url="https://comments.news.example", admin_token=TOKEN)
    created = client.post("/api/articles", json=story(), headers=AUTH)
    assert created.status_code == 201, created.text
    slug = created.json()["slug"]
    for path in (f"/articles/{slug}", "/"):
        answer = client.get(path, headers={"Host": "evil.example"})
        assert "evil.example" not in answer.text
        assert "https://comments.news.example" in answer.text


def test_the_public_url_must_be_an_origin():
    from rejoinder.config import ConfigError, Settings

    with pytest.raises(ConfigError):
        Settings.load({"REJOINDER_PUBLIC_URL": "https://x.example/path"})
    settings = Settings.load({"REJOINDER_PUBLIC_URL": "https://Comments.News.example/"})
    assert settings.public_url == "https://comments.news.example"

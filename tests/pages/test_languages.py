"""The site's pages speak the site's language and the moderation pages their moderator's:
the page says so (`<html lang>`, `Content-Language`), every word comes from its catalogue,
dates are written as that language writes them, and no English is left over."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.dates import format_date

from rejoinder.catalogues import translations
from rejoinder.config import ConfigError, Settings
from tests.pages.test_admin import ABUSE
from tests.pages.test_admin_wording import text_of
from tests.pages.test_site import store_article
from tests.support import add_moderator, moderate, posted, sign_in

UKRAINIAN = {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"}
say = translations("uk")


def english_left_over(html: str) -> list[str]:
    """The catalogue's English phrases (two words or more, without placeholders) that show
    on a page meant to be Ukrainian."""
    words = text_of(html.split("<body", 1)[1])
    leftovers = []
    for message in say._catalog:  # type: ignore[attr-defined]
        english = message[0] if isinstance(message, tuple) else message
        plain = " " in english and not re.search(r"[%{<\x04]", english)
        if plain and say.gettext(english) != english and english in words:
            leftovers.append(english)
    return leftovers


@pytest.fixture
def ukrainian_site(make_client, database_url, tmp_path):
    store_article(database_url, tmp_path)
    return make_client(language="uk")


def test_the_site_language_is_a_setting_with_the_shipped_languages_only():
    assert Settings.load({"REJOINDER_LANGUAGE": "PL"}).language == "pl"
    with pytest.raises(ConfigError, match="must be one of en, uk, de, fr, es, pl"):
        Settings.load({"REJOINDER_LANGUAGE": "xx"})


def test_an_article_page_speaks_the_sites_language(ukrainian_site, clock):
    response = ukrainian_site.get("/articles/deserters")
    html = response.text
    assert '<html lang="uk">' in html
    assert response.headers["content-language"] == "uk"
    assert "vary" not in response.headers  # one page for every reader: the site's language
    assert say.gettext("Transcript") in html
    assert say.gettext("Skip to content") in html
    assert format_date(datetime(2023, 12, 8, tzinfo=UTC), "long", locale="uk") in html
    assert english_left_over(html) == []


def test_search_and_the_front_page_speak_it_too(ukrainian_site):
    for address in ("/", "/search", "/search?q=deserters", "/search?q=zzzz", "/articles/nowhere"):
        html = ukrainian_site.get(address).text
        assert '<html lang="uk">' in html, address
        assert english_left_over(html) == [], address


def test_a_moderators_pages_speak_the_language_their_browser_asks_for(client, database_url, clock):
    add_moderator(database_url)
    moderator = sign_in(client)
    queued = posted(client, ABUSE, nudge_acknowledged=True)["comment"]["id"]
    moderate(client, moderator, queued, "approve")
    pages = ("/admin?queue=recent", "/admin/audit", "/admin/settings", "/admin/bans")
    for address in (*pages, "/admin/reports", "/admin/reports?period=fortnight"):
        response = client.get(address, headers=UKRAINIAN)
        assert '<html lang="uk">' in response.text, address
        assert response.headers["content-language"] == "uk"
        assert "accept-language" in response.headers["vary"].lower()
        assert english_left_over(response.text) == [], address
    audit = client.get("/admin/audit", headers=UKRAINIAN).text
    assert say.gettext("Approved") in audit  # a domain phrase, worded on the page
    assert f"{say.gettext('status')}: {say.gettext('pending')}" in text_of(audit)


def test_a_moderator_whose_browser_asks_for_no_shipped_language_reads_the_sites(
    make_client, database_url
):
    client = make_client(language="de")
    add_moderator(database_url)
    sign_in(client)
    html = client.get("/admin", headers={"Accept-Language": "ja,pt;q=0.8"}).text
    assert '<html lang="de">' in html
    assert translations("de").gettext("Queues") in html


def test_a_refusal_on_a_moderation_page_is_in_the_moderators_language(client, database_url):
    add_moderator(database_url)
    moderator = sign_in(client)
    response = client.post(
        "/admin/settings",
        data={"csrf": moderator, "mode": "post", "auto_close_days": "0"},
        headers=UKRAINIAN,
    )
    english = "Auto-close after 1 to {most} days, or leave it empty."
    assert say.gettext(english).split("{")[0] in response.text
    assert english.split("{")[0] not in response.text


def test_the_comments_fragment_is_in_the_sites_language_and_tagged_by_it(
    ukrainian_site, make_client
):
    response = ukrainian_site.get("/fragments/comments", params={"thread": "deserters"})
    assert say.gettext("No comments yet.") in response.text
    english = make_client().get("/fragments/comments", params={"thread": "deserters"})
    assert "No comments yet." in english.text
    # A cache that kept the English copy must not hand it out for the Ukrainian one.
    assert english.headers["etag"] != response.headers["etag"]

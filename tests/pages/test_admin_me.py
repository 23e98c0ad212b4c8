"""`/admin/me`, linked from every admin page, speaks each shipped language: a moderator reads
the digest choice in the language their browser asks for, and the choice is stored with it."""

from __future__ import annotations

import pytest

from rejoinder.catalogues import LANGUAGES, translations
from tests.pages.test_languages import UKRAINIAN, english_left_over
from tests.support import add_moderator, sign_in

PHRASES = (
    "My e-mail",
    "A digest of new and reported comments in the queue",
    "Every hour",
    "Every day",
    "Your e-mail address",
    "E-mail me the comments on my stories",
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_speaks_the_moderators_language(client, database_url, language):
    add_moderator(database_url)
    sign_in(client)
    response = client.get("/admin/me", headers={"Accept-Language": f"{language};q=1"})
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.text
    say = translations(language)
    for english in PHRASES:
        assert say.gettext(english) in response.text, english
        if language != "en":
            assert say.gettext(english) != english, english
    assert 'href="/admin/me"' in client.get("/admin").text


def test_no_english_is_left_on_the_ukrainian_page(client, database_url):
    add_moderator(database_url)
    sign_in(client)
    assert english_left_over(client.get("/admin/me", headers=UKRAINIAN).text) == []


def test_the_language_of_the_page_is_stored_with_the_choice(client, database_url, peek):
    add_moderator(database_url)
    csrf = sign_in(client)
    saved = client.post(
        "/admin/me",
        data={"csrf": csrf, "queue_every": "day", "email": "ana@news.example"},
        headers={"Accept-Language": "pl"},
    )
    assert saved.status_code == 200
    assert peek.rows("SELECT language, queue_every FROM staff_mail") == [("pl", "day")]
    assert peek.scalar("SELECT email FROM users") == "ana@news.example"
    assert translations("pl").gettext("Saved.") in saved.text

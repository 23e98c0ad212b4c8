"""Every page speaks every shipped language in full: the message template is made from the
templates and code as they are, and each language's catalogue translates all of it, in all
of its plural forms, with the same placeholders and markup as the English."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from rejoinder.catalogues import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    TEMPLATE_PATH,
    catalogue_path,
    extract,
    missing,
    negotiate,
    translations,
)

TRANSLATED = [language for language in LANGUAGES if language != DEFAULT_LANGUAGE]
# What a translation must keep of its message: %-placeholders (Jinja's), {}-placeholders
# (the domain's phrases and admin.js) and markup tags with their attributes.
KEPT = re.compile(r"%\(\w+\)[sd]|\{\w+\}|</?[a-z]+(?: [^>]*)?>")


def _keys(catalog):
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def _read(path, language=None):
    with open(path, "rb") as source:
        return read_po(source, locale=language)


def test_the_message_template_is_made_from_the_templates_and_code_as_they_are():
    with TEMPLATE_PATH.open("rb") as source:
        committed = read_po(source)
    assert _keys(committed) == _keys(extract()), (
        "src/rejoinder/locales/messages.pot is out of date: run "
        "`.venv/bin/python scripts/make-catalogues`, then translate what it adds"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalogue_has_every_message_of_the_template(language):
    catalog = _read(catalogue_path(language), language)
    with TEMPLATE_PATH.open("rb") as source:
        template = read_po(source)
    assert _keys(template) - _keys(catalog) == set(), f"run scripts/make-catalogues ({language})"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalogue_translates_every_message_in_all_its_plural_forms(language):
    catalog = _read(catalogue_path(language), language)
    assert missing(catalog) == [], f"{language} lacks these translations"


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translation_keeps_its_messages_placeholders_and_markup(language):
    wrong = []
    for message in _read(catalogue_path(language), language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(KEPT.findall(ids[-1])))
        for string in strings:
            found = sorted(set(KEPT.findall(string)))
            # One plural form may say "one" instead of its number (uk, pl: 21 is singular).
            if string and found != wanted and found != [k for k in wanted if k != "%(num)d"]:
                wrong.append((ids[0], string))
    assert wrong == []


def test_a_catalogue_that_lacks_a_message_fails(tmp_path):
    """The check above is not vacuous: a catalogue with one message left empty is caught."""
    catalog = _read(catalogue_path("uk"), "uk")
    first = next(m for m in catalog if m.id)
    first.string = "" if isinstance(first.string, str) else ("",) * len(first.string)
    assert missing(catalog) == [first.id if isinstance(first.id, str) else first.id[0]]


def test_a_language_is_loaded_from_its_catalogue():
    assert translations("uk").gettext("Search") != "Search"
    assert translations("en").gettext("Search") == "Search"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("uk-UA,uk;q=0.9,en;q=0.8", "uk"),
        ("de-CH", "de"),
        ("pt-BR,pt;q=0.9,fr;q=0.5", "fr"),
        ("en;q=0.1, pl", "pl"),
        ("uk;q=0, es;q=0.2", "es"),
        ("ja", "en"),
        ("", "en"),
        (None, "en"),
        ("de;q=banana, fr", "fr"),
        (";;;,,,q=", "en"),
    ],
)
def test_a_moderators_browser_chooses_among_the_shipped_languages(header, language):
    assert negotiate(header, "en") == language

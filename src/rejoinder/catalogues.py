"""The languages Rejoinder's pages speak, their message catalogues, and which one a reader's
browser asks for.

The catalogues are gettext ``.po`` files under ``locales/<language>/LC_MESSAGES/``, made from
``locales/messages.pot`` (``make catalogues`` extracts it from the templates and the code).
They are read with Babel when a language is first needed: no compiled ``.mo`` is kept beside
them to fall out of date. English is the message ids themselves, so it needs no catalogue.

The widget has catalogues of its own (``static/widget/lang/``), as small ES modules a reader's
browser downloads one at a time; the languages are the same six.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("en", "uk", "de", "fr", "es", "pl")
DEFAULT_LANGUAGE = "en"
# Babel's locale for each language's dates: British English writes "3 December 2026".
DATE_LOCALES = {"en": "en_GB", "uk": "uk", "de": "de", "fr": "fr", "es": "es", "pl": "pl"}

LOCALES = files("rejoinder").joinpath("locales")


def catalogue_path(language: str) -> str:
    return str(LOCALES.joinpath(language, "LC_MESSAGES", "messages.po"))


@cache
def translations(language: str) -> gettext.NullTranslations:
    """``language``'s messages, for Jinja's i18n extension and for ``Phrase.render``."""
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    with open(catalogue_path(language), "rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def parse_language(value: str) -> str:
    """A setting's value: one of the shipped languages."""
    language = value.strip().lower()
    if language not in LANGUAGES:
        raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
    return language


def negotiate(accept_language: str | None, fallback: str) -> str:
    """The shipped language an ``Accept-Language`` header prefers most, else ``fallback``.

    ``uk-UA,uk;q=0.9,en;q=0.8`` is Ukrainian; a language is matched by its primary subtag, and
    one with ``q=0`` is refused. Malformed parts are skipped, never an error.
    """
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            wanted.append((-quality, index, primary))
    return min(wanted)[2] if wanted else fallback


# Making the catalogues (``scripts/make-catalogues``; tests/test_catalogues.py checks them).

# The calls whose strings are messages: gettext's own, and the domain's phrases.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "phrase": None,
    "counted": (1, 2),
    "phrase_in": ((1, "c"), 2),
}
METHODS = [("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2"), ("**.py", "python")]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "false"}
PACKAGE = files("rejoinder")
COPYRIGHT = "the Rejoinder authors"
TEMPLATE_PATH = LOCALES.joinpath("messages.pot")


def extract() -> Catalog:
    """Every message the package's templates and code mark, with the files that use it."""
    template = Catalog(project="Rejoinder", copyright_holder=COPYRIGHT, fuzzy=False)
    root = str(PACKAGE)
    found = extract_from_dir(
        root,
        method_map=METHODS,
        options_map={"templates/**.html": JINJA_OPTIONS},
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        template.add(
            message, locations=[(filename, lineno)], auto_comments=comments, context=context
        )
    return template


def updated(language: str, template: Catalog) -> Catalog:
    """``language``'s catalogue brought up to ``template``: new messages are added empty,
    messages no longer used are dropped, translations of the others are kept."""
    with open(catalogue_path(language), "rb") as source:
        catalog = read_po(source, locale=language)
    catalog.update(template, update_header_comment=False)
    return catalog


def new_catalogue(language: str, template: Catalog) -> Catalog:
    catalog = Catalog(locale=language, project="Rejoinder", copyright_holder=COPYRIGHT, fuzzy=False)
    catalog.update(template)
    return catalog


def missing(catalog: Catalog) -> list[str]:
    """The messages ``catalog`` has no whole translation of: empty, fuzzy, or lacking one of
    its language's plural forms."""
    gaps = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = catalog.num_plurals if message.pluralizable else 1
        if message.fuzzy or len(forms) != wanted or not all(forms):
            gaps.append(str(message.id))
    return gaps

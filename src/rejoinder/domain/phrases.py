"""Words for a person to read, kept in English until the page that shows them knows its
language.

The domain words a page shows (a status, a moderation mode, what an audit entry changed) are
made where their meaning is known, long before a page picks the moderator's language. A
``Phrase`` is that text as English (it *is* a ``str``, so logs, exports and tests read it as
ever) together with its message id and values, from which ``render`` words it in any
catalogue. The pages' templates render every ``Phrase`` they print in the page's language
(``web/pages/render.py``), and ``scripts/make-catalogues`` finds the ids: the first argument
of ``phrase(...)``, the first two of ``counted(...)``, the context and text of
``phrase_in(...)`` (for a word that one language says two ways: a queue's "Approved" is not
the audit log's).

Values are named ``{name}`` placeholders (``str.format``); a value that is itself a phrase
is worded in the same language. A phrase without values is not formatted, so its braces are
its own.
"""

from __future__ import annotations

import gettext
from typing import Any, Protocol


class Catalogue(Protocol):
    """What ``render`` needs of a language's messages (``gettext.NullTranslations`` is one)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...

    def pgettext(self, context: str, message: str, /) -> str: ...


ENGLISH: Catalogue = gettext.NullTranslations()


class Phrase(str):
    """A message id and its values, whose ``str`` is the English wording."""

    text: str
    other: str | None
    n: int | None
    context: str | None
    values: dict[str, Any]

    def __new__(
        cls,
        text: str,
        other: str | None = None,
        n: int | None = None,
        context: str | None = None,
        /,
        **values: Any,
    ) -> Phrase:
        self = super().__new__(cls, _word(text, other, n, context, values, ENGLISH))
        self.text, self.other, self.n, self.context = text, other, n, context
        self.values = values
        return self

    def render(self, catalogue: Catalogue) -> str:
        """This phrase in ``catalogue``'s language (its English where the catalogue lacks it)."""
        return _word(self.text, self.other, self.n, self.context, self.values, catalogue)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.text, self.other, self.n, self.context, self.values))


def _rebuild(
    text: str, other: str | None, n: int | None, context: str | None, values: dict[str, Any]
) -> Phrase:
    return Phrase(text, other, n, context, **values)


def _word(
    text: str,
    other: str | None,
    n: int | None,
    context: str | None,
    values: dict[str, Any],
    catalogue: Catalogue,
) -> str:
    if context is not None:
        template = catalogue.pgettext(context, text)
    elif other is None:
        template = catalogue.gettext(text)
    else:
        template = catalogue.ngettext(text, other, n if n is not None else 0)
    worded = {
        name: value.render(catalogue) if isinstance(value, Phrase) else value
        for name, value in values.items()
    }
    if n is not None:
        worded.setdefault("n", n)
    return template.format(**worded) if worded else template


def phrase(text: str, /, **values: Any) -> Phrase:
    """``phrase("ban #{number}", number=3)``: words to translate, with their values."""
    return Phrase(text, **values)


def counted(one: str, other: str, n: int, /, **values: Any) -> Phrase:
    """``counted("{n} day", "{n} days", 3)``: a count, in the plural form its language wants."""
    return Phrase(one, other, n, None, **values)


def phrase_in(context: str, text: str, /, **values: Any) -> Phrase:
    """``phrase_in("queue", "Approved")``: words a language may say otherwise elsewhere."""
    return Phrase(text, None, None, context, **values)

"""How a count is worded: "1 comment", "2 comments", "0 comments".

Every count a page shows goes through ``ngettext``: templates get it from Jinja's i18n
extension (``web/pages/render.py``), Python code through ``plural``. English is the only
language of the pages for now; a catalogue for another would replace ``ngettext`` here.
"""

from __future__ import annotations


def ngettext(singular: str, plural_form: str, n: int) -> str:
    """English's plural rule (one is singular; zero and the rest are plural), with gettext's
    signature: the pages' templates get it through Jinja's i18n extension, so every count
    on them is worded in this one place."""
    return singular if n == 1 else plural_form


def plural(n: int, one: str, other: str) -> str:
    """``n`` with the form that fits, for text written in Python: ``plural(1, "{n} day",
    "{n} days")`` is "1 day"."""
    return ngettext(one, other, n).format(n=n)

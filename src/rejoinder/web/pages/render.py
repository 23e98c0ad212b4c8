"""Turn a template and its context into an HTML response with the site's security headers.

Every page gets a strict Content-Security-Policy: scripts, styles and connections from this
origin only, no inline code, and media from this origin plus any video host an article names.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any, cast

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Response
from litestar.connection import ASGIConnection
from litestar.status_codes import HTTP_200_OK
from markupsafe import Markup, escape

from rejoinder import __version__
from rejoinder.catalogues import DATE_LOCALES, negotiate, translations
from rejoinder.domain.phrases import Phrase
from rejoinder.domain.wording import action_word, mode_word, queue_word, status_word
from rejoinder.web.context import services

SITE_NAME = "Rejoinder News"


def _highlight(snippet: str) -> Markup:
    """A search snippet, escaped, with the store's match markers turned into ``<mark>``."""
    text = str(escape(snippet))
    return Markup(text.replace("\x02", "<mark>").replace("\x03", "</mark>"))


def _clock(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    return f"{minutes}:{second:02d}"


def _waited(seconds: float | None) -> str:
    """A time in queue as hours and minutes (``1:05``), which every language reads alike."""
    if seconds is None:
        return "–"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours}:{minutes:02d}"


def _stamp(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


@cache
def templates(language: str) -> Environment:
    """The templates, speaking ``language``: one environment a language, made when first used.

    Text in the templates is marked for translation (``{% trans %}``, ``_()``, ``ngettext``;
    counts through ``ngettext``, so each language's plural rule words them), and every
    ``Phrase`` a template prints (a status, a mode, an audit entry's words) is rendered in the
    same catalogue, so no page mixes two languages.
    """
    catalogue = translations(language)

    def finalize(value: object) -> object:
        return value.render(catalogue) if isinstance(value, Phrase) else value

    environment = Environment(
        loader=FileSystemLoader(str(files("rejoinder").joinpath("templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        finalize=finalize,
    )
    # The i18n extension adds this method to the environment at run time.
    cast(Any, environment).install_gettext_translations(catalogue, newstyle=True)
    date_locale = DATE_LOCALES[language]
    environment.filters.update(
        long_date=lambda value: format_date(value, "full", locale=date_locale),
        short_date=lambda value: format_date(value, "long", locale=date_locale),
        day=lambda value: format_date(value, "medium", locale=date_locale),
        clock=_clock,
        highlight=_highlight,
        stamp=_stamp,
        mode_word=lambda value: mode_word(value).render(catalogue),
        status_word=lambda value: status_word(value).render(catalogue),
        queue_word=lambda value: queue_word(value).render(catalogue),
        action_word=lambda value: action_word(value).render(catalogue),
        waited=_waited,
        # A message made in code (an error's), in this language where the catalogue has it.
        message=lambda text: (
            text.render(catalogue) if isinstance(text, Phrase) else catalogue.gettext(str(text))
        ),
    )
    environment.globals.update(site_name=SITE_NAME, version=__version__, language=language)
    return environment


def site_language(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The language of the public pages: the site's, the same for every reader, so that a
    cached page is right for all of them."""
    return services(request).settings.language


def admin_language(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """A moderator's language: the first shipped one their browser asks for, else the site's."""
    return negotiate(request.headers.get("accept-language"), site_language(request))


def content_security_policy(media_origins: tuple[str, ...] = ()) -> str:
    media = " ".join(("'self'", *media_origins))
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {media}".strip(),
            f"media-src {media}",
            "connect-src 'self'",
            "font-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
            "object-src 'none'",
        )
    )


def page_headers(media_origins: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(media_origins),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-cache",
    }


def render_fragment(template: str, context: dict[str, object], *, language: str) -> str:
    """A piece of a page (one queue item), for scripts that insert it into the page."""
    return templates(language).get_template(template).render(**context)


def page(
    template: str,
    context: dict[str, object],
    *,
    language: str,
    status_code: int = HTTP_200_OK,
    media_origins: tuple[str, ...] = (),
    negotiated: bool = False,
) -> Response[str]:
    """``template`` in ``language``; ``negotiated`` when that came from the request's
    ``Accept-Language``, so that caches keep one copy a language."""
    html = templates(language).get_template(template).render(**context)
    headers = page_headers(media_origins)
    headers["Content-Language"] = language
    if negotiated:
        headers["Vary"] = "Accept-Language"
    return Response(html, status_code=status_code, media_type="text/html", headers=headers)

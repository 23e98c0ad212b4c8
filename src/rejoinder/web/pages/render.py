"""Turn a template and its context into an HTML response with the site's security headers.

Every page gets a strict Content-Security-Policy: scripts, styles and connections from this
origin only, no inline code, and media from this origin plus any video host an article names.
"""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Response
from litestar.status_codes import HTTP_200_OK
from markupsafe import Markup, escape

from rejoinder import __version__
from rejoinder.domain.plurals import ngettext
from rejoinder.domain.wording import mode_word

SITE_NAME = "Rejoinder News"

_templates = Environment(
    loader=FileSystemLoader(str(files("rejoinder").joinpath("templates"))),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# Counts are worded by ``ngettext`` ("{% trans count=n %}...{% pluralize %}...{% endtrans %}"
# or ``ngettext("%(num)d comment", "%(num)d comments", n)``): one plural rule for every page.
# The i18n extension adds this method to the environment at run time.
cast(Any, _templates).install_gettext_callables(
    gettext=lambda message: message, ngettext=ngettext, newstyle=True
)


def _long_date(value: datetime) -> str:
    return f"{value:%A}, {value.day} {value:%B %Y}"


def _short_date(value: datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def _highlight(snippet: str) -> Markup:
    """A search snippet, escaped, with the store's match markers turned into ``<mark>``."""
    text = str(escape(snippet))
    return Markup(text.replace("\x02", "<mark>").replace("\x03", "</mark>"))


def _clock(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    return f"{minutes}:{second:02d}"


def _stamp(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


_templates.filters.update(
    long_date=_long_date,
    short_date=_short_date,
    clock=_clock,
    highlight=_highlight,
    stamp=_stamp,
    mode_word=mode_word,
)
_templates.globals.update(site_name=SITE_NAME, version=__version__)


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


def render_fragment(template: str, context: dict[str, object]) -> str:
    """A piece of a page (one queue item), for scripts that insert it into the page."""
    return _templates.get_template(template).render(**context)


def page(
    template: str,
    context: dict[str, object],
    *,
    status_code: int = HTTP_200_OK,
    media_origins: tuple[str, ...] = (),
) -> Response[str]:
    html = _templates.get_template(template).render(**context)
    return Response(
        html,
        status_code=status_code,
        media_type="text/html",
        headers=page_headers(media_origins),
    )

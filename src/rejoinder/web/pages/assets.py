"""The widget's files: ``/embed.js`` and ``/count.js`` at fixed addresses, and the modules
under ``/static``; and the site's icon at ``/favicon.ico``, where browsers look for it unasked.

Publishers embed the widget from other origins, and module scripts loaded across origins
must carry CORS headers, so static files allow any origin. They are public and never read
cookies, so this lets no site read anything it could not fetch itself.
"""

from __future__ import annotations

from importlib.resources import files

from litestar import Response, Router, get
from litestar.static_files import create_static_files_router

STATIC = files("rejoinder").joinpath("static")
# Short: publishers cannot add a version to the one snippet they paste, so fixes must reach
# readers soon after an upgrade.
CACHE_CONTROL = "public, max-age=300"
# The pages link the SVG icon; this is for browsers and tools that ask for the old address.
FAVICON = STATIC.joinpath("favicon.ico").read_bytes()


async def _allow_any_origin(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@get("/embed.js", include_in_schema=False, after_request=_allow_any_origin)
async def embed_script() -> Response[bytes]:
    return Response(STATIC.joinpath("embed.js").read_bytes(), media_type="text/javascript")


@get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response[bytes]:
    return Response(
        FAVICON,
        media_type="image/vnd.microsoft.icon",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@get("/count.js", include_in_schema=False, after_request=_allow_any_origin)
async def count_script() -> Response[bytes]:
    """For article lists: fills ``data-rejoinder-count`` spans (docs/embedding.md)."""
    return Response(STATIC.joinpath("count.js").read_bytes(), media_type="text/javascript")


def static_files() -> Router:
    return create_static_files_router(
        path="/static", directories=[str(STATIC)], after_request=_allow_any_origin
    )

"""Web addresses a publisher gives (an article's video and poster): strictly http(s), and
made only of characters that cannot break out of where they are put.

A media address ends up in the page's Content-Security-Policy as an origin. One that held a
``;`` or a space (``https://x.example;frame-ancestors *``) used to add directives of its
own before the real ones, so the address is checked, and the policy is built from the
parsed origin alone (``media_origin``), never from the text as given.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from rejoinder.domain.errors import invalid

MAX_URL_LENGTH = 2048
# RFC 3986's characters, less the quotes, which no address needs and HTML or a policy might
# trip over: no space, no control, nothing outside ASCII (give it percent-encoded).
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}")


def check_media_url(value: str, field: str) -> str:
    """``value`` if it is an absolute http(s) address of a host, else a 400 naming ``field``."""
    if len(value) > MAX_URL_LENGTH:
        raise invalid("too_long", f"{field} is at most 2,048 characters.", field)
    if media_origin(value) is None or not _URL_CHARACTERS.fullmatch(value):
        raise invalid(
            "invalid_url",
            f"{field} must be an http(s) address of a host, with no spaces, quotes or control "
            "characters (percent-encode anything else).",
            field,
        )
    return value


def media_origin(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) address, rebuilt from its parts; None
    for anything else (our own files, or an address that does not parse cleanly)."""
    if not url or not _URL_CHARACTERS.fullmatch(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return None
    if not _HOST.fullmatch(host) and not _is_bracketed_ip(parts.netloc):
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}" + (f":{port}" if port is not None else "")


def _is_bracketed_ip(netloc: str) -> bool:
    from ipaddress import IPv6Address

    if not netloc.startswith("["):
        return False
    try:
        IPv6Address(netloc[1 : netloc.index("]")])
    except ValueError:
        return False
    return True


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet: a webhook must not reach the
    server's own loopback, the private network behind it, or a cloud's metadata service
    (169.254.169.254, link-local)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast

"""Client addresses as the rules that count them see them."""

from __future__ import annotations

from ipaddress import IPv6Address, IPv6Network, ip_address


def address_group(address: str) -> str:
    """The block one subscriber controls: an IPv6 address's /64, else the address itself.

    An IPv6 subscriber is handed a whole /64 (2^64 addresses), so a rule that counts single
    addresses (rate limits, bans, repeat-visitor hashes) would let any client take a fresh
    address per request. An IPv4-mapped address (``::ffff:1.2.3.4``) is the IPv4 client it
    maps; text that is not an address (``unknown``, a test client's name) is kept as it is.
    """
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if not isinstance(parsed, IPv6Address):
        return address
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(IPv6Network((parsed, 64), strict=False))

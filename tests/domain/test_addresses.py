"""Client addresses grouped the way one subscriber holds them."""

from __future__ import annotations

import pytest

from rejoinder.domain.addresses import address_group
from rejoinder.service.signing import Signer


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:DB8:0001:0002:0000:0000:0000:0001", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::1", "::/64"),
    ],
)
def test_an_ipv6_address_counts_as_its_64(address, group):
    assert address_group(address) == group


def test_addresses_in_different_64s_stay_apart():
    assert address_group("2001:db8:1:2::1") != address_group("2001:db8:1:3::1")


@pytest.mark.parametrize("address", ["203.0.113.5", "127.0.0.1", "10.0.0.1"])
def test_an_ipv4_address_stays_as_it_is(address):
    assert address_group(address) == address


@pytest.mark.parametrize(
    ("address", "ipv4"),
    [("::ffff:203.0.113.5", "203.0.113.5"), ("::ffff:cb00:7105", "203.0.113.5")],
)
def test_an_ipv4_mapped_address_is_the_ipv4_client(address, ipv4):
    assert address_group(address) == ipv4


@pytest.mark.parametrize("text", ["unknown", "testclient", "", "1.2.3", "2001:db8::/64", " ::1"])
def test_text_that_is_not_an_address_is_returned_unchanged(text):
    assert address_group(text) == text


def test_one_subscriber_gets_one_address_hash_for_its_whole_64():
    signer = Signer("test-secret")
    first = signer.address_hash("2001:db8:1:2::1")
    assert signer.address_hash("2001:db8:1:2:ffff:ffff:ffff:ffff") == first
    assert signer.address_hash("2001:db8:1:3::1") != first
    assert signer.address_hash("::ffff:203.0.113.5") == signer.address_hash("203.0.113.5")

"""Local account passwords: argon2id hashes, and refusals that never leak as exceptions."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.passwords import (
    check_new_password,
    hash_password,
    needs_rehash,
    verify_password,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(PASSWORD)


def test_hash_is_argon2id_with_its_own_salt(stored):
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert hash_password(PASSWORD) != stored


def test_right_password_verifies(stored):
    assert verify_password(stored, PASSWORD)


@pytest.mark.parametrize(
    "attempt", ["", "correct horse battery stapl", "Correct horse battery staple", "x" * 5000]
)
def test_wrong_password_is_false_not_an_exception(stored, attempt):
    assert verify_password(stored, attempt) is False


@pytest.mark.parametrize(
    "broken", ["", "plain text", "$argon2id$v=19$m=65536,t=3,p=4$garbage", "$2b$12$" + "a" * 53]
)
def test_unreadable_hash_is_false_not_an_exception(broken):
    assert verify_password(broken, PASSWORD) is False


def test_fresh_hash_needs_no_rehash(stored):
    assert needs_rehash(stored) is False


def test_hash_made_with_weaker_parameters_needs_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    assert verify_password(weak, PASSWORD)
    assert needs_rehash(weak) is True


def test_hash_from_another_scheme_needs_rehash():
    assert needs_rehash("$2b$12$" + "a" * 53) is True


@pytest.mark.parametrize("password", ["a" * 10, "ten chars!", "é" * 10, "p" * 1024])
def test_good_new_passwords_are_accepted(password):
    check_new_password(password)


@pytest.mark.parametrize("password", ["", "short", "nine char", "p" * 1025])
def test_weak_or_absurd_new_passwords_are_refused(password):
    with pytest.raises(RejoinderError) as refused:
        check_new_password(password)
    assert refused.value.problem is Problem.INVALID
    assert refused.value.code == "weak_password"
    assert refused.value.field == "password"

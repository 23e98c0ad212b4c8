"""Publisher single sign-on: only tokens the publisher's key really signed are believed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.sso import SsoConfig, SsoUser, verify_sso_token

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "publisher-shared-secret-0123456789abcdef"
OTHER_SECRET = "someone-elses-secret-0123456789abcdefgh"


def _pem(private_key: Any) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sub": "reader-42",
        "name": "Ada Reader",
        "email": "ada@example.org",
        "iat": int(NOW.timestamp()) - 5,
        "exp": int((NOW + timedelta(minutes=10)).timestamp()),
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def hs256(payload: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token built by hand, as an attacker would, without PyJWT's guard rails."""
    parts = [_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode())]
    return ".".join([*parts, _b64(signature)])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def refused(token: str, config: SsoConfig, now: datetime = NOW) -> str:
    """The refusal's code, after checking it is the 401 shape the API promises."""
    with pytest.raises(RejoinderError) as error:
        verify_sso_token(token, config, now)
    assert error.value.problem is Problem.UNAUTHORISED
    assert error.value.field == "sso_token"
    assert error.value.message
    return error.value.code


SECRET_CONFIG = SsoConfig(secret=SECRET)


# Tokens that are accepted


def test_hs256_token_from_the_publisher_is_accepted():
    user = verify_sso_token(hs256(claims()), SECRET_CONFIG, NOW)
    assert user == SsoUser(
        id="reader-42",
        name="Ada Reader",
        email="ada@example.org",
        roles=("commenter",),
        issuer=None,
    )


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512", "PS256"])
def test_rsa_signed_token_is_accepted(rsa_key, algorithm):
    config = SsoConfig(public_key=_pem(rsa_key))
    token = jwt.encode(claims(), rsa_key, algorithm=algorithm)
    assert verify_sso_token(token, config, NOW).id == "reader-42"


def test_eddsa_signed_token_is_accepted():
    key = ed25519.Ed25519PrivateKey.generate()
    token = jwt.encode(claims(name="Ed Reader"), key, algorithm="EdDSA")
    user = verify_sso_token(token, SsoConfig(public_key=_pem(key)), NOW)
    assert user.name == "Ed Reader"


def test_es256_signed_token_is_accepted():
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), key, algorithm="ES256")
    assert verify_sso_token(token, SsoConfig(public_key=_pem(key)), NOW).id == "reader-42"


def test_audience_and_issuer_are_checked_when_configured():
    config = SsoConfig(secret=SECRET, audience="rejoinder", issuer="https://news.example")
    token = hs256(claims(aud=["rejoinder", "other"], iss="https://news.example"))
    assert verify_sso_token(token, config, NOW).issuer == "https://news.example"


def test_clock_skew_within_the_leeway_is_forgiven():
    token = hs256(claims(exp=int(NOW.timestamp()) - 20, nbf=int(NOW.timestamp()) + 20))
    assert verify_sso_token(token, SsoConfig(secret=SECRET, leeway_seconds=30), NOW)


def test_time_comes_from_the_caller_not_the_wall_clock():
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    token = hs256(claims(iat=None, exp=int((long_ago + timedelta(minutes=5)).timestamp())))
    assert verify_sso_token(token, SECRET_CONFIG, long_ago).id == "reader-42"


# Roles


def test_only_known_roles_are_kept_in_the_order_given():
    token = hs256(claims(roles=["superuser", "staff", "moderator", "staff", "root"]))
    assert verify_sso_token(token, SECRET_CONFIG, NOW).roles == ("staff", "moderator")


def test_staff_role_is_kept():
    token = hs256(claims(roles=["staff"]))
    assert "staff" in verify_sso_token(token, SECRET_CONFIG, NOW).roles


@pytest.mark.parametrize("roles", [None, [], ["root", "Admin"]])
def test_a_reader_with_no_known_role_is_a_commenter(roles):
    token = hs256(claims(roles=roles))
    assert verify_sso_token(token, SECRET_CONFIG, NOW).roles == ("commenter",)


@pytest.mark.parametrize("roles", ["admin", ["admin", 1], {"admin": True}])
def test_roles_in_the_wrong_shape_are_refused(roles):
    assert refused(hs256(claims(roles=roles)), SECRET_CONFIG) == "token_invalid_claim"


# Tokens that are refused


def test_without_a_key_sso_is_not_configured():
    assert not SsoConfig().enabled
    assert refused(hs256(claims()), SsoConfig()) == "sso_not_configured"


def test_expired_token_is_refused():
    token = hs256(claims(exp=int(NOW.timestamp()) - 31))
    assert refused(token, SECRET_CONFIG) == "token_expired"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_token_from_the_future_is_not_yet_valid(claim):
    token = hs256(claims(**{claim: int(NOW.timestamp()) + 31}))
    assert refused(token, SECRET_CONFIG) == "token_not_yet_valid"


@pytest.mark.parametrize("exp", ["tomorrow", True, [1]])
def test_exp_that_is_not_a_timestamp_is_refused(exp):
    assert refused(hs256(claims(exp=exp)), SECRET_CONFIG) == "token_invalid_claim"


def test_token_signed_with_another_secret_is_refused():
    assert refused(hs256(claims(), OTHER_SECRET), SECRET_CONFIG) == "token_bad_signature"


def test_token_signed_with_another_rsa_key_is_refused(rsa_key, other_rsa_key):
    token = jwt.encode(claims(), other_rsa_key, algorithm="RS256")
    assert refused(token, SsoConfig(public_key=_pem(rsa_key))) == "token_bad_signature"


def test_tampered_claims_break_the_signature():
    header, _, signature = hs256(claims()).split(".")
    forged = _b64(json.dumps(claims(roles=["admin"])).encode())
    assert refused(f"{header}.{forged}.{signature}", SECRET_CONFIG) == "token_bad_signature"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_alg_none_token_is_refused(rsa_key, alg):
    token = unsigned({"alg": alg, "typ": "JWT"}, claims(roles=["admin"]))
    assert refused(token, SECRET_CONFIG) == "token_algorithm_refused"
    assert refused(token, SsoConfig(public_key=_pem(rsa_key))) == "token_algorithm_refused"


def test_hs256_signed_with_the_public_key_is_refused(rsa_key):
    """The classic confusion: the public PEM is public, so anyone can HMAC with it."""
    pem = _pem(rsa_key)
    header = {"alg": "HS256", "typ": "JWT"}
    payload = claims(roles=["admin"])
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64(signature)}"

    assert refused(token, SsoConfig(public_key=pem)) == "token_algorithm_refused"
    # With a secret configured too, HS256 is allowed but only ever checked against the secret.
    both = SsoConfig(secret=SECRET, public_key=pem)
    assert refused(token, both) == "token_bad_signature"


def test_rsa_token_is_refused_when_only_a_secret_is_configured(rsa_key):
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert refused(token, SECRET_CONFIG) == "token_algorithm_refused"


def test_algorithm_outside_the_key_family_is_refused(rsa_key):
    token = hs256(claims())
    assert refused(token, SsoConfig(public_key=_pem(rsa_key))) == "token_algorithm_refused"
    other = jwt.encode(claims(), SECRET + "-hs512-needs-a-longer-key-0000000000", "HS512")
    assert refused(other, SECRET_CONFIG) == "token_algorithm_refused"


def test_token_for_another_site_is_refused():
    config = SsoConfig(secret=SECRET, audience="rejoinder")
    assert refused(hs256(claims(aud="other-site")), config) == "token_wrong_audience"


def test_token_without_audience_is_refused_when_one_is_required():
    config = SsoConfig(secret=SECRET, audience="rejoinder")
    assert refused(hs256(claims()), config) == "token_wrong_audience"


def test_token_with_an_audience_is_refused_when_none_is_configured():
    assert refused(hs256(claims(aud="some-site")), SECRET_CONFIG) == "token_wrong_audience"


def test_token_from_another_issuer_is_refused():
    config = SsoConfig(secret=SECRET, issuer="https://news.example")
    assert refused(hs256(claims(iss="https://evil.example")), config) == "token_wrong_issuer"
    assert refused(hs256(claims()), config) == "token_wrong_issuer"


@pytest.mark.parametrize("claim", ["sub", "exp", "name"])
def test_token_missing_a_required_claim_is_refused(claim):
    assert refused(hs256(claims(**{claim: None})), SECRET_CONFIG) == "token_missing_claim"


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": "x" * 129},
        {"sub": "line\nbreak"},
        {"sub": "   "},
        {"name": "n" * 65},
        {"name": "Admin\u202e"},
        {"name": ""},
        {"name": 7},
        {"email": "not an address"},
        {"email": ["ada@example.org"]},
    ],
)
def test_claims_that_break_the_rules_are_refused_not_repaired(overrides):
    assert refused(hs256(claims(**overrides)), SECRET_CONFIG) == "token_invalid_claim"


def test_limits_are_inclusive():
    user = verify_sso_token(hs256(claims(sub="s" * 128, name="n" * 64)), SECRET_CONFIG, NOW)
    assert (len(user.id), len(user.name)) == (128, 64)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b.c",
        "...",
        "eyJ.eyJ.",
        "jwt\u00e9.x.y",
        _b64(b"[1,2]") + "." + _b64(b"{}") + ".",
        _b64(b'{"alg": ["HS256"]}') + "." + _b64(b"{}") + ".",
    ],
)
def test_garbage_is_malformed(token):
    assert refused(token, SECRET_CONFIG) == "token_malformed"


@pytest.mark.parametrize(
    "token",
    ["eyJhbGciOiJIUzI1NiJ9..", _b64(b'{"alg": "HS256"}') + "." + _b64(b"not json") + "."],
)
def test_garbage_behind_a_valid_header_is_refused_before_it_is_read(token):
    assert refused(token, SECRET_CONFIG) == "token_bad_signature"


def test_payload_that_is_not_an_object_is_refused():
    header = _b64(b'{"alg": "HS256", "typ": "JWT"}')
    payload = _b64(b"[1, 2, 3]")
    signature = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    token = f"{header}.{payload}.{_b64(signature.digest())}"
    assert refused(token, SECRET_CONFIG) == "token_malformed"


def test_ten_kilobyte_token_is_refused_before_parsing():
    token = hs256(claims(padding="x" * 10_240))
    assert len(token) > 10_240
    assert refused(token, SECRET_CONFIG) == "token_malformed"


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_any_corruption_is_refused_with_our_error_only(position, replacement):
    token = hs256(claims())
    index = position % len(token)
    corrupted = token[:index] + replacement + token[index + 1 :]
    if corrupted == token:
        return
    try:
        verify_sso_token(corrupted, SECRET_CONFIG, NOW)
    except RejoinderError as error:
        assert error.problem is Problem.UNAUTHORISED
    # A change that leaves the signature valid (base64 padding bits) is fine to accept.


# Configuration


@pytest.mark.parametrize(
    "fields",
    [
        {"secret": "short"},
        {"public_key": "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n"},
        {"secret": "-----BEGIN PUBLIC KEY-----\n" + "A" * 64},
        {"secret": SECRET, "leeway_seconds": -1},
    ],
)
def test_unusable_configuration_is_refused_up_front(fields):
    with pytest.raises(ValueError):
        SsoConfig(**fields)


def test_weak_rsa_key_is_refused_up_front():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="2048"):
        SsoConfig(public_key=_pem(weak))


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        verify_sso_token(hs256(claims()), SECRET_CONFIG, NOW.replace(tzinfo=None))

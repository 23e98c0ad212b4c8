"""Publisher single sign-on: the host site's JWT makes the reader that user, and every kind
of bad token is refused with 401 and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support import assert_error, page, post

SECRET = "a-publisher-secret-of-at-least-32-bytes!"
AUDIENCE = "rejoinder"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def claims(**changes) -> dict:
    now = datetime.now(UTC)
    base = {
        "sub": "subscriber-7",
        "name": "Olena Subscriber",
        "email": "olena@news.example",
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=10)).timestamp()),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def hs_client(make_client):
    return make_client(sso_secret=SECRET, sso_audience=AUDIENCE)


def test_signed_in_reader_posts_under_their_own_name_without_a_guest_badge(hs_client, peek):
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    response = post(hs_client, "Hello from a subscriber", headers=bearer(token), author_name=None)
    assert response.status_code == 201, response.text
    author = response.json()["comment"]["author"]
    assert author == {"name": "Olena Subscriber", "guest": False, "badge": None}
    assert peek.scalar("SELECT sso_subject FROM users") == "subscriber-7"
    assert peek.scalar("SELECT author_email FROM comments") == "olena@news.example"


def test_staff_from_the_publisher_get_the_staff_badge(hs_client):
    token = jwt.encode(claims(roles=["staff"], name="Desk Editor"), SECRET, algorithm="HS256")
    response = post(hs_client, headers=bearer(token))
    assert response.json()["comment"]["author"]["badge"] == "staff"
    shown = page(hs_client)["comments"][0]["author"]
    assert shown == {"name": "Desk Editor", "guest": False, "badge": "staff"}


def test_guests_cannot_take_the_name_of_a_publisher_staff_member(hs_client):
    token = jwt.encode(claims(roles=["staff"], name="Desk Editor"), SECRET, algorithm="HS256")
    post(hs_client, headers=bearer(token))
    error = assert_error(post(hs_client, author_name="desk  EDITOR"), 400, "author_name")
    assert error["code"] == "name_reserved"


def test_rs256_tokens_are_checked_against_the_publishers_public_key(make_client, rsa_key):
    client = make_client(sso_public_key=public_pem(rsa_key), sso_audience=AUDIENCE)
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    response = post(client, headers=bearer(token))
    assert response.status_code == 201, response.text
    assert response.json()["comment"]["author"]["guest"] is False


def test_a_signed_in_readers_votes_count_once_per_account(hs_client):
    comment_id = post(hs_client).json()["comment"]["id"]
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    for _ in range(2):
        hs_client.cookies.clear()  # another browser, the same account
        votes = hs_client.post(
            f"/api/comments/{comment_id}/vote", json={"value": 1}, headers=bearer(token)
        ).json()
    assert votes == {"up": 1, "down": 0}


def _unsigned(payload: dict) -> str:
    import base64

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def bad_tokens(rsa_key: rsa.RSAPrivateKey) -> dict[str, str]:
    now = datetime.now(UTC)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "expired": jwt.encode(
            claims(exp=int((now - timedelta(minutes=5)).timestamp())), rsa_key, algorithm="RS256"
        ),
        "not yet valid": jwt.encode(
            claims(nbf=int((now + timedelta(minutes=5)).timestamp())), rsa_key, algorithm="RS256"
        ),
        "wrongly signed": jwt.encode(claims(), other, algorithm="RS256"),
        "alg none": _unsigned(claims()),
        "wrong audience": jwt.encode(claims(aud="someone-else"), rsa_key, algorithm="RS256"),
        "hs256 with the public key": _hs256_with_public_key(rsa_key),
        "garbage": "not-a-token",
    }


def _hs256_with_public_key(rsa_key: rsa.RSAPrivateKey) -> str:
    """The algorithm-confusion attack: HMAC keyed with the publisher's (public) key."""
    import base64
    import hashlib
    import hmac

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims())}"
    mac = hmac.new(public_pem(rsa_key).encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    "kind",
    [
        "expired",
        "not yet valid",
        "wrongly signed",
        "alg none",
        "wrong audience",
        "hs256 with the public key",
        "garbage",
    ],
)
def test_bad_tokens_are_refused_with_401_and_change_nothing(make_client, rsa_key, peek, kind):
    client = make_client(sso_public_key=public_pem(rsa_key), sso_audience=AUDIENCE)
    token = bad_tokens(rsa_key)[kind]
    before = peek.counts()
    response = post(client, headers=bearer(token))
    error = assert_error(response, 401, "sso_token")
    assert error["code"].startswith("token_") or error["code"] == "sso_not_configured"
    vote = client.post("/api/comments/1/vote", json={"value": 1}, headers=bearer(token))
    assert vote.status_code in (401, 404)
    assert peek.counts() == before


def test_a_token_sent_where_sign_on_is_not_set_up_is_refused(client, peek):
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    before = peek.counts()
    assert assert_error(post(client, headers=bearer(token)), 401, "sso_token")["code"] == (
        "sso_not_configured"
    )
    assert peek.counts() == before


def test_a_signed_in_reader_edits_and_deletes_their_comment_from_any_device(hs_client, peek):
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    created = post(hs_client, "Written on my phone.", headers=bearer(token), author_name=None)
    url = f"/api/comments/{created.json()['comment']['id']}"
    hs_client.cookies.clear()  # the laptop: no edit token, no cookie, only the sign-on
    edited = hs_client.patch(url, json={"body": "Fixed on my laptop."}, headers=bearer(token))
    assert edited.status_code == 200, edited.text
    other = jwt.encode(claims(sub="subscriber-8", name="Someone Else"), SECRET, algorithm="HS256")
    refused = hs_client.patch(url, json={"body": "Not yours."}, headers=bearer(other))
    assert_error(refused, 403, "X-Edit-Token")
    assert hs_client.delete(url, headers=bearer(token)).status_code == 204
    assert peek.scalar("SELECT status FROM comments") == "deleted"

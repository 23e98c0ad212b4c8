"""Publisher single sign-on: the host site vouches for its reader with a signed JWT.

The widget passes the token along untouched; only the signature, checked here against a key the
publisher configured, makes its claims believable. Everything a token may choose is pinned
down before PyJWT sees it: the algorithm comes from an allowlist derived from the configured
key (so ``alg: none`` and HMAC-signed-with-the-public-key tokens are refused by name), and time
is checked against the ``now`` the caller passes, so tests and replays are deterministic.
"""

from __future__ import annotations

import functools
import unicodedata
from datetime import datetime
from typing import Any

import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt import exceptions as jwt_errors

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.names import clean_author_name
from rejoinder.domain.text import has_control

FIELD = "sso_token"
# Real tokens are a few hundred bytes; a cap stops a crafted one from costing parse time.
MAX_TOKEN_LENGTH = 8192
MAX_ID_LENGTH = 128
MAX_EMAIL_LENGTH = 254
KNOWN_ROLES = ("admin", "moderator", "staff", "commenter")
DEFAULT_ROLES = ("commenter",)
# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
MIN_SECRET_BYTES = 32
MIN_RSA_BITS = 2048

HMAC_ALGORITHMS = ("HS256",)
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256")
EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
EDDSA_ALGORITHMS = ("EdDSA",)

PublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)


class SsoConfig(msgspec.Struct, frozen=True):
    """Which key vouches for tokens, and what they must say about audience and issuer.

    Either key may be set, or both: the token's algorithm then picks the key, and the secret is
    only ever used for HS256, the public key only for its own family.
    """

    secret: str | None = None
    public_key: str | None = None
    audience: str | None = None
    issuer: str | None = None
    leeway_seconds: int = 30

    def __post_init__(self) -> None:
        # Refuse a weak or unreadable key when the configuration is built, not at a reader's
        # first sign-in.
        if self.leeway_seconds < 0:
            raise ValueError("SSO leeway_seconds must not be negative")
        if self.secret:
            if "-----BEGIN" in self.secret:
                raise ValueError("the SSO secret looks like a PEM key; set it as public_key")
            if len(self.secret.encode()) < MIN_SECRET_BYTES:
                raise ValueError(f"the SSO secret must be at least {MIN_SECRET_BYTES} bytes long")
        if self.public_key:
            _algorithms_for_key(_load_public_key(self.public_key))

    @property
    def enabled(self) -> bool:
        return bool(self.secret or self.public_key)


class SsoUser(msgspec.Struct, frozen=True):
    """The reader the publisher vouched for, with only the roles Rejoinder knows about."""

    id: str
    name: str
    email: str | None = None
    roles: tuple[str, ...] = DEFAULT_ROLES
    issuer: str | None = None


def verify_sso_token(token: str, config: SsoConfig, now: datetime) -> SsoUser:
    """The user a publisher's token vouches for, or a 401 refusal with a code saying why.

    Only ``RejoinderError`` leaves this function: every PyJWT failure is mapped to a code.
    """
    if not config.enabled:
        raise _refuse("sso_not_configured", "Single sign-on is not set up on this site.")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(token, str) or not token or not token.isascii():
        raise _refuse("token_malformed", "The sign-in token is not a JWT.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise _refuse(
            "token_malformed",
            f"The sign-in token is too long ({len(token)} characters; at most {MAX_TOKEN_LENGTH}).",
        )
    algorithm, key = _choose_key(token, config)
    claims = _decode(token, algorithm, key, config)
    _check_times(claims, now.timestamp(), config.leeway_seconds)
    return _user_from(claims)


def _choose_key(token: str, config: SsoConfig) -> tuple[str, Any]:
    """The algorithm the token names, if the configured keys allow it, and the key for it."""
    try:
        header = jwt.get_unverified_header(token)
    except (jwt_errors.PyJWTError, ValueError, TypeError):
        raise _refuse("token_malformed", "The sign-in token is not a JWT.") from None
    algorithm = header.get("alg")
    if not isinstance(algorithm, str):
        raise _refuse("token_malformed", "The sign-in token does not name its algorithm.")
    if config.secret and algorithm in HMAC_ALGORITHMS:
        return algorithm, config.secret
    if config.public_key:
        try:
            public_key = _load_public_key(config.public_key)
            allowed = _algorithms_for_key(public_key)
        except ValueError:
            raise _refuse(
                "sso_not_configured", "The site's single sign-on key cannot be read."
            ) from None
        if algorithm in allowed:
            return algorithm, public_key
    raise _refuse(
        "token_algorithm_refused",
        f"Sign-in tokens signed with {algorithm[:20]!r} are not accepted here.",
    )


def _decode(token: str, algorithm: str, key: Any, config: SsoConfig) -> dict[str, Any]:
    """Signature, audience, issuer and required claims, checked by PyJWT; time is ours."""
    required = ["exp", "sub"]
    if config.audience is not None:
        required.append("aud")
    if config.issuer is not None:
        required.append("iss")
    options: Any = {
        "verify_signature": True,
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": True,
        "verify_iss": True,
        "verify_sub": True,
        "verify_jti": True,
        "require": required,
        "enforce_minimum_key_length": True,
    }
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=config.audience,
            issuer=config.issuer,
            options=options,
        )
    except jwt_errors.PyJWTError as error:
        raise _translate(error) from None
    except (ValueError, TypeError):
        # A header or payload shaped in a way PyJWT did not anticipate.
        raise _refuse("token_malformed", "The sign-in token could not be read.") from None
    if not isinstance(claims, dict):
        raise _refuse("token_malformed", "The sign-in token's claims are not an object.")
    return claims


def _translate(error: jwt_errors.PyJWTError) -> RejoinderError:
    """One stable code per PyJWT failure, most specific exception first."""
    if isinstance(error, jwt_errors.MissingRequiredClaimError):
        if error.claim == "aud":
            return _refuse(
                "token_wrong_audience", "The sign-in token does not say which site it is for."
            )
        if error.claim == "iss":
            return _refuse("token_wrong_issuer", "The sign-in token does not say who issued it.")
        return _refuse(
            "token_missing_claim", f"The sign-in token has no {error.claim[:20]!r} claim."
        )
    if isinstance(error, jwt_errors.InvalidSignatureError):
        return _refuse("token_bad_signature", "The sign-in token's signature does not match.")
    if isinstance(error, jwt_errors.InvalidAudienceError):
        return _refuse("token_wrong_audience", "The sign-in token was issued for another site.")
    if isinstance(error, jwt_errors.InvalidIssuerError):
        return _refuse("token_wrong_issuer", "The sign-in token comes from an unexpected issuer.")
    if isinstance(error, jwt_errors.InvalidAlgorithmError | jwt_errors.InvalidKeyError):
        return _refuse(
            "token_algorithm_refused", "The sign-in token's algorithm is not accepted here."
        )
    if isinstance(error, jwt_errors.InvalidSubjectError | jwt_errors.InvalidJTIError):
        return _refuse("token_invalid_claim", "The sign-in token's sub or jti is not a string.")
    return _refuse("token_malformed", "The sign-in token could not be read.")


def _check_times(claims: dict[str, Any], now: float, leeway: int) -> None:
    """exp always; nbf and iat when present; all with the configured leeway for clock skew."""
    expires = _timestamp(claims, "exp")
    if expires is not None and now > expires + leeway:
        raise _refuse("token_expired", "The sign-in token has expired; please sign in again.")
    for claim in ("nbf", "iat"):
        starts = _timestamp(claims, claim)
        if starts is not None and starts > now + leeway:
            raise _refuse(
                "token_not_yet_valid",
                "The sign-in token is not valid yet; check the publisher's server clock.",
            )


def _timestamp(claims: dict[str, Any], claim: str) -> float | None:
    value = claims.get(claim)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise _refuse(
            "token_invalid_claim", f"The sign-in token's {claim!r} claim is not a timestamp."
        )
    return float(value)


def _user_from(claims: dict[str, Any]) -> SsoUser:
    subject = claims["sub"]
    if (
        not isinstance(subject, str)
        or not subject.strip()
        or len(subject) > MAX_ID_LENGTH
        or has_control(subject)
    ):
        raise _refuse(
            "token_invalid_claim",
            f"The sign-in token's 'sub' must be one line of 1 to {MAX_ID_LENGTH} characters.",
        )
    issuer = claims.get("iss")
    return SsoUser(
        id=subject,
        name=_name(claims),
        email=_email(claims),
        roles=_roles(claims),
        issuer=issuer if isinstance(issuer, str) else None,
    )


def _name(claims: dict[str, Any]) -> str:
    """The same rules a guest's name meets, so a token cannot smuggle in what a form cannot."""
    name = claims.get("name")
    if name is None:
        raise _refuse("token_missing_claim", "The sign-in token has no 'name' claim.")
    if not isinstance(name, str):
        raise _refuse("token_invalid_claim", "The sign-in token's 'name' is not a string.")
    try:
        return clean_author_name(name, FIELD)
    except RejoinderError as refused:
        raise _refuse(
            "token_invalid_claim", f"The sign-in token's name: {refused.message}"
        ) from None


def _email(claims: dict[str, Any]) -> str | None:
    email = claims.get("email")
    if email is None:
        return None
    if (
        not isinstance(email, str)
        or "@" not in email
        or len(email) > MAX_EMAIL_LENGTH
        or any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in email)
    ):
        raise _refuse("token_invalid_claim", "The sign-in token's 'email' is not an address.")
    return email


def _roles(claims: dict[str, Any]) -> tuple[str, ...]:
    """Known roles in the order given; unknown ones are dropped, a wrong shape is refused."""
    raw = claims.get("roles")
    if raw is None:
        return DEFAULT_ROLES
    if not isinstance(raw, list) or not all(isinstance(role, str) for role in raw):
        raise _refuse("token_invalid_claim", "The sign-in token's 'roles' is not a list of names.")
    roles = tuple(dict.fromkeys(role for role in raw if role in KNOWN_ROLES))
    return roles or DEFAULT_ROLES


@functools.lru_cache(maxsize=8)
def _load_public_key(pem: str) -> PublicKey:
    """Parsed once per PEM: the configuration is fixed for the process's life."""
    key = load_pem_public_key(pem.encode())
    if not isinstance(
        key,
        rsa.RSAPublicKey
        | ec.EllipticCurvePublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey,
    ):
        raise ValueError(f"unsupported SSO public key type: {type(key).__name__}")
    return key


def _algorithms_for_key(key: PublicKey) -> tuple[str, ...]:
    """The algorithms this key type can verify; never an HMAC one."""
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"the SSO RSA key must be at least {MIN_RSA_BITS} bits")
        return RSA_ALGORITHMS
    if isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = EC_ALGORITHMS.get(key.curve.name)
        if algorithm is None:
            raise ValueError(f"unsupported SSO EC curve: {key.curve.name}")
        return (algorithm,)
    return EDDSA_ALGORITHMS


def _refuse(code: str, message: str) -> RejoinderError:
    return RejoinderError(Problem.UNAUTHORISED, code, message, FIELD)

"""Signed identity tokens and password hashes.

Standard library only: the connectors (Python 3.10, Rasa environment) verify
tokens, and the action side (Python 3.11) issues them and hashes passwords.

A token is `base64url(payload) "." base64url(HMAC-SHA256(secret, payload))`
where the payload is compact JSON: `{"sub", "company", "roles", "iat", "exp"?,
"kind"}`. Tokens are verified in constant time and never trusted unsigned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field

_PBKDF2_ROUNDS = 120_000

# a web chat conversation's id, as the page and the channels accept it
CHAT_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class Identity:
    user: str
    company: str
    roles: tuple[str, ...] = field(default_factory=tuple)
    # set for tokens of a signed-in browser session, which sign-out can end
    session: str | None = None

    def as_metadata(self) -> dict[str, object]:
        return {"user": self.user, "company": self.company, "roles": list(self.roles)}


class InvalidToken(Exception):
    pass


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(
    secret: bytes,
    identity: Identity,
    *,
    kind: str = "api",
    ttl_seconds: int | None = None,
    now: float | None = None,
) -> str:
    """A signed token for `identity`; one with a session only lives as long as it."""
    issued = int(time.time() if now is None else now)
    payload: dict[str, object] = {
        "sub": identity.user,
        "company": identity.company,
        "roles": list(identity.roles),
        "kind": kind,
        "iat": issued,
        "nonce": secrets.token_hex(4),
    }
    if ttl_seconds is not None:
        payload["exp"] = issued + ttl_seconds
    if identity.session is not None:
        payload["sid"] = identity.session
    body = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    signature = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64encode(signature)}"


def verify_token(secret: bytes, token: str, *, now: float | None = None) -> Identity:
    """Return the identity in a valid token, or raise InvalidToken."""
    try:
        body, signature = token.strip().split(".")
        expected = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64decode(signature)):
            raise InvalidToken("bad signature")
        payload = json.loads(_b64decode(body))
    except (ValueError, UnicodeError) as error:
        raise InvalidToken("malformed token") from error
    if not isinstance(payload, dict):
        raise InvalidToken("malformed token")
    expires = payload.get("exp")
    if expires is not None and (time.time() if now is None else now) >= float(expires):
        raise InvalidToken("token expired")
    user, company, roles = payload.get("sub"), payload.get("company"), payload.get("roles", [])
    session = payload.get("sid")
    if not isinstance(user, str) or not isinstance(company, str) or not isinstance(roles, list):
        raise InvalidToken("malformed token")
    if session is not None and not isinstance(session, str):
        raise InvalidToken("malformed token")
    return Identity(user, company, tuple(str(r) for r in roles), session)


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    if not authorization_header:
        return None
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _link_key(secret: bytes) -> bytes:
    # a key of its own, so that a link signature can never pass for a token
    return hmac.new(secret, b"knowledge-document-links", hashlib.sha256).digest()


def sign_link(secret: bytes, path: str, company: str, expires: int) -> str:
    """Signature for a knowledge document link: who may open which file, until when."""
    message = f"{path}\n{company}\n{expires}".encode()
    return _b64encode(hmac.new(_link_key(secret), message, hashlib.sha256).digest())


def verify_link(
    secret: bytes,
    path: str,
    company: str,
    expires: int,
    signature: str,
    *,
    now: float | None = None,
) -> bool:
    if (time.time() if now is None else now) >= expires:
        return False
    expected = sign_link(secret, path, company, expires)
    return hmac.compare_digest(expected.encode(), signature.encode())


def _stream_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"answer-token-streams", hashlib.sha256).digest()


def sign_stream_chunk(secret: bytes, body: bytes) -> str:
    """Signature of one batch of generated text the action server relays to a client."""
    return _b64encode(hmac.new(_stream_key(secret), body, hashlib.sha256).digest())


def verify_stream_chunk(secret: bytes, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign_stream_chunk(secret, body).encode(), signature.encode())


def internal_key(secret: bytes) -> str:
    """What the Rasa server shows the action server's internal routes (sign-in, sessions)."""
    return _b64encode(hmac.new(secret, b"internal-api", hashlib.sha256).digest())


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _PBKDF2_ROUNDS)
    return f"pbkdf2_sha256${_PBKDF2_ROUNDS}${_b64encode(salt)}${_b64encode(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algorithm, rounds, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algorithm != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), _b64decode(salt), int(rounds))
    return hmac.compare_digest(candidate, _b64decode(digest))

"""Signed operator tokens: `op1.<operator_id>.<expires_unix>.<hmac>`.

Signed with the same secret as customer tokens (`v1.…`), but under a separate HMAC key
derived for operators and with another prefix, so neither kind can ever pass for the other:
a customer token opens no desk, and an operator token opens no customer session. The token
proves who the operator is; whether they may still work (not disabled) and in which role is
read from the `operators` row on every use, so `callcenter operator disable` takes effect at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from callcenter.web.auth import InvalidToken

PREFIX = "op1"
_DOMAIN = b"callcenter operator token v1"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _DOMAIN, hashlib.sha256).digest()


def _sign(secret: str, payload: str) -> str:
    digest = hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_operator_token(operator_id: int, secret: str, *, ttl_seconds: int, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + ttl_seconds)
    payload = f"{PREFIX}.{operator_id}.{expires}"
    return f"{payload}.{_sign(secret, payload)}"


def verify_operator_token(token: str, secret: str, *, now: float | None = None) -> int:
    """The operator id inside a valid token; InvalidToken (code invalid_token or expired_token) otherwise."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        if parts and parts[0] == "v1":
            raise InvalidToken(
                "That is a customer token; the desk needs an operator token (`callcenter operator token NAME`)."
            )
        raise InvalidToken("Operator token is malformed; get one with `callcenter operator token NAME`.")
    _, oid, expires, sig = parts
    if not hmac.compare_digest(sig, _sign(secret, f"{PREFIX}.{oid}.{expires}")):
        raise InvalidToken("Operator token signature does not match.")
    try:
        operator_id, expires_at = int(oid), int(expires)
    except ValueError as exc:
        raise InvalidToken("Operator token is malformed.") from exc
    if expires_at <= (now if now is not None else time.time()):  # up to, not including, its expiry: --ttl 0 is expired
        raise InvalidToken(
            "Operator token has expired; get a new one with `callcenter operator token NAME`.", code="expired_token"
        )
    return operator_id


def is_customer_token(token: str) -> bool:
    """True for something shaped like a customer token (HTTP answers those 403, not 401)."""
    return token.startswith("v1.") and token.count(".") == 3

"""Signed customer identity tokens: `v1.<customer_id>.<expires_unix>.<hmac>`.

The web widget (or the operator's own login) obtains a token for a verified customer;
the server trusts the customer id inside only after checking the HMAC and expiry, so
no frame a client sends can pick whose data the tools touch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time


class InvalidToken(Exception):
    def __init__(self, message: str, *, code: str = "invalid_token") -> None:
        super().__init__(message)
        self.code = code


def _sign(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(customer_id: int, secret: str, *, ttl_seconds: int, now: float | None = None) -> str:
    """A token valid for exactly `ttl_seconds` (truncated to the second; 0 or less gives an expired token)."""
    expires = int((now if now is not None else time.time()) + ttl_seconds)
    payload = f"v1.{customer_id}.{expires}"
    return f"{payload}.{_sign(secret, payload)}"


_SHAPE = re.compile(r"v1\.[0-9]{1,18}\.[0-9]{1,12}\.[A-Za-z0-9_-]{1,64}")


def verify_token(token: str, secret: str, *, now: float | None = None) -> int:
    """The customer id inside a valid token; InvalidToken (with a code) otherwise.

    The shape is checked before anything else, so hostile tokens (non-ASCII, huge numbers,
    extra dots) are refused as malformed instead of reaching int() or compare_digest.
    A token is valid up to, not including, its expiry second: `--ttl 0` is already expired.
    """
    if not _SHAPE.fullmatch(token):
        raise InvalidToken("Token is malformed; get a new one from your login or `callcenter token`.")
    _, cid, expires, sig = token.split(".")
    if not hmac.compare_digest(sig, _sign(secret, f"v1.{cid}.{expires}")):
        raise InvalidToken("Token signature does not match.")
    customer_id, expires_at = int(cid), int(expires)
    if customer_id <= 0:
        raise InvalidToken("Token names no customer.")
    if expires_at <= (now if now is not None else time.time()):
        raise InvalidToken("Token has expired; sign in again.", code="expired_token")
    return customer_id


def token_expiry(token: str) -> int:
    """The unix second a token that verify_token accepted stops being valid (its third field).

    An open socket keeps its hello's identity; it checks this before every turn so a token
    that expires mid-conversation stops acting for the customer (red-team F18).
    """
    return int(token.split(".")[2])

"""Signed customer identity tokens: `v1.<customer_id>.<expires_unix>.<hmac>`.

The web widget (or the operator's own login) obtains a token for a verified customer;
the server trusts the customer id inside only after checking the HMAC and expiry, so
no frame a client sends can pick whose data the tools touch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


class InvalidToken(Exception):
    def __init__(self, message: str, *, code: str = "invalid_token") -> None:
        super().__init__(message)
        self.code = code


def _sign(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(customer_id: int, secret: str, *, ttl_seconds: int, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + ttl_seconds)
    payload = f"v1.{customer_id}.{expires}"
    return f"{payload}.{_sign(secret, payload)}"


def verify_token(token: str, secret: str, *, now: float | None = None) -> int:
    """The customer id inside a valid token; InvalidToken (with a code) otherwise."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != "v1":
        raise InvalidToken("Token is malformed.")
    _, cid, expires, sig = parts
    if not hmac.compare_digest(sig, _sign(secret, f"v1.{cid}.{expires}")):
        raise InvalidToken("Token signature does not match.")
    try:
        customer_id, expires_at = int(cid), int(expires)
    except ValueError as exc:
        raise InvalidToken("Token is malformed.") from exc
    if expires_at < (now if now is not None else time.time()):
        raise InvalidToken("Token has expired; sign in again.", code="expired_token")
    return customer_id

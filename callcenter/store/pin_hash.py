"""Voice PIN hashing: the secret a customer keys in on the phone, stored only as a salted slow hash.

Caller id can be spoofed, so on the phone a customer proves who they are with a 4-6 digit PIN.
A PIN has little entropy, so the hash must be slow (scrypt, memory-hard) and salted per customer,
and guessing is capped by a lockout (callcenter.store.voice_pins), not by the hash alone. Hashing
costs tens of milliseconds of CPU: async callers use the `*_async` forms, which run it in a thread
so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets

PIN_PATTERN = re.compile(r"^[0-9]{4,6}$")  # ASCII only: \d would take other scripts' digits
SCHEME = "scrypt"
# scrypt cost: N=2^14, r=8, p=1 uses 16 MiB and ~50 ms per check, OWASP's floor for scrypt.
N, R, P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32


class InvalidPin(ValueError):
    """A PIN that cannot be set; the message says what a valid one looks like."""


def check_new_pin(pin: str) -> str:
    """`pin` if it may be set: 4-6 digits, not one repeated digit, not a straight run like 1234 or 9876."""
    pin = pin.strip()
    if not PIN_PATTERN.match(pin):
        raise InvalidPin("A voice PIN is 4 to 6 digits (0-9), e.g. 4827.")
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({0}, {1}, {-1}):
        kind = "Repeated" if steps == {0} else "Sequential"
        raise InvalidPin(f"{kind} digits are too easy to guess; choose another PIN.")
    return pin


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """'scrypt$N$r$p$salt$key' (salt and key base64), for customers.voice_pin_hash."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(pin.encode(), salt=salt, n=N, r=R, p=P, dklen=KEY_BYTES)
    b64 = base64.b64encode
    return f"{SCHEME}${N}${R}${P}${b64(salt).decode()}${b64(key).decode()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether `pin` is the PIN `stored` was made from (constant-time compare; False for a malformed hash)."""
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != SCHEME:
            return False
        salt, key = base64.b64decode(salt_b64), base64.b64decode(key_b64)
        candidate = hashlib.scrypt(pin.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(key))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, key)


def demo_pin(customer_id: int) -> str:
    """The voice PIN the demo seed gives customer `customer_id` (shown by the demo picker; demo data only).

    Derived from the id so the seed, the widget and the docs agree without storing a PIN anywhere;
    a real deployment sets PINs with `callcenter customer set-pin`.
    """
    value = (customer_id * 7919 + 4826) % 9000 + 1000
    while True:
        try:
            return check_new_pin(str(value))
        except InvalidPin:
            value = value + 1 if value < 9999 else 1000


async def hash_pin_async(pin: str) -> str:
    return await asyncio.to_thread(hash_pin, pin)


async def pin_matches_async(pin: str, stored: str) -> bool:
    return await asyncio.to_thread(pin_matches, pin, stored)

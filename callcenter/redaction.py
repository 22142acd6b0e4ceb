"""Card numbers never reach storage or logs: masked where text enters the product.

A customer may type a full card number into chat or say it on a call. We never take card
numbers (payments use saved methods), so the digits have no use and are a liability: the
stored message, the logs and any model prompt get `[card ending 1111]` instead.
"""

from __future__ import annotations

import re

_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """Replace every 13-19 digit run that passes the Luhn check (spaces or dashes allowed)."""

    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return f"[card ending {digits[-4:]}]"
        return m.group(0)

    return _CANDIDATE.sub(repl, text)

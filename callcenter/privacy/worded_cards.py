"""Card numbers whose groups are joined by a spoken or typed word: "4111 dash 1111 dash 1111 dash 1111".

Speech-to-text writes the separator a caller says ("dash", "hyphen", Spanish "guion"), and people
type a letter `x` between groups; letters end a digit run in `redaction`, so such a card was stored
whole (red team 3, R10). Groups of up to six digits joined by one of these words (or a dash) that
together make a Luhn-valid 13-19 digit number are a card: "unit 4 dash 12" and dates stay.
"""

from __future__ import annotations

import re

_JOIN = r"(?:\s*(?:-|\bdash\b|\bhyphen\b|\bgui[oó]n\b|(?<=\d)x(?=\d)|\bx\b)\s*)"
_WORDED = re.compile(rf"(?<!\d)\d{{1,6}}(?:{_JOIN}\d{{1,6}}){{2,}}(?!\d)", re.IGNORECASE)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def worded_card_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, mask) for each card number whose groups a word (or an `x`) joins."""
    out = []
    for m in _WORDED.finditer(text):
        if not re.search(r"[a-z]", m.group(0), re.IGNORECASE):
            continue  # digits and dashes only: the digit passes judge it
        digits = "".join(re.findall(r"\d", m.group(0)))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            out.append((m.start(), m.end(), f"[card ending {digits[-4:]}]"))
    return out

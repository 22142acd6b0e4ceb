"""International bank account numbers (IBAN), which the digit passes cannot see.

An IBAN starts with two letters and carries up to 30 digits ("DE89 3704 0044 0532 0130 00"): the
letters end a digit run and 20+ digits are longer than any account number `redaction` looks for, so
one typed in chat was stored whole (red team 3). Country code, check digits, then 11-30 letters or
digits in groups, passing the ISO 13616 mod-97 check: a product code or a reference does not.
"""

from __future__ import annotations

import re

# Printed in groups of four ("DE89 3704 0044 0532 0130 00") or run together; a word after it is not part of it.
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]{4}){2,7}(?:[ \-]?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])", re.IGNORECASE
)


def iban_ok(compact: str) -> bool:
    """The ISO 13616 check: the first four characters moved to the end, letters as 10-35, mod 97 is 1."""
    moved = (compact[4:] + compact[:4]).upper()
    return moved.isalnum() and int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def iban_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, mask) for each IBAN in `text`. A word after it may have been read as its last groups
    ("… 1332 thanks"): the longest prefix that passes the check is the IBAN."""
    out = []
    for m in _IBAN.finditer(text):
        ends = [m.start(1) + i + 1 for i, ch in enumerate(m.group(1)) if ch.isalnum()]  # after each character
        compact = re.sub(r"[ \-]", "", m.group(1))
        for n in range(min(len(compact), 34), 14, -1):
            if iban_ok(compact[:n]):
                out.append((m.start(1), ends[n - 1], f"[IBAN ending {compact[n - 4 : n]}]"))
                break
    return out

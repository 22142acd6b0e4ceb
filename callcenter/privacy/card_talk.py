"""Card details written around the word "card": fragments, security codes, expiry dates.

`callcenter.redaction` finds whole card numbers by their digits (Luhn). People also write a card in
pieces with words around them ("my card starts 4111 1111", then "and ends 1111 1111"), add its code
and expiry ("exp 12/27 cvv 123"), or answer "what is your SSN?" with nine bare digits in the next
message (red-team R1). Neither piece is a card number by itself, so these rules read the words: a
card word nearby (in this message, or in the customer's previous one: `Said`) makes a longer run
of digits a card fragment, and a code or expiry word makes the digits after it that detail.

Numbers people write about everything else stay: a phone number (North American, 10 digits, or 11
with a leading 1), a date, an amount ($, decimals, thousands), a number labelled as an appointment,
invoice, ticket or unit, and anything of five digits or fewer ("the card ending 4242" names a saved
card, as our own replies do).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

CARD_WORD = re.compile(
    r"\b(?:cards?|credit|debit|visa|master\s?card|amex|american\s+express|tarjeta|carte|karte|cart[aã]o"
    r"|kreditkarte|cc\s*(?:#|num|number|no\b))|\bcc#",
    re.IGNORECASE,
)
_SECURITY_CODE = re.compile(
    r"\b(?:cvv2?|cvc2?|csc|cvn|security\s*code|c[oó]digo\s+de\s+seguridad|code\s+de\s+s[ée]curit[ée]|pr[üu]fnummer)"
    r"\b[^\w\[]{0,6}(?:(?:is|es|number|no|num|est|ist)\b[^\w\[]{0,4})?(\d{3,4})(?!\d)",
    re.IGNORECASE,
)
_EXPIRY = re.compile(
    r"\b(?:exp(?:iry|ires|iration|\.)?|valid\s+(?:thru|through|until)|good\s+thru|vence|vencimiento|caduca|"
    r"expira|ablauf)\b[^\w\[]{0,6}(?:(?:date|on|is|es|el|in)\b[^\w\[]{0,4}){0,2}"
    r"(\d{1,2}\s?[/\-.]\s?(?:\d{4}|\d{2}))(?!\d)",
    re.IGNORECASE,
)
_CURRENCY = "$€£¥₹"
# A number labelled as one of ours or the customer's (appointment 123456, invoice #104233) is not a card's.
_LABELLED = re.compile(
    r"\b(?:appointment|appt|invoice|ticket|order|unit|apt|apartment|confirmation|reference|ref|booking|visit|"
    r"cita|factura|pedido)\W{0,4}(?:(?:number|no|num|id)\W{0,3})?$",
    re.IGNORECASE,
)

FRAGMENT_MIN = 6  # digits: fewer is a card's last four or a short reference, never masked by these rules
KEYWORD_BEFORE, KEYWORD_AFTER = 40, 30  # characters around a run in which a card word counts
CONTEXT_REACH = 80  # characters at the start of a message that a card detail given just before reaches
LEAD_REACH = 16  # … and that a card named just before (no digits yet: "my card number is") reaches


@dataclass(frozen=True, slots=True)
class Said:
    """What the customer's previous messages named: card details given (our masks), a card named, an SSN."""

    card: bool = False  # a card detail was masked in the last two messages: the card is being given
    card_word: bool = False  # the last message named a card ("my card number is")
    ssn: bool = False  # the last message named an SSN, or gave one

    @classmethod
    def before(cls, previous: list[str], ssn_word: re.Pattern[str]) -> Said:
        """From the customer's last two messages (oldest first)."""
        recent = previous[-2:]
        last = recent[-1] if recent else ""
        return cls(
            card=any("[card" in t for t in recent),
            card_word=CARD_WORD.search(last[-KEYWORD_BEFORE:]) is not None,
            ssn=bool(ssn_word.search(last[-KEYWORD_BEFORE:])) or "[SSN]" in last,
        )


def _groups(run: str) -> list[str]:
    return re.findall(r"\d+", run)


def everyday_number(text: str, start: int, run: str, *, amounts: bool = True) -> bool:
    """Whether the run at `start` reads as a phone number, a date, a time, an address, a code glued to
    letters ("1Z999AA1012…"), a labelled reference or (`amounts`) an amount."""
    end = start + len(run)
    if ":" in run or (start and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha()):
        return True  # 10:30, 192.168.1.2:8080, 1Z999AA10123456784
    lengths = [len(g) for g in _groups(run)]
    if len(lengths) == 4 and max(lengths) <= 3 and set(run) <= set("0123456789."):
        return True  # 192.168.100.200
    digits = "".join(_groups(run))
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    phone_groups = lengths in ([10], [3, 3, 4], [11], [1, 3, 3, 4], [1, 10])
    if phone_groups and len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789":
        return True  # NANP: NXX-NXX-XXXX, written as phone numbers are (never 4-4-2 like a card's start)
    if len(lengths) == 3 and (
        (lengths[0] <= 2 and lengths[1] <= 2 and lengths[2] in (2, 4)) or (lengths[0] == 4 and max(lengths[1:]) <= 2)
    ):
        return True  # 12/27/2026, 2026-12-01
    if _LABELLED.search(text[max(0, start - 24) : start]):
        return True
    if not amounts:
        return False
    before = text[max(0, start - 2) : start]
    if any(ch in _CURRENCY for ch in before) or re.search(r"\d,$", before):
        return True  # $125000, the 250.00 of 1,250.00
    return re.fullmatch(r"\d+[.,]\d{2}", run) is not None


def card_talk_spans(text: str, runs: list[tuple[int, int, str, str]], said: Said) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for card fragments, security codes and expiry dates in `text`.

    `runs` are the digit runs of `text` as (start, end, run, digits). A run of FRAGMENT_MIN or more
    digits is a card fragment when a card word is within KEYWORD_BEFORE characters before it or
    KEYWORD_AFTER after it, or when it starts within CONTEXT_REACH characters and card details were
    given just before, or within LEAD_REACH and the previous message named a card. A security code
    is always masked after its word; an expiry date only when a card was named here or just before.
    """
    words = [m.start() for m in CARD_WORD.finditer(text)]  # sorted; never inside a run (they hold letters)
    spans: list[tuple[int, int, str]] = []
    for start, end, run, digits in runs:
        if len(digits) < FRAGMENT_MIN or everyday_number(text, start, run):
            continue
        first = bisect_left(words, start - KEYWORD_BEFORE)
        near = first < len(words) and words[first] <= end + KEYWORD_AFTER
        if near or (said.card and start < CONTEXT_REACH) or (said.card_word and start < LEAD_REACH):
            spans.append((start, end, "[card digits]"))
    spans.extend((m.start(1), m.end(1), "[security code]") for m in _SECURITY_CODE.finditer(text))
    if words or said.card or said.card_word or "[card" in text:
        spans.extend((m.start(1), m.end(1), "[expiry]") for m in _EXPIRY.finditer(text))
    return spans

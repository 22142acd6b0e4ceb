"""Amounts of money from natural phrasing: "$1,234.56", "two hundred and fifty bucks".

Rules chosen where English is ambiguous (tests pin each one):

- Amounts are integer cents. A number counts as money only with a currency cue ($, dollars,
  bucks, usd, cents) unless the caller says an amount is expected; fractions of a balance
  ("half") return None because only the flow knows the balance.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final, Literal

from callcenter_agents.extract._text import MONTH_RE, SMALL_NUMBERS, TENS, words_value
from callcenter_agents.extract.polite import fix_typos

from callcenter.types import to_cents

__all__ = ["FULL", "mask_not_money", "parse_amount"]

FULL: Final = "full"

_NUM_WORD_RE: Final = "|".join([*SMALL_NUMBERS, *TENS, "hundred", "thousand", "grand"])

_NUM: Final = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?(?!\d|[.,]\d)"
_MULT: Final = r"(?:\s*(k|hundred|thousand|grand)\b)?"
_CUE_BEFORE = re.compile(rf"(?:\$|\busd\s*|\bus\$)\s*({_NUM}){_MULT}")
_CUE_AFTER = re.compile(rf"\b({_NUM}){_MULT}\s*(?:dollars?|bucks?|usd)\b")
_CENTS_ONLY = re.compile(r"\b(\d{1,2})\s*cents?\b")
_AND_CENTS = re.compile(r"\s*(?:and\s+)?(\d{1,2}|[a-z]+(?:[\s-][a-z]+)?)\s*cents?\b")
_WORD_RUN = re.compile(rf"\b(?:(?:a|an)\s+)?(?:{_NUM_WORD_RE})(?:(?:\s+|-)(?:and\s+)?(?:{_NUM_WORD_RE}))*\b")
_WORD_CUE = re.compile(r"\s*(?:dollars?|bucks?|usd)\b")
_FULL_RE = re.compile(
    r"\b(?:(?:the\s+)?(?:full|whole|entire|total|complete)\s+(?:amount|balance|thing|bill|sum|total)"
    r"|in\s+full|the\s+full\s+(?:one|thing)|the\s+total|everything|all\s+of\s+it|all\s+of\s+the\s+balance"
    r"|pay\s+(?:it|(?:it\s+)?all|everything|the\s+(?:whole\s+|entire\s+|full\s+)?balance|that)\s+off"
    r"|pay\s+off\s+(?:the|my)\s+(?:whole\s+|entire\s+|full\s+)?balance|what\s+i\s+owe"
    r"|all\s+(?:of\s+)?what\s+i\s+owe|pay\s+(?:it\s+|them\s+)?all|all\s+of\s+(?:them|that)"
    r"|(?:pay|paying|clear|settle)\s+(?:off\s+)?(?:the\s+rest|the\s+remainder|the\s+remaining(?:\s+balance)?|what'?s\s+left))\b"
    r"|^\s*(?:all|full|the\s+full\s+amount|all\s+of\s+it)\s*[.!]*\s*$"
)
_NOT_MONEY = re.compile(
    rf"\b(?:unit|apt|apartment|suite|ste|no\.?|number|invoice|inv|bill|statement|account|acct"
    rf"|building|bldg|floor|room|option|lot|ref(?:erence)?|order|ticket)\s*(?:number|no\.?)?\s*#?\s*\w+"
    rf"|#\s*\w+"
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b|(?<![\d/])\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d/])"
    rf"|\b{MONTH_RE}\s+\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)\b"
    r"|(?:\b(?:at|after|before|by)\s+)?\b\d{1,2}(?::[0-5]\d)?\s*(?:am|pm|a\.m\.?|p\.m\.?)(?![a-z])"
    r"|\b\d{1,2}:[0-5]\d\b|\b(?:at|after|before|by)\s+\d{1,2}\b(?![.,]\d)"
    r"|\b\d+\s*(?:%|percent|days?|weeks?|months?|years?|hours?|minutes?)"
)
# A sign before an amount: "-$500", "$-500", "- 500 dollars", "minus 500", "negative $20" (not "2026-12").
_NEGATIVE = re.compile(
    r"(?:(?<![\w.,])[-\u2212\u2013]\s*(?:\$|usd\s*|us\$)?\s*\d"
    r"|(?:\$|usd\s*|us\$)\s*[-\u2212\u2013]\s*\d"
    r"|\b(?:minus|negative)\s+(?:\$|usd\s*|us\$)?\s*(?:\d|[a-z]))"
)
_BARE_NUM = re.compile(rf"(?<![\w.,])({_NUM}){_MULT}(?![\w%])")
_MULTIPLIERS: Final[dict[str, int]] = {"k": 1000, "thousand": 1000, "grand": 1000, "hundred": 100}


def mask_not_money(text: str) -> str:
    """`text` with numbers that are no amount blanked (unit, invoice, ticket and # numbers, dates, times,
    durations): what an answer to "how much?" may not be read as (red team 3: "show me invoice 12" was
    offered as "Pay $12.00?")."""
    return _NOT_MONEY.sub(lambda m: " " * len(m[0]), text)


def _dollars_to_cents(raw: str, multiplier: str | None) -> int:
    """Cents from "1,234.5", times "k"/"hundred"/"thousand" when one followed the digits."""
    value = Decimal(raw.replace(",", ""))
    return to_cents(value * _MULTIPLIERS.get(multiplier or "", 1))


def _trailing_cents(t: str, end: int) -> int:
    """The "and 50 cents" that may follow a dollar amount."""
    m = _AND_CENTS.match(t, end)
    if m is None:
        return 0
    raw = m[1]
    value = int(raw) if raw.isdigit() else words_value(raw.replace("-", " ").split())
    return value if value is not None and value < 100 else 0


def _word_amounts(t: str, need_cue: bool) -> tuple[int, int] | None:
    """(position, cents) of the first number said in words, e.g. "two hundred and fifty"."""
    for m in _WORD_RUN.finditer(t):
        words = m[0].replace("-", " ").split()
        value = words_value(words)
        if value is None:
            continue
        cue = _WORD_CUE.match(t, m.end())
        if cue:
            return m.start(), value * 100 + _trailing_cents(t, cue.end())
        if not need_cue and words != ["one"]:
            return m.start(), value * 100
    return None


def parse_amount(text: str, *, expect_amount: bool = False) -> int | Literal["full"] | None:
    """An amount of money in integer cents, FULL for "the whole balance", else None.

    Only numbers with a currency cue count unless `expect_amount` is set (the flow just
    asked "how much?"); even then dates, times, unit and invoice numbers are skipped.
    A minus sign or "minus"/"negative" gives a negative amount, which no flow pays.
    "half" and other fractions return None: the flow knows the balance, this does not.
    """
    t = fix_typos(text)  # "the whoke balance", "everrything"
    amount = _unsigned_amount(t, expect_amount)
    if isinstance(amount, int) and amount > 0 and _NEGATIVE.search(t):
        return -amount  # a negative amount is never paid as a positive one: the flow asks again
    return amount


def _unsigned_amount(t: str, expect_amount: bool) -> int | Literal["full"] | None:
    found: list[tuple[int, int]] = []
    for pattern in (_CUE_BEFORE, _CUE_AFTER):
        if m := pattern.search(t):
            cents = _dollars_to_cents(m[1], m[2])
            found.append((m.start(), cents + _trailing_cents(t, m.end())))
    if words := _word_amounts(t, need_cue=True):
        found.append(words)
    if found:
        return min(found)[1]
    if _FULL_RE.search(t):
        return FULL
    if m := _CENTS_ONLY.search(t):
        return int(m[1])
    if not expect_amount:
        return None
    masked = mask_not_money(t)
    if m := _BARE_NUM.search(masked):
        return _dollars_to_cents(m[1], m[2])
    if words := _word_amounts(masked, need_cue=False):
        return words[1]
    return None

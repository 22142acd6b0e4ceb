"""Which saved payment method a resident names, in the words residents use.

The method a resident names is the one the confirm question names, or the flow says it isn't on
file and lists theirs: it never quietly falls back to the default. Residents name a method by its
last four digits ("the card ending 4242", "the 4242 card"), by brand or bank, often shortened ("my
citizens account" is the saved Citizens Bank account, "wells" is Wells Fargo), by kind ("my checking
account", "con mi tarjeta"), and sometimes by the one they do NOT want ("with the bank account not
the card"): what follows "not" / "instead of" is dropped before the method is read.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.extract.polite import fix_typos

__all__ = [
    "CARD_REF",
    "any_method_is_fine",
    "choose_method",
    "mentions_method",
    "method_labels",
    "pick_method",
    "without_method",
]

CARD_REF = re.compile(
    r"\b(?:ending(?: in| with)?|ends? (?:in|with)|last (?:four|4)(?: digits)?|x+|(?:card|account)(?: number)?)"
    r"\s*(\d{4})\b|\b(\d{4})\s+(?:card|account|one)\b",
    re.I,
)
"""Last four digits named: "ending 4242", "card that ends in 4242", "the 4242 card"."""

_BANK_WORDS = re.compile(r"\b(bank|checking|savings|ach|e-?check|banco|bancaria|cheques|ahorros)\b", re.I)
_CARD_WORDS = re.compile(r"\b(cards?|credit|debit|tarjetas?|cr[eé]dito|d[eé]bito)\b", re.I)
# "not the card", "instead of my visa", "don't use the chase one": the method they do not want.
_NOT_THIS = re.compile(
    r"\b(?:not|never|don'?t\s+use|do\s+not\s+use|instead\s+of|rather\s+than|other\s+than|except(?:\s+for)?)"
    r"(?:\s+(?:with|using|on|from|charge|use))?(?:\s+(?:the|my|a|an|that|your))?\s+[\w' ]{1,30}?"
    r"(?=\s*(?:[,.;!?]|\b(?:but|use|with|instead|please|pls|thanks)\b|$))",
    re.I,
)
# Brands a resident may name that are not on their account: "with my Mastercard" must not
# quietly charge the default Visa. Lower-case, matched as whole words.
_KNOWN_BRANDS = (
    *("visa", "mastercard", "amex", "american express", "discover", "chase", "bank of america"),
    *("wells fargo", "capital one", "citizens bank", "citibank", "us bank", "pnc", "td bank", "ally"),
    *("usaa", "navy federal", "paypal", "venmo", "apple pay", "google pay", "zelle", "cash app"),
)
# What residents call a brand besides its name ("bofa", "cap one"); a brand of several words is also
# called by its first word when that word says which brand it is ("citizens", "wells", "capital").
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "american express": ("amex",),
    "amex": ("american express",),
    "mastercard": ("master card",),
    "bank of america": ("bofa", "boa", "b of a"),
    "capital one": ("cap one",),
    "citibank": ("citi",),
    "navy federal": ("navy fed",),
}
_NOT_A_BRAND_WORD = frozenset(
    {"bank", "of", "the", "us", "td", "one", "federal", "navy", "credit", "union", "american"}
)


def _names(brand: str) -> set[str]:
    """Every way a resident may name `brand` (lower-case)."""
    names = {brand, *_NICKNAMES.get(brand, ())}
    first = brand.split()[0]
    if " " in brand and first not in _NOT_A_BRAND_WORD and len(first) >= 4:
        names.add(first)
    return names


def _named(brand: str, low: str) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", low) for n in _names(brand))


def _same_brand(a: str, b: str) -> bool:
    return bool(_names(a) & _names(b)) or a in b or b in a


# Method words mended when typed with one slip ("endimg 9767", "citizns", "chekcing").
_MENDED = (
    *("ending", "ends", "account", "checking", "savings", "card", "credit", "debit", "bank", "default"),
    *(w for b in _KNOWN_BRANDS for n in _names(b) for w in n.split() if len(w) >= 4),
)


# Any method will do ("yeah any card is fine", "whichever one", "doesnt matter which card", "i dont care
# which", "no preference"): no method is named, so the default is the one the confirm question names.
_ANY_METHOD = re.compile(
    r"\b(?:any|either|whichever|whatever)(?:\s+(?:of\s+(?:them|those|these|my\s+\w+)|one|card|account|method"
    r"|payment\s+method|bank|is|works?|will\s+do|you\s+(?:have|want|like|pick)|on\s+file|fine|ok(?:ay)?|good))+\b"
    r"|\b(?:do(?:es)?\w{0,3}n\w{0,2}|do(?:es)?\s+not)\s+(?:really\s+)?(?:matter|care|mind)"
    r"(?:\s+(?:which|what)(?:\s+(?:one|card|account|method))?)?\b"
    r"|\bno\s+preference\b",
    re.I,
)


def any_method_is_fine(text: str) -> str:
    """The text without the words saying any payment method will do: "yeah any card is fine, doesnt
    matter" is the "yeah" to the method the question named, not a card asked for (a resident whose
    only saved method is a bank account was told "I don't see a saved card")."""
    return _ANY_METHOD.sub(" ", text)


def _wanted(text: str) -> str:
    """The text, slips mended, without the methods it refuses ("…with the bank account not the card")
    or says any of will do."""
    return _NOT_THIS.sub(" ", any_method_is_fine(fix_typos(text, _MENDED)))


def mentions_method(text: str) -> bool:
    """Whether the text names a payment method at all (brand, kind, last four digits, default); "any
    card is fine" names none."""
    text = any_method_is_fine(fix_typos(text, _MENDED))
    low = text.lower()
    return bool(
        CARD_REF.search(text)
        or _BANK_WORDS.search(text)
        or _CARD_WORDS.search(text)
        or re.search(r"\bdefault\b", low)
        or any(_named(b, low) for b in _KNOWN_BRANDS)
    )


def _last4(m: re.Match[str]) -> str:
    return next(g for g in m.groups() if g)


def pick_method(methods: list[dict[str, Any]], text: str) -> tuple[dict[str, Any] | None, str | None]:
    """(the method the resident named, else the default; what they named when it isn't on file).

    Named by last four digits, brand or bank name ("Chase", "citizens"), or kind ("bank account",
    "checking", "card", "tarjeta"). When they name something that is not saved, the method is None
    and the second item says what they asked for, so the flow can say so instead of charging the
    default.
    """
    if not methods:
        return None, None
    default = next((m for m in methods if m.get("is_default")), methods[0])
    text = _wanted(text)
    ref = CARD_REF.search(text)
    if ref:
        last4 = _last4(ref)
        hit = next((m for m in methods if str(m.get("last4")) == last4), None)
        return (hit, None) if hit else (None, f"a payment method ending {last4}")
    low = text.lower()
    wants_bank = bool(_BANK_WORDS.search(text))
    wants_card = bool(_CARD_WORDS.search(text)) and not wants_bank

    def of_kind(ms: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if wants_bank:
            return [m for m in ms if m.get("kind") == "bank"] or ms
        if wants_card:
            return [m for m in ms if m.get("kind") == "card"] or ms
        return ms

    by_brand = [m for m in methods if m.get("brand") and _named(str(m["brand"]).lower(), low)]
    if by_brand:
        named = of_kind(by_brand)
        return next((m for m in named if m.get("is_default")), named[0]), None
    saved = {str(m.get("brand", "")).lower() for m in methods}
    for brand in _KNOWN_BRANDS:
        if _named(brand, low) and not any(_same_brand(brand, b) for b in saved if b):
            name = brand.upper() if brand in ("usaa", "pnc") else brand.title()
            return None, f"{'an' if name[0] in 'AEIOU' else 'a'} {name} payment method"
    if wants_bank or wants_card:
        kind = "bank" if wants_bank else "card"
        named = [m for m in methods if m.get("kind") == kind]
        if not named:
            return None, "a saved bank account" if kind == "bank" else "a saved card"
        return next((m for m in named if m.get("is_default")), named[0]), None
    return default, None


def choose_method(methods: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The method the resident named, else the default one (None when the named one is missing)."""
    return pick_method(methods, text)[0]


def method_labels(methods: list[dict[str, Any]]) -> str:
    return "; ".join(f"{m['label']}{' (default)' if m.get('is_default') else ''}" for m in methods)


_METHOD_WORDS = re.compile(
    r"\b(?:(?:with|using|from|on|by|con|from)\s+)?(?:(?:the|my|mi|la|a|an|that|your)\s+)?"
    r"(?:default|saved|usual|(?:bank|checking|savings)\s+(?:account|acct)|accounts?|acct|cards?|credit|debit|"
    r"tarjetas?|cuenta|" + "|".join(re.escape(n) for b in _KNOWN_BRANDS for n in sorted(_names(b), key=len)) + r")"
    r"(?:\s+(?:card|account|acct|one))?\b",
    re.I,
)


def without_method(text: str) -> str:
    """The text without the payment method it names, refused ones included: what is left says whether
    an amount was said ("pay my balance with the bank account not the card" says none)."""
    return _METHOD_WORDS.sub(" ", CARD_REF.sub(" ", _wanted(text)))

"""Billing language: what the resident asks for, which payment method they mean, how an invoice reads.

Plain functions over text and tool results, tested without a flow or a database.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.extract import (
    detect_invoice_ref,
)
from callcenter_agents.extract.lead_in import strip_lead_in
from callcenter_agents.extract.polite import fix_typos

from callcenter.types import format_cents

_AUTOPAY = re.compile(r"\b(auto-?pay\w*|automatic (payments?|debit)|recurring payments?)\b", re.I)
_WAIVER = re.compile(
    r"\b(waive\w*|waiver|forgive\w*|remove (the|that|this|my) (late )?fee|take (off|away) (the|that) fee|"
    r"refund (the|that|this) fee|reverse (the|that|this) (late )?fee)\b",
    re.I,
)
_RECEIPT = re.compile(
    r"\b(receipts?|payment history|past payments|proof of payment|paid invoices|"
    r"did my payment (go through|post|clear)|confirmation of (my )?payment)\b",
    re.I,
)
_METHODS = re.compile(
    r"\b(payment methods?|cards? on file|which card|what card|bank account on file|"
    r"(update|change|add|remove) (my|a|the) (card|bank|payment))\b",
    re.I,
)
_EXPLAIN = re.compile(
    r"\b(why|explain\w*|what is (this|that|the)|what'?s (this|that|the)|don'?t recognize|"
    r"don'?t understand|what for|break ?down|dispute|what are these)\b",
    re.I,
)
_EXPLAIN_WORDS = ("explain", "whats", "dispute", "recognize", "understand")
CHARGE_WORDS = re.compile(r"\b(charges?|fees?|bill|invoices?|rent|utilit\w*|water|electric\w*|trash|sewer)\b", re.I)
PAY_WORDS = re.compile(r"\b(pay|paying|settle|make a payment|put .{1,20} toward)\b", re.I)
_INVOICES = re.compile(r"\b(invoices?|bills?|statements?|charges|open items)\b", re.I)
_CARD_REF = re.compile(
    r"\b(?:ending(?: in)?|last (?:four|4)(?: digits)?|x+|(?:card|account)(?: number)?)\s*(\d{4})\b", re.I
)
_BANK_WORDS = re.compile(r"\b(bank|checking|savings|ach|e-?check)\b", re.I)
_CARD_WORDS = re.compile(r"\b(cards?|credit|debit)\b", re.I)
# Brands a resident may name that are not on their account: "with my Mastercard" must not
# quietly charge the default Visa. Lower-case, matched as whole words.
_KNOWN_BRANDS = (
    "visa",
    "mastercard",
    "master card",
    "amex",
    "american express",
    "discover",
    "chase",
    "bank of america",
    "wells fargo",
    "capital one",
    "citizens bank",
    "citizens",
    "citibank",
    "citi",
    "us bank",
    "pnc",
    "td bank",
    "ally",
    "usaa",
    "navy federal",
    "paypal",
    "venmo",
)
_BRAND_ALIASES = {
    "amex": "american express",
    "american express": "amex",
    "master card": "mastercard",
    "citi": "citibank",
    "citibank": "citi",
}
# Questions about how paying works (not about this resident's account): the handbook answers them.
_POLICY_Q = re.compile(
    r"^\W*(how (do|can|does|should|would) (i|you|we|one|residents?|people|tenants?)\b(?! (still )?owe)|"
    r"how does .{0,30}\bwork|when (is|are|does|do) (the )?(rent|payments?|utilit\w*|fees?|late fees?)\b|"
    r"what happens if|is there (a|any) (grace period|fee|late fee)|do you (accept|take|charge)|"
    r"can i pay (with|by|in|using|online|cash|check)|where (do|can) i pay"
    r"|how much is the (late|returned payment) fee)",
    re.I,
)
# "is it a problem if I pay on the 8th?", "would I get charged if rent goes in late?": when a payment
# counts as late is a rule, asked the same way whether or not anything is owed today.
_TIMING_Q = re.compile(
    r"\b((is|would|will) (it|that) (be )?(a |an )?(problem|issue|ok|okay|fine|alright|bad)\b.{0,40}\bpa(y|id)|"
    r"(would|will|am) i (gonna |going to )?(get|be) (charged|fined|penali[sz]ed|hit with)\b.{0,40}\b(rent|pay)|"
    r"(pay|paying|pays|rent (goes|comes) (in|through)|rent is)\b.{0,30}\b(on|by|after) the \d{1,2}(st|nd|rd|th)\b|"
    r"(a (few|couple)( of)?|one|two|three|\d) days? late)\b",
    re.I,
)
BOOKING_CUE = re.compile(
    r"\b(book|schedule|repair|fix|appointment|visit|technician|plumber|electrician|"
    r"maintenance|viewing|tour)\b",
    re.I,
)


def detect_intent(text: str) -> str:
    """autopay | waiver | receipts | methods | policy | explain | pay | invoices | balance."""
    if _AUTOPAY.search(text):
        return "autopay"
    if _WAIVER.search(text):
        return "waiver"
    if _RECEIPT.search(text):
        return "receipts"
    if _METHODS.search(text):
        return "methods"
    if is_policy_question(text):
        return "policy"
    explain = _EXPLAIN.search(text) or _EXPLAIN.search(fix_typos(text, _EXPLAIN_WORDS))  # "wyats", "expalin"
    if explain and (CHARGE_WORDS.search(text) or detect_invoice_ref(text) is not None):
        return "explain"
    if PAY_WORDS.search(text):
        return "pay"
    if _INVOICES.search(text):
        return "invoices"
    return "balance"


def is_payment_timing_question(text: str) -> bool:
    """ "would I get fined if rent comes in on the 10th?": when a payment counts as late, a rule
    question billing answers from the handbook (a business route rule: the classifier hears a repair)."""
    return bool(_TIMING_Q.search(text)) and not _EXPLAIN.search(text)


def is_policy_question(text: str) -> bool:
    """ "how do I pay rent?", "when is rent due?": how paying works, not this resident's ledger.

    "when is MY rent due" and "how much do I owe" stay account questions (balance, next due).
    """
    text = strip_lead_in(text)  # "hey, quick question, is there a grace period?" asks the same
    if re.match(r"^\W*what (happens )?if\b", text, re.I):
        return True  # a hypothetical ("what if my rent is late?") asks about the rules, not the ledger
    if is_payment_timing_question(text):
        return True
    if not _POLICY_Q.search(text):
        return False
    personal = re.search(r"\b(my|me|i owe|next)\b", text, re.I)
    return not (personal and re.match(r"^\W*(when|what)\b", text, re.I))


def is_billing(text: str) -> bool:
    """Whether a request is about money on the account (for splitting two-part messages)."""
    return bool(
        CHARGE_WORDS.search(text)
        or PAY_WORDS.search(text)
        or _INVOICES.search(text)
        or re.search(r"\b(balance|owe|payments?|autopay)\b", text, re.I)
    )


def _brand_in(brand: str, low: str) -> bool:
    names = {brand, _BRAND_ALIASES.get(brand, brand)}
    return any(re.search(rf"\b{re.escape(n)}\b", low) for n in names if n)


def mentions_method(text: str) -> bool:
    """Whether the text names a payment method at all (brand, kind, last four digits, default)."""
    low = text.lower()
    return bool(
        _CARD_REF.search(text)
        or _BANK_WORDS.search(text)
        or _CARD_WORDS.search(text)
        or re.search(r"\bdefault\b", low)
        or any(_brand_in(b, low) for b in _KNOWN_BRANDS)
    )


def pick_method(methods: list[dict[str, Any]], text: str) -> tuple[dict[str, Any] | None, str | None]:
    """(the method the resident named, else the default; what they named when it isn't on file).

    Named by last four digits, brand or bank name ("Chase"), or kind ("bank account",
    "checking", "card"). When they name something that is not saved, the method is None and
    the second item says what they asked for, so the flow can say so instead of charging the
    default.
    """
    if not methods:
        return None, None
    default = next((m for m in methods if m.get("is_default")), methods[0])
    ref = _CARD_REF.search(text)
    if ref:
        hit = next((m for m in methods if str(m.get("last4")) == ref.group(1)), None)
        return (hit, None) if hit else (None, f"a payment method ending {ref.group(1)}")
    low = text.lower()
    wants_bank = bool(_BANK_WORDS.search(text))
    wants_card = bool(_CARD_WORDS.search(text)) and not wants_bank

    def of_kind(ms: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if wants_bank:
            return [m for m in ms if m.get("kind") == "bank"] or ms
        if wants_card:
            return [m for m in ms if m.get("kind") == "card"] or ms
        return ms

    by_brand = [m for m in methods if m.get("brand") and _brand_in(str(m["brand"]).lower(), low)]
    if by_brand:
        named = of_kind(by_brand)
        return next((m for m in named if m.get("is_default")), named[0]), None
    saved = {str(m.get("brand", "")).lower() for m in methods}
    for brand in _KNOWN_BRANDS:
        if _brand_in(brand, low) and not any(_brand_in(brand, b) or _brand_in(b, brand) for b in saved if b):
            return None, f"a {brand.title() if brand not in ('usaa', 'pnc') else brand.upper()} payment method"
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


def amount_text(text: str) -> str:
    """The message without card digits, so `ending 4242` is never read as $4,242."""
    return _CARD_REF.sub(" ", text)


def invoice_line(inv: dict[str, Any]) -> str:
    due = int(inv.get("due_cents", inv.get("amount_cents", 0)))
    total = int(inv.get("amount_cents", due))
    owed = f"{format_cents(due)} due" if inv.get("status") != "paid" else f"{format_cents(total)} paid"
    overdue = ", overdue" if inv.get("overdue") else ""
    return f"{inv.get('description', inv.get('kind', 'charge'))}: {owed} (due date {inv.get('due_on')}{overdue})"

"""Billing questions that look like a payment or a balance request but are neither.

"how much was it again?", "did my november rent payment go through?", "what cards do i have on
file", "why am i being charged 35 dollars", "can i pay the rest on the 15th instead": each is
answered from the ledger (or honestly declined) and never turned into a "Pay $X?" prompt, so a
following "yes" cannot charge anything. Kept apart from agents/billing.py (near the size limit).
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.billing_intents import is_payment_timing_question
from callcenter_agents.billing_ledger import balance_note, payment_methods
from callcenter_agents.billing_payment import payment_line
from callcenter_agents.tool_turn import ToolTurn

from callcenter.specialists.flow import FlowReply

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_LAST_AMOUNT = re.compile(
    r"\bhow much (was|were|did i pay)( (it|that|this|those|my|the))?( (last|latest|recent))?( (payment|one))?"
    r"( (again|just now))?\W*$",
    re.I,
)
_WENT_THROUGH = re.compile(
    r"\b(did|has|have|was)\b.*\b(payment|rent|paid|pay)\b.*\b(go(ne)? through|post(ed)?|clear(ed)?|received|"
    r"process(ed)?|paid)\b",
    re.I,
)
_CARDS = re.compile(
    r"\b(what|which) (cards?|payment methods?|accounts?)\b.*\b(on file|saved|have|got)\b|"
    r"\b(cards?|payment methods?) (do|did) i have\b|\bsaved (cards?|payment methods?)\b",
    re.I,
)
_AMOUNT = re.compile(r"\$?\b(\d{1,5}(?:[.,]\d{2})?)\b(?!\s*(?:st|nd|rd|th)\b)")
_CHARGE_Q = re.compile(
    r"\b(why|what)\b.*\b(charg\w*|billed|fee)\b|\bwhat('?s| is| was| are)\b.*\bfor\b\W*$|"
    r"\bwhat('?s| is| was)( the| this| that)? \$?\d",
    re.I,
)
_LATER = re.compile(
    r"\b(on|by|until|till) the \d{1,2}(st|nd|rd|th)?\b|\b(later|next (week|month|friday|monday|tuesday|"
    r"wednesday|thursday)|schedule\w*|post-?dated?|in a (week|few days))\b",
    re.I,
)
_PAY = re.compile(r"\b(pay|paying|payment)\b", re.I)
_NOW = re.compile(r"\b(today|now|right away|tonight)\b", re.I)


def question_kind(text: str) -> str | None:
    """last_amount | went_through | methods | charge_amount | later, or None for any other message."""
    if _CARDS.search(text) and not re.search(r"\b(update|change|add|remove)\b", text, re.I):
        return "methods"
    if _LAST_AMOUNT.search(text):
        return "last_amount"
    if _WENT_THROUGH.search(text):
        return "went_through"
    if _PAY.search(text) and _LATER.search(text) and not _NOW.search(text):
        if is_payment_timing_question(text) and not re.search(r"\b(instead|schedul\w*|the rest|set up)\b", text, re.I):
            return None  # "can i pay my rent on the 10th?": when it counts as late, the handbook's answer
        if re.match(r"^\W*(can|could|may|is it ok|is it possible|would it be ok|am i able)\b", text, re.I):
            return "later"
        if "?" in text or re.search(r"\b(instead|schedule\w*)\b", text, re.I):
            return "later"
    if _CHARGE_Q.search(text) and charged_cents(text) is not None:
        return "charge_amount"
    return None


def charged_cents(text: str) -> int | None:
    """The amount a charge question names ("35 dollars", "the 92.50"), in cents."""
    for m in _AMOUNT.finditer(text):
        raw = m.group(1).replace(",", ".")
        if re.fullmatch(r"\d{4}", raw) and int(raw) >= 1900:
            continue  # a year
        return round(float(raw) * 100)
    return None


async def answer(t: ToolTurn, text: str, kind: str) -> FlowReply:
    """The reply for a question_kind other than charge_amount (see matching_charge)."""
    if kind == "methods":
        return await payment_methods(t, text)
    reply, state, done = await _ledger_answer(t, text, kind)
    return t.reply(reply, state, done=done)


async def _ledger_answer(t: ToolTurn, text: str, kind: str) -> tuple[str, dict[str, Any], bool]:
    """(reply, state, done): paying later declined, the last payment, or one looked up by month/what."""
    if kind == "later":
        return (
            "I can't schedule a payment for a later date from this chat; payments here are made right away. "
            "I can take a payment now, or connect you with the billing team about paying later. "
            "Would you like me to connect you with them?",
            {"stage": "offer_human", "reason": "Resident asks to pay on a later date"},
            False,
        )
    payments: list[dict[str, Any]] = (await t.call("list_payments", {"limit": 24})).get("payments", [])
    if not payments:
        return f"I don't see any payments on your account yet. {await balance_note(t)}", {}, True
    if kind == "last_amount":
        return f"Your last payment was {payment_line(payments[0])}.", {"payments": {"last": payments[0]}}, True
    lowered = text.lower()
    month = next((m for m in _MONTHS if re.search(rf"\b({m}|{m[:3]})\b", lowered)), None)
    what = re.search(r"\b(rent|water|parking|pet|fee|utility|storage)\b", lowered)
    wanted = [w for w in (month, what.group(1) if what else None) if w]
    hits = [p for p in payments if all(w in " ".join(p.get("paid_for") or []).lower() for w in wanted)]
    label = " ".join(w.capitalize() if w == month else w for w in wanted) or "last"
    if hits:
        return (
            f"Yes, your {label} payment went through: {payment_line(hits[0])}.",
            {"payments": {"last": hits[0]}},
            True,
        )
    return (
        f"I don't see a payment for {label} on your account. Your last payment was {payment_line(payments[0])}. "
        "If you paid and it isn't listed, I can connect you with the billing team to trace it. Would you like that?",
        {"stage": "offer_human", "reason": f"Resident can't find a payment for {label}"},
        False,
    )


async def matching_charge(t: ToolTurn, text: str) -> dict[str, Any] | None:
    """The invoice whose amount is the one the resident names: open ones first, then the most recent."""
    cents = charged_cents(text)
    if cents is None:
        return None
    for status in ("open", "all"):
        invoices = (await t.call("list_invoices", {"status": status, "limit": 24})).get("invoices", [])
        same = [i for i in invoices if cents in (int(i.get("amount_cents", -1)), int(i.get("due_cents", -1)))]
        if same:
            same.sort(key=lambda i: str(i.get("due_on", "")), reverse=True)
            found: dict[str, Any] = same[0]
            return found
    return None

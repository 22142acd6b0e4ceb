"""Answers to the billing questions of agents/billing_questions.py, from the ledger, read-only.

Nothing here moves money or leaves a payment pending: a reply either closes the turn or offers the
billing team (a yes then reaches a person, never `pay_balance`). `also_note` is the line that tells a
resident who asked two things at once that the second one was heard.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from callcenter_agents.billing_intents import BOOKING_CUE, CHARGE_WORDS, PAY_WORDS, detect_intent, invoice_line
from callcenter_agents.billing_ledger import balance_note, payment_methods
from callcenter_agents.billing_lookup import ranked
from callcenter_agents.billing_payment import payment_line
from callcenter_agents.billing_questions import Kind, charged_cents, months_named, what_named
from callcenter_agents.replies import numbered, words
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.billing_policy import GRACE_DAYS, late_fee_cents

from callcenter.specialists.flow import FlowReply
from callcenter.types import format_cents

# How far back a "did my november rent go through?" looks: list_payments entries, newest first.
LOOKUP_PAYMENTS = 24

# Invoice words for what a resident names ("water" is the "Water, sewer & trash" bill).
_DESCRIBED: dict[str, tuple[str, ...]] = {
    "rent": ("rent",),
    "water": ("water", "sewer", "trash", "utility"),
    "late fee": ("late fee",),
    "parking": ("parking",),
    "pet rent": ("pet",),
    "lockout": ("lockout",),
}


def _is_for(description: str, what: str | None, month: str | None) -> bool:
    low = description.lower()
    if month is not None and month not in low:
        return False
    if what is None:
        return True
    if what == "rent" and (low.startswith("late fee") or "pet rent" in low):
        return False  # "Late fee - rent November 2025" is not the November rent
    return any(word in low for word in _DESCRIBED[what])


Explain = Callable[[ToolTurn, dict[str, Any]], Awaitable[FlowReply]]
"""The billing flow's explanation of one invoice (with its waiver offer for an open fee)."""


async def answer(t: ToolTurn, text: str, kind: Kind, explain: Explain) -> FlowReply:
    """The reply to one billing question; a charge named by its amount is explained by `explain`."""
    if kind == "charge_amount":  # "why am i being charged 35 dollars": that invoice, explained
        cents = charged_cents(text) or 0
        inv = await matching_charge(t, cents, text) if cents else None
        return await explain(t, inv) if inv is not None else await no_such_charge(t, cents)
    if kind == "methods":
        return await payment_methods(t, text)
    if kind == "part":
        part, evidence = await paying_part(t)
        return t.reply(
            f"{part or 'You can pay part of your balance now; what you do not pay stays on it. '}I can't schedule "
            "the rest for a later date from this chat. How much would you like to pay now?",
            {"stage": "need_amount", "invoice_id": None, "unclear": True, **evidence},
        )
    if kind == "later":
        part, evidence = await paying_part(t)
        return t.reply(
            f"{part}I can't schedule a payment for a later date from this chat; payments here are made right "
            "away. I can take a payment now, or connect you with the billing team about paying later. "
            "Would you like me to connect you with them?",
            {"stage": "offer_human", "reason": "Resident asks to pay on a later date", **evidence},
        )
    if kind == "last_amount":
        return await last_payment(t)
    return await went_through(t, text)


async def paying_part(t: ToolTurn) -> tuple[str, dict[str, int]]:
    """What paying part of the rent now means, with this resident's figures ("half now and half on the
    15th"): the rest stays owed, and rent not paid in full within the grace period gets a late fee. ""
    when no rent is open. The amounts go in the reply's state, the verifier's evidence."""
    invoices = (await t.call("list_invoices", {"status": "open"})).get("invoices", [])
    rents = [i for i in invoices if i.get("kind") == "rent" and int(i.get("due_cents", 0)) > 0]
    if not rents:
        return "", {}
    rent = min(rents, key=lambda i: str(i.get("due_on", "")))
    fee = late_fee_cents(int(rent["amount_cents"]))
    owed = int(rent["due_cents"])
    text = (
        f"You can pay part of your {rent.get('description', 'rent')} ({format_cents(owed)} due) now; what you "
        f"don't pay stays on your balance, and rent not paid in full within the {GRACE_DAYS}-day grace period "
        f"gets a late fee of {format_cents(fee)}. "
    )
    return text, {"rent_due_cents": owed, "late_fee_cents": fee}


async def last_payment(t: ToolTurn) -> FlowReply:
    """ "how much was it again?" right after a payment: that payment, not a new "Pay $X?"."""
    payments: list[dict[str, Any]] = (await t.call("list_payments", {"limit": 1})).get("payments", [])
    if not payments:
        return t.reply(f"I don't see any payments on your account yet. {await balance_note(t)}", done=True)
    return t.reply(
        f"Your last payment was {payment_line(payments[0])}. {await balance_note(t)}",
        {"payments": {"last": payments[0]}},
        done=True,
    )


async def went_through(t: ToolTurn, text: str) -> FlowReply:
    """ "did my november rent go through?": the payment for that month and/or charge, looked up in
    list_payments; when none is there, what the invoice says (still open, or paid)."""
    months = months_named(text)
    month = months[0] if months else None
    what = what_named(text)
    label = " ".join(w for w in ((month or "").capitalize(), what or "") if w) or "that"
    payments: list[dict[str, Any]] = (await t.call("list_payments", {"limit": LOOKUP_PAYMENTS})).get("payments", [])
    hits = [p for p in payments if any(_is_for(str(d), what, month) for d in p.get("paid_for") or [])]
    invoices: list[dict[str, Any]] = (await t.call("list_invoices", {"status": "all", "limit": 24})).get("invoices", [])
    named = [i for i in invoices if _is_for(str(i.get("description", "")), what, month)]
    still_open = [i for i in named if i.get("status") == "open" and int(i.get("due_cents", 0)) > 0]
    if hits and not (month is None and still_open):
        return t.reply(
            f"Yes, your {label} payment went through: {payment_line(hits[0])}.",
            {"payments": {"last": hits[0]}},
            done=True,
        )
    if still_open:
        open_line = invoice_line(min(still_open, key=lambda i: str(i.get("due_on", ""))))
        seen = f" Your last {label} payment was {payment_line(hits[0])}." if hits else ""
        return t.reply(
            f"I don't see a payment for that yet: {open_line} is still open.{seen} "
            "If you paid and it isn't showing, I can connect you with the billing team to trace it. "
            "Would you like that?",
            {"stage": "offer_human", "reason": f"Resident can't find a payment for {label}"},
        )
    if named:
        return t.reply(f"That's paid: {invoice_line(named[0])}.", done=True)
    last = f" Your last payment was {payment_line(payments[0])}." if payments else ""
    return t.reply(
        f"I don't see a payment or a charge for {label} on your account.{last} "
        "If you paid and it isn't listed, I can connect you with the billing team to trace it. Would you like that?",
        {"stage": "offer_human", "reason": f"Resident can't find a payment for {label}"},
    )


async def matching_charge(t: ToolTurn, cents: int, text: str) -> dict[str, Any] | None:
    """The invoice of that amount: an open one first, else any; of several, the one the question's words
    name ("the 95.75 late fee from july"), else the most recent."""
    for status in ("open", "all"):
        invoices = (await t.call("list_invoices", {"status": status, "limit": 24})).get("invoices", [])
        same = [i for i in invoices if cents in (int(i.get("amount_cents", -1)), int(i.get("due_cents", -1)))]
        if same:
            return ranked(same, text)[0]
    return None


async def no_such_charge(t: ToolTurn, cents: int) -> FlowReply:
    """No invoice of the amount asked about: said plainly, with the open charges; never a pay offer."""
    invoices = (await t.call("list_invoices", {"status": "open", "limit": 5})).get("invoices", [])
    head = f"I don't see a charge of {format_cents(cents)} on your account."
    if invoices:
        lines = numbered([invoice_line(i) for i in invoices])
        text = f"{head} Your open charges:\n{lines}\nIf it's one of these, tell me which one and I'll explain it."
    else:
        text = f"{head} You have no open charges right now."
    return t.reply(text, {"asked_cents": cents}, done=True)


async def also_note(t: ToolTurn, rest: str) -> str:
    """One line that says the second request of a message was heard and how to get it answered."""
    intent = detect_intent(rest)
    if intent != "policy" and (
        CHARGE_WORDS.search(rest) or PAY_WORDS.search(rest) or re.search(r"\b(balance|owe|payment)\b", rest, re.I)
    ):
        return "I can help with your other billing question too — ask me next."
    if BOOKING_CUE.search(rest):
        return "I can book that visit for you too — ask me next."
    articles = (await t.call("search_knowledge_base", {"query": rest[:300], "limit": 1})).get("articles", [])
    if articles and words(rest) & words(f"{articles[0].get('title', '')} {articles[0].get('text', '')}"):
        topic = str(articles[0].get("title", "")).lower()
        return f"I can also answer your question about {topic} — ask me next."
    return "I can help with your other question too — ask me next."

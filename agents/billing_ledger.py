"""Billing questions answered from the ledger: payments made, receipts, refunds, plans, methods.

Read-only answers (nothing here moves money) kept apart from agents/billing.py, the flow's state
machine, so each stays readable; a refund or a plan goes to the billing team's people.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.billing_intents import invoice_line
from callcenter_agents.billing_months import month_asked, month_payments, other_month, today_of
from callcenter_agents.billing_payment import payment_line
from callcenter_agents.extract.polite import fix_typos
from callcenter_agents.replies import numbered, summarize_history
from callcenter_agents.tool_turn import ToolTurn

from callcenter.specialists.flow import FlowReply, HumanHandoffRequest
from callcenter.types import Priority, format_cents


async def receipts(t: ToolTurn, text: str = "") -> FlowReply:
    month = month_asked(text, today_of(t))
    if month is not None:  # "can you email me a receipt for the november one": that month's payments
        reply = await month_payments(t, month, lead="I can't send receipts from this chat. ")
        if "payments" in reply.state and reply.state["payments"].get("last"):
            return t.reply(
                f"{reply.text} Would you like me to connect you with the billing team for a copy?",
                {**reply.state, "stage": "offer_human", "reason": f"Resident asks for a receipt for {month:%B %Y}"},
            )
        return reply
    if re.search(r"\b(e-?mail|send|text|mail)\b", text, re.I):
        payments = (await t.call("list_payments", {"limit": 1})).get("payments", [])
        if payments:
            return t.reply(
                "I can't send receipts from this chat. Your last payment was "
                f"{payment_line(payments[0])}. Would you like me to connect you with the billing team "
                "for a copy?",
                {"stage": "offer_human", "reason": "Resident asks for a receipt to be sent"},
            )
    invoices = (await t.call("list_invoices", {"status": "paid", "limit": 5})).get("invoices", [])
    if not invoices:
        return t.reply("I don't see any paid invoices on your account yet.", done=True)
    return t.reply("Your most recent paid invoices:\n" + numbered([invoice_line(i) for i in invoices]), done=True)


async def payment_history(
    t: ToolTurn, text: str, *, last: bool = False, shown: dict[str, Any] | None = None
) -> FlowReply:
    """Payments already made, from list_payments: a month's ("last month", "and the month before?" after
    `shown`, the payments just read back), the last one, today's, or the recent few."""
    day = today_of(t)
    month = other_month(text, (shown or {}).get("month"), day) or month_asked(text, day)
    if month is not None:
        return await month_payments(t, month)
    today_only = bool(re.search(r"\b(today|tday|todays)\b", fix_typos(text, ("today",))))
    found = await t.call("list_payments", {"limit": 5})
    payments = found.get("payments", [])
    if not payments:
        return await receipts(t)  # nothing recorded as a payment: the paid invoices, if any
    closing = {"payments": {"last": payments[0]}}
    if today_only:
        today = str(found.get("today", ""))
        todays = [p for p in payments if p.get("paid_on") == today]
        total = sum(int(p["amount_cents"]) for p in todays)
        if not todays:
            head = f"I don't see a payment from you today. Your last payment was {payment_line(payments[0])}."
        elif len(todays) == 1:
            head = f"Today you paid {payment_line(todays[0], day=False)}."
        else:
            lines = "; ".join(payment_line(p, day=False) for p in todays)
            head = f"Today you paid {format_cents(total)} in all: {lines}."
        return t.reply(f"{head} {await balance_note(t)}", closing, done=True)
    if last or (
        re.search(r"\b(last|latest|most recent|previous)\b", text, re.I)
        and not re.search(r"\b(payments|history)\b", text, re.I)
    ):
        reply = f"Your last payment was {payment_line(payments[0])}."
        return t.reply(f"{reply} {await balance_note(t)}", closing, done=True)
    reply = "Your recent payments:\n" + numbered([payment_line(p) for p in payments])
    note = await balance_note(t)
    missing = ""
    if re.search(r"\b(i (already |just )?paid|still (say|show)|go through|post|clear)\b", text, re.I):
        missing = " If a payment you made isn't listed, I can connect you with the billing team to trace it."
    return t.reply(f"{reply}\n{note}{missing}", closing, done=True)


async def balance_note(t: ToolTurn) -> str:
    bal = await t.call("get_balance", {})
    cents = int(bal.get("balance_cents", 0))
    return "You're all paid up now." if cents <= 0 else f"Your balance now is {format_cents(cents)}."


async def refund(t: ToolTurn) -> FlowReply:
    """A refund or an overcharge: a person decides it. Say so, show the last payment, connect them."""
    payments = (await t.call("list_payments", {"limit": 1})).get("payments", [])
    seen = f" I see your last payment was {payment_line(payments[0])}." if payments else ""
    human = HumanHandoffRequest(
        queue="billing",
        priority=Priority.NORMAL,
        summary=summarize_history(t.turn.history, t.turn.text),
        reason="Resident asks for a refund or reports an overcharge",
    )
    return t.reply(
        f"I can't send money back or reverse a charge from this chat.{seen} I'm connecting you with a person "
        "on our billing team now to review it; they'll see this conversation, so you won't need to repeat "
        "yourself.",
        done=True,
        human=human,
    )


def payment_plan(t: ToolTurn) -> FlowReply:
    return t.reply(
        "Payment plans are set up by our billing team, not in this chat. Would you like me to connect "
        "you with them now?",
        {"stage": "offer_human", "reason": "Resident asks for a payment plan"},
    )


async def payment_methods(t: ToolTurn, text: str) -> FlowReply:
    methods = (await t.call("list_payment_methods", {})).get("methods", [])
    change = re.search(r"\b(update|change|add|remove)\b", text, re.I)
    if not methods:
        head = "There's no saved payment method on your account."
    else:
        labels = [f"{m['label']}{' (default)' if m.get('is_default') else ''}" for m in methods]
        head = "Payment methods on file: " + "; ".join(labels) + "."
    if change or not methods:
        return t.reply(
            f"{head} I can't add or change payment methods from this chat. Would you like "
            "me to connect you with the billing team?",
            {"stage": "offer_human", "reason": "Resident wants to change a payment method"},
        )
    return t.reply(head, done=True)


def to_billing_team(t: ToolTurn, reason: str) -> FlowReply:
    """A yes to "Would you like me to connect you with the billing team?": the handoff, with the
    conversation's summary so the resident won't repeat themselves."""
    summary = summarize_history(t.turn.history, t.turn.text)
    human = HumanHandoffRequest(queue="billing", priority=Priority.NORMAL, summary=summary, reason=reason)
    return t.reply(
        "I'm connecting you with our billing team now. They'll see this conversation, so you "
        "won't need to repeat yourself.",
        done=True,
        human=human,
    )

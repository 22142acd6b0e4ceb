"""The account at a glance: the balance, the open invoices, the monthly rent, and how paying works.

Read-only answers; each ends on an offer to pay (stage `offer_pay`), so the resident's next "yes" or
amount goes to agents/billing_payment.py, which still asks before any money moves.
"""

from __future__ import annotations

from datetime import date

from callcenter_agents.billing_intents import invoice_line
from callcenter_agents.billing_lookup import slim
from callcenter_agents.replies import best_sentences, numbered, words
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.knowledge import topic_words

from callcenter.specialists.flow import FlowReply
from callcenter.types import format_cents


async def policy_answer(t: ToolTurn, text: str) -> FlowReply:
    """How paying works ("how do I pay rent?", "when is rent due?"): the handbook answers."""
    articles = (await t.call("search_knowledge_base", {"query": text[:300], "limit": 1})).get("articles", [])
    best = articles[0] if articles else None
    if best is None or not (words(text) & words(f"{best.get('title', '')} {best.get('text', '')}")):
        return await balance(t)
    quote = best_sentences(text, str(best.get("text", "")), limit=2, topic=topic_words(str(best.get("id", ""))))
    return t.reply(f"{quote} Would you like me to check your balance or make a payment?", {"stage": "offer_pay"})


async def balance(t: ToolTurn) -> FlowReply:
    bal = await t.call("get_balance", {})
    cents = int(bal.get("balance_cents", 0))
    if cents <= 0:
        return t.reply("You're all paid up: your balance is $0.00.", done=True)
    text = f"Your balance is {format_cents(cents)}"
    overdue = int(bal.get("overdue_cents", 0))
    grace = min(overdue, int(bal.get("in_grace_cents") or 0))  # rent past the 1st, before any late fee
    late = int(bal.get("late_cents", overdue - grace))
    if late >= cents:
        text += ", all of it overdue"
    elif late > 0:
        text += f", of which {format_cents(late)} is overdue"
    if grace and bal.get("grace_ends"):
        ends = date.fromisoformat(str(bal["grace_ends"]))
        said = ", all of it" if grace >= cents else f"{'.' if late else ','} {format_cents(grace)} of rent is"
        text += f"{said} due now, within the grace period: no late fee if it's paid by {ends:%b} {ends.day}"
    nxt = bal.get("next_due")
    if nxt and overdue < cents:
        text += f". Next due: {format_cents(int(nxt['amount_due_cents']))} on {nxt['due_on']}"
    text += '. Would you like to pay now? You can say an amount or "pay everything".'
    return t.reply(text, {"stage": "offer_pay"})


async def open_invoices(t: ToolTurn) -> FlowReply:
    invoices = (await t.call("list_invoices", {"status": "open"})).get("invoices", [])
    if not invoices:
        return t.reply("You have no open invoices right now.", done=True)
    shown = invoices[:5]
    more = f"\n(and {len(invoices) - len(shown)} more)" if len(invoices) > len(shown) else ""
    return t.reply(
        "Your open invoices:\n"
        + numbered([invoice_line(i) for i in shown])
        + more
        + "\nWould you like to pay, or have a charge explained?",
        {"stage": "offer_pay"},
    )


async def rent(t: ToolTurn) -> FlowReply:
    """ "How much is my rent and when is it due?": the monthly rent from the latest rent invoice,
    the due day, and whether this month's is still open."""
    invoices = (await t.call("list_invoices", {"status": "all", "limit": 24})).get("invoices", [])
    rents = [i for i in invoices if i.get("kind") == "rent"]
    if not rents:
        return await policy_answer(t, "when is rent due")
    latest = max(rents, key=lambda i: str(i.get("due_on", "")))
    text = (
        f"Your rent is {format_cents(int(latest['amount_cents']))} a month, due on the 1st, with a 5-day grace period."
    )
    open_rent = [i for i in rents if i.get("status") == "open" and int(i.get("due_cents", 0)) > 0]
    if not open_rent:
        return t.reply(f"{text} Your rent is paid up: {invoice_line(latest)}.", done=True)
    oldest = min(open_rent, key=lambda i: str(i.get("due_on", "")))
    return t.reply(
        f"{text} Open now: {invoice_line(oldest)}. Would you like to pay it?",
        {"stage": "offer_pay", "invoice": slim(oldest)},
    )

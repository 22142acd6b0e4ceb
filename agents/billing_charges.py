"""Explaining a charge: which one the resident means (by number, kind, amount or by picking from a
list), what it is for, and for an open fee the offer to ask for a waiver.

An invoice number that is not the resident's gets the same answer whether or not it exists for
someone else, followed by their own matching invoices to pick from.
"""

from __future__ import annotations

from typing import Any

from callcenter_agents.billing_intents import invoice_line
from callcenter_agents.billing_lookup import ask_invoice, find_invoices, not_yours, slim
from callcenter_agents.billing_payment import Restart
from callcenter_agents.billing_waivers import confirm_waiver_question
from callcenter_agents.extract import detect_charge_kind, detect_invoice_ref, is_cancel, pick_choice
from callcenter_agents.replies import MAX_MISSES, asks_something_else, choice_prompt, numbered
from callcenter_agents.tool_turn import ToolTurn

from callcenter.specialists.flow import FlowReply
from callcenter.types import format_cents


async def explain_start(t: ToolTurn, text: str) -> FlowReply:
    """ "What's this $35 charge?", "explain invoice #12": the charge explained, or which one."""
    ref = detect_invoice_ref(text)
    missing = await not_yours(t, ref)
    if missing:
        return await offer_own(t, missing, "explain", text)
    if ref is not None:
        return await explain(t, {"invoice_id": ref})
    kind = detect_charge_kind(text)
    found = await find_invoices(t, text, kind=kind, status="all")
    if not found:
        what = f"{kind} charge" if kind else "charge"
        return t.reply(
            f"I couldn't find a matching {what} on your account. Could you tell me the invoice number or the amount?",
            done=True,
        )
    if len(found) == 1 or kind is not None:
        return await explain(t, found[0])
    return ask_invoice(t, found[:5], "explain", text)


async def explain(t: ToolTurn, inv: dict[str, Any]) -> FlowReply:
    res = await t.call("explain_charge", {"invoice_id": int(inv["invoice_id"])})
    invoice = res.get("invoice") or inv
    text = str(res.get("explanation", "")).strip()
    is_open_fee = invoice.get("kind") == "fee" and invoice.get("status") == "open"
    if is_open_fee:
        return t.reply(
            f"{text} If you'd like, I can ask for this fee to be waived.",
            {
                "stage": "offer_waiver",
                "invoice": slim(invoice),
                "reason": "Resident asked for the fee to be waived after an explanation",
            },
        )
    return t.reply(text, done=True)


async def picked_invoice(t: ToolTurn, text: str, state: dict[str, Any], restart: Restart) -> FlowReply:
    """The answer to "Which charge do you mean?": that one explained or its waiver asked about."""
    invoices: list[dict[str, Any]] = state.get("invoices", [])
    if is_cancel(text):
        return t.reply("Okay. Anything else I can help with on your account?", done=True)
    idx = pick_choice(text, len(invoices), [str(i.get("description", "")) for i in invoices])
    if idx is None:
        ref = detect_invoice_ref(text)
        idx = next((n for n, i in enumerate(invoices) if ref is not None and int(i["invoice_id"]) == ref), None)
    if idx is None and asks_something_else(text):  # "can you waive that", "balance?": answered
        return await restart(t, text)
    if idx is None:
        state["misses"] = int(state.get("misses", 0)) + 1
        if state["misses"] >= MAX_MISSES:
            return t.reply("Okay, let's leave that. Anything else I can help with on your account?", done=True)
        return t.reply(f"Sorry, which one? {choice_prompt(len(invoices))}", state)
    if state.get("purpose") == "waiver":
        return confirm_waiver_question(t, invoices[idx], str(state.get("reason", "")))
    return await explain(t, invoices[idx])


async def offer_own(t: ToolTurn, lead: str, purpose: str, reason: str) -> FlowReply:
    """After a number that isn't theirs: their own matching invoices to pick from."""
    kind = "fee" if purpose == "waiver" else None
    status = "open" if purpose in ("waiver", "pay") else "all"
    own = [
        i
        for i in (await t.call("list_invoices", {"status": status, "limit": 24})).get("invoices", [])
        if kind is None or i.get("kind") == kind
    ]
    own.sort(key=lambda i: str(i.get("due_on", "")), reverse=True)
    if not own:
        what = "open fees" if purpose == "waiver" else "open invoices" if purpose == "pay" else "invoices"
        return t.reply(f"{lead} I don't see any {what} on your account either.", done=True)
    if purpose == "pay":
        bal = await t.call("get_balance", {})
        return t.reply(
            f"{lead} Your open invoices:\n"
            + numbered([invoice_line(i) for i in own[:5]])
            + f"\nYour balance is {format_cents(int(bal.get('balance_cents', 0)))}. How much would "
            "you like to pay?",
            # the invoice they named is not theirs: a bare "yes" now is not an amount
            {"stage": "need_amount", "invoice_id": None, "method_hint": reason, "unclear": True},
        )
    if len(own) == 1 and purpose == "waiver":
        return confirm_waiver_question(t, own[0], reason, lead=f"{lead} Your open fee is this one.")
    state = {
        "stage": "pick_invoice",
        "purpose": purpose,
        "reason": reason[:500],
        "invoices": [slim(i) for i in own[:5]],
    }
    noun = "open fees" if purpose == "waiver" else "recent charges"
    return t.reply(
        f"{lead} Your {noun}:\n"
        + numbered([invoice_line(i) for i in own[:5]])
        + f"\nIs it one of these? {choice_prompt(len(own[:5]))}",
        state,
    )

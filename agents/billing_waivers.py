"""Fee waivers: the question that names the fee, the resident's answer, and the request itself.

A waiver is only requested after a yes to a question naming the fee, its amount and invoice number;
"fine, I'll just pay it" at that point pays the fee instead, never waives it.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.billing_disputes import gives_waiver_reason
from callcenter_agents.billing_intents import PAY_WORDS, asks_to_remove_it, detect_intent
from callcenter_agents.billing_lookup import ask_invoice, find_invoices, slim
from callcenter_agents.billing_payment import Restart, pay_invoice
from callcenter_agents.extract import is_affirmative, is_cancel, is_negative
from callcenter_agents.extract.polite import fix_typos
from callcenter_agents.tool_turn import ToolTurn

from callcenter.specialists.flow import FlowReply
from callcenter.types import format_cents


async def waiver_start(t: ToolTurn, text: str) -> FlowReply:
    """ "Can you waive the late fee?": the one open fee it can be, or which of several."""
    fees = await find_invoices(t, text, kind="fee", status="open")
    if not fees:
        return t.reply("I don't see an open fee on your account that could be waived.", done=True)
    if len(fees) == 1:
        return confirm_waiver_question(t, fees[0], text)
    return ask_invoice(t, fees[:5], "waiver", text)


def confirm_waiver_question(t: ToolTurn, inv: dict[str, Any], reason: str, *, lead: str = "") -> FlowReply:
    due = int(inv.get("due_cents", inv.get("amount_cents", 0)))
    state = {"stage": "confirm_waiver", "invoice": slim(inv), "reason": reason[:500]}
    return t.reply(
        f"{lead} Shall I request a waiver of the {inv.get('description', 'fee')} "
        f"({format_cents(due)}, invoice #{inv['invoice_id']})?".strip(),
        state,
    )


async def confirm_waiver(t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
    if PAY_WORDS.search(text) and detect_intent(text) == "pay" and not is_negative(text):
        return await pay_invoice(t, text, state["invoice"])  # "fine, I'll just pay it": never a waiver
    if is_affirmative(text) and not is_negative(text):
        return await waive(t, state["invoice"], str(state.get("reason") or text))
    if is_negative(text) or is_cancel(text):
        return t.reply("Okay, I haven't requested anything.", done=True)
    return t.reply(f"Shall I request a waiver of invoice #{state['invoice']['invoice_id']}? (yes or no)", state)


async def offered_waiver(t: ToolTurn, text: str, state: dict[str, Any], restart: Restart) -> FlowReply:
    """The answer to "If you'd like, I can ask for this fee to be waived." after a fee was explained."""
    if PAY_WORDS.search(text) and not is_negative(text) and detect_intent(text) == "pay":  # "fine, pay it"
        return await pay_invoice(t, text, state["invoice"])
    if gives_waiver_reason(text, state.get("invoice")):  # "i dont have a pet anymore" after pet rent
        return confirm_waiver_question(t, state["invoice"], text, lead="I understand.")
    if (is_affirmative(text) or asks_to_remove_it(text)) and not is_negative(text):  # "yes" / "i want it removed"
        return await waive(t, state["invoice"], state.get("reason") or text)
    if is_negative(text) or is_cancel(text):
        return t.reply("Okay. Anything else I can help with on your account?", done=True)
    if detect_intent(text) == "balance" and "?" not in text and not PAY_WORDS.search(text):
        # "that's bs, I never got a notice": a reason for the waiver just offered, not a new request.
        return confirm_waiver_question(t, state["invoice"], text, lead="I understand.")
    return await restart(t, text)


async def waive(t: ToolTurn, inv: dict[str, Any], reason: str) -> FlowReply:
    res = await t.call(
        "request_fee_waiver", {"invoice_id": int(inv["invoice_id"]), "reason": (reason or "Resident request")[:500]}
    )
    message = str(res.get("message", "")).strip()
    if not message:
        message = "The fee was waived." if res.get("waived") else "I've sent your request to the billing team."
    if res.get("ticket_id") and f"#{res['ticket_id']}" not in message:
        message += f" Reference: ticket #{res['ticket_id']}."
    return t.reply(message, {"waiver": {"ticket_id": res.get("ticket_id"), "said": message}}, done=True)


# "how long will that take", "when will i hear back", "how soon": about the waiver request just made.
_HOW_LONG = re.compile(
    r"\b(how long|how soon|when will (i|they|you|someone|it)|when do i (hear|get|know)|what happens (now|next)|"
    r"then what|and then)\b"
)


def asks_about_waiver(text: str, finished: object) -> bool:
    """A question about the waiver request the last turn made ("how long will that take?")."""
    return (
        isinstance(finished, dict)
        and isinstance(finished.get("waiver"), dict)
        and bool(_HOW_LONG.search(fix_typos(text.lower(), ("long", "soon"))))
    )


def waiver_status(t: ToolTurn, finished: dict[str, Any]) -> FlowReply:
    """What was just said about the waiver, again: waived, or which ticket and how long the review takes."""
    said = str(finished["waiver"].get("said", "")).strip()
    review = re.search(r"the billing team [^.;]*ticket #\d+[^.;]*", said, re.I)  # the part that says how long
    if review:
        part = review.group(0)
        return t.reply(f"{part[0].upper()}{part[1:]}.", done=True)
    return t.reply(said or "The billing team has your request.", done=True)

"""Billing: balance, invoices, payments, charge explanations and fee waivers.

Money moves only after the resident says yes to a question that names the exact amount
and payment method; every amount the flow states comes from a tool result of the turn.
"""

from __future__ import annotations

from typing import Any

from callcenter_agents.billing_amounts import requested_amount, scoped_request
from callcenter_agents.billing_answers import also_note, answer, last_payment
from callcenter_agents.billing_charges import explain, explain_start, offer_own, picked_invoice
from callcenter_agents.billing_intents import amount_text, detect_intent, is_billing
from callcenter_agents.billing_late_fees import about_late_fees, late_fees
from callcenter_agents.billing_ledger import (
    payment_history,
    payment_methods,
    payment_plan,
    receipts,
    refund,
    to_billing_team,
)
from callcenter_agents.billing_lookup import not_yours
from callcenter_agents.billing_months import other_month, today_of
from callcenter_agents.billing_overview import balance, open_invoices, policy_answer, rent
from callcenter_agents.billing_payment import (
    asks_about_payment,
    confirm_pay,
    got_amount,
    limited_to,
    offer_charge,
    owed,
    pay,
    pay_invoice,
    pays_named_charge,
    picked_method,
)
from callcenter_agents.billing_prompt import BILLING_EXAMPLES, BILLING_INSTRUCTIONS
from callcenter_agents.billing_questions import asks_last_amount, question_kind
from callcenter_agents.billing_waivers import (
    asks_about_waiver,
    confirm_waiver,
    offered_waiver,
    waiver_start,
    waiver_status,
)
from callcenter_agents.extract import detect_invoice_ref, is_affirmative, is_cancel, is_negative
from callcenter_agents.replies import sign_in_prompt, split_requests, words
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.billing import BILLING_TOOLS
from callcenter_tools.knowledge import GENERAL_TOOLS

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Tier

# Stages where money may be about to move, and the requests that never answer them with a payment.
_MONEY_STAGES = frozenset({"offer_pay", "need_amount", "confirm_pay", "pick_method"})
# Stages where a charge is being talked about without money pending: a payment of another charge named
# now is that payment ("ok just pay the water bill then" to a late fee's waiver question).
_HOLDING_STAGES = frozenset({"offer_waiver", "confirm_waiver", "offer_pay", "offer_human", "pick_invoice"})
_NEVER_A_PAYMENT = frozenset({"waiver", "history", "refund", "plan", "receipts", "autopay"})
# Requests answered as such even when they also read as a billing question ("why was I charged $35? waive it").
_OWN_ANSWER = frozenset({"waiver", "refund", "plan", "autopay"})
FINISHED_KEY = "finished"  # the glue's closing note of this agent's last finished turn (conversation/turn_glue.py)

# What a thank-you around a request is made of: not a second request.
_COURTESY = frozenset({"thx", "thank", "thanks", "ty", "hi", "hey", "hello", "ok", "okay", "also", "pls", "please"})


class BillingFlow:
    """Balance, invoices, payments, charge explanations and fee waivers."""

    async def step(self, turn: FlowTurn) -> FlowReply:
        t = ToolTurn(turn)
        try:
            return await self._step(t, turn.text.strip(), dict(turn.state))
        except ToolError as err:
            if err.code == "unverified":
                return t.reply(sign_in_prompt(turn.context.channel), done=True)
            message = str(err).strip().rstrip(".")
            return t.reply(
                f"Sorry, I couldn't do that: {message}. Nothing was charged. Would you like to try something else?",
                done=True,
            )

    async def _step(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        stage = state.get("stage")
        finished = state.get(FINISHED_KEY)
        if isinstance(finished, dict) and finished.get("paid") and asks_last_amount(text):
            return await last_payment(t)  # "how much was it again?" right after "Done: I've paid…"
        if asks_about_waiver(text, finished):  # "how long will that take" right after the waiver request
            return waiver_status(t, finished)  # type: ignore[arg-type]
        if about_late_fees(text, finished):  # "why do i have 2 late fees?", then "which months were they for"
            return await late_fees(t, text)
        shown = finished.get("payments") if isinstance(finished, dict) else None
        if isinstance(shown, dict) and (asks_about_payment(text) or other_month(text, shown.get("month"), today_of(t))):
            return await payment_history(t, text, last=True, shown=shown)  # "and when was it?", "the month before?"
        if stage in _MONEY_STAGES and (
            detect_intent(text) in _NEVER_A_PAYMENT or question_kind(text) not in (None, "last_amount")
        ):
            # "ok waive it" to "Would you like to pay?", "wait, what did I pay last month?" to
            # "Pay $X?": another request, answered as such; nothing pending is charged.
            return await self._start(t, text)
        if stage in _HOLDING_STAGES and pays_named_charge(text):
            return await pay(t, text, None)  # "never mind that, just pay my water bill": that charge
        if stage == "need_amount":
            return await got_amount(t, text, state, self._start)
        if stage == "confirm_pay":
            return await confirm_pay(t, text, state, self._start)
        if stage == "pick_method":
            return await picked_method(t, text, state)
        if stage == "pick_invoice":
            return await picked_invoice(t, text, state, self._start)
        if stage == "confirm_waiver":
            return await confirm_waiver(t, text, state)
        if stage == "offer_waiver":
            return await offered_waiver(t, text, state, self._start)
        if stage == "offer_pay" and (charge := limited_to(text, answering=True)) and not is_negative(text):
            return await offer_charge(t, {"invoice_id": None, "method_hint": text}, charge, await owed(t))
        if stage == "offer_pay":  # "Would you like to pay now? You can say an amount": "75" is one
            amount = requested_amount(amount_text(text), answering=True) or scoped_request(amount_text(text))
            if state.get("invoice") and (amount is not None or is_affirmative(text)) and not is_negative(text):
                return await pay_invoice(t, text, state["invoice"])  # "half of it" after "your rent is…"
            if amount is not None or (is_affirmative(text) and not is_negative(text)):
                return await pay(t, text, None, full_if_missing=amount is None, answering=True)
            if is_negative(text) or is_cancel(text):
                return t.reply("No problem. Anything else I can help with?", done=True)
        if stage == "offer_human":
            if detect_intent(text) == "pay":  # "ok well can you at least pay my balance now": that, not a person
                return await self._start(t, text)
            if is_affirmative(text) and not is_negative(text):
                return to_billing_team(t, state.get("reason", "Resident asked for the billing team"))
            if is_negative(text) or is_cancel(text):
                return t.reply("Okay. Anything else I can help with on your account?", done=True)
        return await self._start(t, text)

    async def _start(self, t: ToolTurn, text: str) -> FlowReply:
        first, rest = split_requests(text)
        if rest and not is_billing(first) and is_billing(rest):
            first, rest = rest, first  # "the office hours, and also my balance?": the billing part here
        if rest and not (words(rest) - _COURTESY):
            first, rest = text, ""  # "thx. can you also email me a receipt" is one request
        if rest:
            reply = await self._start(t, first)
            note = await also_note(t, rest)
            return FlowReply(
                text=f"{reply.text} {note}",
                state=reply.state,
                done=reply.done,
                human=reply.human,
                tool_results=reply.tool_results,
            )
        intent = detect_intent(text)
        kind = question_kind(text)  # "did my november rent go through?", "what cards do i have": never a pay prompt
        if kind not in (None, "last_amount") and intent not in _OWN_ANSWER:
            return await answer(t, text, kind, explain)
        if intent == "policy":
            return await policy_answer(t, text)
        if intent == "autopay":
            return t.reply(
                "I can't turn autopay on or off from this chat. Would you like me to connect "
                "you with the billing team to set it up?",
                {"stage": "offer_human", "reason": "Resident asked about autopay"},
            )
        if intent == "waiver":
            missing = await not_yours(t, detect_invoice_ref(text))
            if missing:
                return await offer_own(t, missing, "waiver", text)
            return await waiver_start(t, text)
        if intent == "history":
            return await payment_history(t, text)
        if intent == "refund":
            return await refund(t)
        if intent == "plan":
            return payment_plan(t)
        if intent == "rent":
            return await rent(t)
        if intent == "receipts":
            return await receipts(t, text)
        if intent == "methods":
            return await payment_methods(t, text)
        if intent == "explain":
            return await explain_start(t, text)
        if intent == "pay":
            ref = detect_invoice_ref(text)
            missing = await not_yours(t, ref)
            if missing:
                return await offer_own(t, missing, "pay", text)
            return await pay(t, text, ref)
        if intent == "invoices":
            return await open_invoices(t)
        return await balance(t)


AGENT = AgentSpec(
    name="billing",
    vertical="billing",
    acts_on_account=True,
    description="Balance, invoices, payments, charge explanations and fee waivers for residents.",
    instructions=BILLING_INSTRUCTIONS,
    tools=(*BILLING_TOOLS, *GENERAL_TOOLS),
    default_tier=Tier.CHEAP,
    handoff_targets=("escalation", "booking", "general"),
    examples=BILLING_EXAMPLES,
    flow=BillingFlow,
)

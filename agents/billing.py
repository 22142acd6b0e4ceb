"""Billing: balance, invoices, payments, charge explanations and fee waivers.

Money moves only after the resident says yes to a question that names the exact amount
and payment method; every amount the flow states comes from a tool result of the turn.
"""

from __future__ import annotations

from typing import Any

from callcenter_agents.billing_amounts import requested_amount, scoped_request
from callcenter_agents.billing_answers import also_note, answer, last_payment
from callcenter_agents.billing_disputes import gives_waiver_reason
from callcenter_agents.billing_intents import (
    PAY_WORDS,
    amount_text,
    detect_intent,
    invoice_line,
    is_billing,
)
from callcenter_agents.billing_late_fees import about_late_fees, late_fees
from callcenter_agents.billing_ledger import (
    payment_history,
    payment_methods,
    payment_plan,
    receipts,
    refund,
)
from callcenter_agents.billing_months import other_month, today_of
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
from callcenter_agents.extract import (
    detect_charge_kind,
    detect_invoice_ref,
    is_affirmative,
    is_cancel,
    is_negative,
    parse_amount,
    pick_choice,
)
from callcenter_agents.replies import (
    MAX_MISSES,
    asks_something_else,
    best_sentences,
    choice_prompt,
    numbered,
    sign_in_prompt,
    split_requests,
    summarize_history,
    words,
)
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.billing import BILLING_TOOLS
from callcenter_tools.knowledge import GENERAL_TOOLS, topic_words

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn, HumanHandoffRequest
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Priority, Tier, format_cents

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

# Words every charge question has, which say nothing about which charge it is.
_GENERIC_CHARGE_WORDS = frozenset({"fee", "charge", "bill", "invoice", "account", "whats", "what", "this", "why"})


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
            return await self._picked_invoice(t, text, state)
        if stage == "confirm_waiver":
            return await self._confirm_waiver(t, text, state)
        if stage == "offer_waiver":
            if PAY_WORDS.search(text) and not is_negative(text) and detect_intent(text) == "pay":  # "fine, pay it"
                return await pay_invoice(t, text, state["invoice"])
            if gives_waiver_reason(text, state.get("invoice")):  # "i dont have a pet anymore" after pet rent
                return self._confirm_waiver_question(t, state["invoice"], text, lead="I understand.")
            if is_affirmative(text) and not is_negative(text):
                return await self._waive(t, state["invoice"], state.get("reason") or text)
            if is_negative(text) or is_cancel(text):
                return t.reply("Okay. Anything else I can help with on your account?", done=True)
            if detect_intent(text) == "balance" and "?" not in text and not PAY_WORDS.search(text):
                # "that's bs, I never got a notice": a reason for the waiver just offered, not a new request.
                return self._confirm_waiver_question(t, state["invoice"], text, lead="I understand.")
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
                return self._to_human(t, state.get("reason", "Resident asked for the billing team"))
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
            return await answer(t, text, kind, self._explain)
        if intent == "policy":
            return await self._policy_answer(t, text)
        if intent == "autopay":
            return t.reply(
                "I can't turn autopay on or off from this chat. Would you like me to connect "
                "you with the billing team to set it up?",
                {"stage": "offer_human", "reason": "Resident asked about autopay"},
            )
        if intent == "waiver":
            return await self._waiver_start(t, text)
        if intent == "history":
            return await payment_history(t, text)
        if intent == "refund":
            return await refund(t)
        if intent == "plan":
            return payment_plan(t)
        if intent == "rent":
            return await self._rent(t)
        if intent == "receipts":
            return await receipts(t, text)
        if intent == "methods":
            return await payment_methods(t, text)
        if intent == "explain":
            return await self._explain_start(t, text)
        if intent == "pay":
            ref = detect_invoice_ref(text)
            missing = await self._not_yours(t, ref)
            if missing:
                return await self._offer_own(t, missing, "pay", text)
            return await pay(t, text, ref)
        if intent == "invoices":
            return await self._invoices(t)
        return await self._balance(t)

    # -- information ------------------------------------------------------------------

    async def _policy_answer(self, t: ToolTurn, text: str) -> FlowReply:
        """How paying works ("how do I pay rent?", "when is rent due?"): the handbook answers."""
        articles = (await t.call("search_knowledge_base", {"query": text[:300], "limit": 1})).get("articles", [])
        best = articles[0] if articles else None
        if best is None or not (words(text) & words(f"{best.get('title', '')} {best.get('text', '')}")):
            return await self._balance(t)
        quote = best_sentences(text, str(best.get("text", "")), limit=2, topic=topic_words(str(best.get("id", ""))))
        return t.reply(f"{quote} Would you like me to check your balance or make a payment?", {"stage": "offer_pay"})

    async def _balance(self, t: ToolTurn) -> FlowReply:
        bal = await t.call("get_balance", {})
        cents = int(bal.get("balance_cents", 0))
        if cents <= 0:
            return t.reply("You're all paid up: your balance is $0.00.", done=True)
        text = f"Your balance is {format_cents(cents)}"
        overdue = int(bal.get("overdue_cents", 0))
        if overdue >= cents:
            text += ", all of it overdue"
        elif overdue > 0:
            text += f", of which {format_cents(overdue)} is overdue"
        nxt = bal.get("next_due")
        if nxt and overdue < cents:
            text += f". Next due: {format_cents(int(nxt['amount_due_cents']))} on {nxt['due_on']}"
        text += '. Would you like to pay now? You can say an amount or "pay everything".'
        return t.reply(text, {"stage": "offer_pay"})

    async def _invoices(self, t: ToolTurn) -> FlowReply:
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

    async def _rent(self, t: ToolTurn) -> FlowReply:
        """ "How much is my rent and when is it due?": the monthly rent from the latest rent invoice,
        the due day, and whether this month's is still open."""
        invoices = (await t.call("list_invoices", {"status": "all", "limit": 24})).get("invoices", [])
        rents = [i for i in invoices if i.get("kind") == "rent"]
        if not rents:
            return await self._policy_answer(t, "when is rent due")
        latest = max(rents, key=lambda i: str(i.get("due_on", "")))
        text = (
            f"Your rent is {format_cents(int(latest['amount_cents']))} a month, due on the 1st, with a 5-day "
            "grace period."
        )
        open_rent = [i for i in rents if i.get("status") == "open" and int(i.get("due_cents", 0)) > 0]
        if not open_rent:
            return t.reply(f"{text} Your rent is paid up: {invoice_line(latest)}.", done=True)
        oldest = min(open_rent, key=lambda i: str(i.get("due_on", "")))
        return t.reply(
            f"{text} Open now: {invoice_line(oldest)}. Would you like to pay it?",
            {"stage": "offer_pay", "invoice": _slim(oldest)},
        )

    # -- paying -----------------------------------------------------------------------

    # -- explaining charges and waivers -------------------------------------------------

    async def _find_invoices(self, t: ToolTurn, text: str, *, kind: str | None, status: str) -> list[dict[str, Any]]:
        """Invoices the resident is talking about, most recent first."""
        invoices = (await t.call("list_invoices", {"status": status, "limit": 24})).get("invoices", [])
        ref = detect_invoice_ref(text)
        if ref is not None:
            exact = [i for i in invoices if int(i["invoice_id"]) == ref]
            if exact:
                return exact
        if kind:
            invoices = [i for i in invoices if i.get("kind") == kind]
        amount = parse_amount(amount_text(text), expect_amount=True)  # "whats the 97.25 for"
        if isinstance(amount, int):
            same = [i for i in invoices if amount in (i.get("amount_cents"), i.get("due_cents"))]
            invoices = same or invoices
        # "this late fee" is the late fee, not the latest fee: a charge whose description shares a
        # word with the question (late, parking, pet, water) comes first, then the most recent.
        named = words(text) - _GENERIC_CHARGE_WORDS
        return sorted(
            invoices,
            key=lambda i: (bool(named & words(str(i.get("description", "")))), str(i.get("due_on", ""))),
            reverse=True,
        )

    async def _not_yours(self, t: ToolTurn, ref: int | None) -> str | None:
        """ "I can't find invoice #211 on your account." when the number is not among theirs. Only the
        resident's own invoices are looked at: the same answer whether or not it exists for someone else."""
        if ref is None:
            return None
        try:
            # explain_charge reads only the resident's own invoices: an exact ownership check
            # however old the invoice is (list_invoices returns at most 24).
            await t.call("explain_charge", {"invoice_id": ref})
        except ToolError as err:
            if err.code == "not_found":
                return f"I can't find invoice #{ref} on your account."
            raise
        return None

    async def _explain_start(self, t: ToolTurn, text: str) -> FlowReply:
        ref = detect_invoice_ref(text)
        missing = await self._not_yours(t, ref)
        if missing:
            return await self._offer_own(t, missing, "explain", text)
        if ref is not None:
            return await self._explain(t, {"invoice_id": ref})
        kind = detect_charge_kind(text)
        found = await self._find_invoices(t, text, kind=kind, status="all")
        if not found:
            what = f"{kind} charge" if kind else "charge"
            return t.reply(
                f"I couldn't find a matching {what} on your account. Could you tell me the "
                "invoice number or the amount?",
                done=True,
            )
        if len(found) == 1 or kind is not None:
            return await self._explain(t, found[0])
        return self._ask_invoice(t, found[:5], "explain", text)

    async def _explain(self, t: ToolTurn, inv: dict[str, Any]) -> FlowReply:
        res = await t.call("explain_charge", {"invoice_id": int(inv["invoice_id"])})
        invoice = res.get("invoice") or inv
        text = str(res.get("explanation", "")).strip()
        is_open_fee = invoice.get("kind") == "fee" and invoice.get("status") == "open"
        if is_open_fee:
            return t.reply(
                f"{text} If you'd like, I can ask for this fee to be waived.",
                {
                    "stage": "offer_waiver",
                    "invoice": _slim(invoice),
                    "reason": "Resident asked for the fee to be waived after an explanation",
                },
            )
        return t.reply(text, done=True)

    def _ask_invoice(self, t: ToolTurn, invoices: list[dict[str, Any]], purpose: str, reason: str) -> FlowReply:
        state = {
            "stage": "pick_invoice",
            "purpose": purpose,
            "reason": reason[:500],
            "invoices": [_slim(i) for i in invoices],
        }
        return t.reply(
            "Which charge do you mean?\n"
            + numbered([invoice_line(i) for i in invoices])
            + f"\n{choice_prompt(len(invoices))}",
            state,
        )

    async def _picked_invoice(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        invoices: list[dict[str, Any]] = state.get("invoices", [])
        if is_cancel(text):
            return t.reply("Okay. Anything else I can help with on your account?", done=True)
        idx = pick_choice(text, len(invoices), [str(i.get("description", "")) for i in invoices])
        if idx is None:
            ref = detect_invoice_ref(text)
            idx = next((n for n, i in enumerate(invoices) if ref is not None and int(i["invoice_id"]) == ref), None)
        if idx is None and asks_something_else(text):  # "can you waive that", "balance?": answered
            return await self._start(t, text)
        if idx is None:
            state["misses"] = int(state.get("misses", 0)) + 1
            if state["misses"] >= MAX_MISSES:
                return t.reply("Okay, let's leave that. Anything else I can help with on your account?", done=True)
            return t.reply(f"Sorry, which one? {choice_prompt(len(invoices))}", state)
        if state.get("purpose") == "waiver":
            return self._confirm_waiver_question(t, invoices[idx], str(state.get("reason", "")))
        return await self._explain(t, invoices[idx])

    async def _offer_own(self, t: ToolTurn, lead: str, purpose: str, reason: str) -> FlowReply:
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
            return self._confirm_waiver_question(t, own[0], reason, lead=f"{lead} Your open fee is this one.")
        state = {
            "stage": "pick_invoice",
            "purpose": purpose,
            "reason": reason[:500],
            "invoices": [_slim(i) for i in own[:5]],
        }
        noun = "open fees" if purpose == "waiver" else "recent charges"
        return t.reply(
            f"{lead} Your {noun}:\n"
            + numbered([invoice_line(i) for i in own[:5]])
            + f"\nIs it one of these? {choice_prompt(len(own[:5]))}",
            state,
        )

    async def _waiver_start(self, t: ToolTurn, text: str) -> FlowReply:
        missing = await self._not_yours(t, detect_invoice_ref(text))
        if missing:
            return await self._offer_own(t, missing, "waiver", text)
        fees = await self._find_invoices(t, text, kind="fee", status="open")
        if not fees:
            return t.reply("I don't see an open fee on your account that could be waived.", done=True)
        if len(fees) == 1:
            return self._confirm_waiver_question(t, fees[0], text)
        return self._ask_invoice(t, fees[:5], "waiver", text)

    def _confirm_waiver_question(self, t: ToolTurn, inv: dict[str, Any], reason: str, *, lead: str = "") -> FlowReply:
        due = int(inv.get("due_cents", inv.get("amount_cents", 0)))
        state = {"stage": "confirm_waiver", "invoice": _slim(inv), "reason": reason[:500]}
        return t.reply(
            f"{lead} Shall I request a waiver of the {inv.get('description', 'fee')} "
            f"({format_cents(due)}, invoice #{inv['invoice_id']})?".strip(),
            state,
        )

    async def _confirm_waiver(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        if PAY_WORDS.search(text) and detect_intent(text) == "pay" and not is_negative(text):
            return await pay_invoice(t, text, state["invoice"])  # "fine, I'll just pay it": never a waiver
        if is_affirmative(text) and not is_negative(text):
            return await self._waive(t, state["invoice"], str(state.get("reason") or text))
        if is_negative(text) or is_cancel(text):
            return t.reply("Okay, I haven't requested anything.", done=True)
        return t.reply(f"Shall I request a waiver of invoice #{state['invoice']['invoice_id']}? (yes or no)", state)

    async def _waive(self, t: ToolTurn, inv: dict[str, Any], reason: str) -> FlowReply:
        res = await t.call(
            "request_fee_waiver", {"invoice_id": int(inv["invoice_id"]), "reason": (reason or "Resident request")[:500]}
        )
        message = str(res.get("message", "")).strip()
        if not message:
            message = "The fee was waived." if res.get("waived") else "I've sent your request to the billing team."
        if res.get("ticket_id") and f"#{res['ticket_id']}" not in message:
            message += f" Reference: ticket #{res['ticket_id']}."
        return t.reply(message, done=True)

    def _to_human(self, t: ToolTurn, reason: str) -> FlowReply:
        summary = summarize_history(t.turn.history, t.turn.text)
        human = HumanHandoffRequest(queue="billing", priority=Priority.NORMAL, summary=summary, reason=reason)
        return t.reply(
            "I'm connecting you with our billing team now. They'll see this conversation, so you "
            "won't need to repeat yourself.",
            done=True,
            human=human,
        )


def _slim(inv: dict[str, Any]) -> dict[str, Any]:
    keys = ("invoice_id", "kind", "description", "amount_cents", "due_cents", "due_on", "status", "overdue")
    return {k: inv.get(k) for k in keys if k in inv}


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

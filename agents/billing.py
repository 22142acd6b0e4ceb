"""Billing: balance, invoices, payments, charge explanations and fee waivers.

Money moves only after the resident says yes to a question that names the exact amount
and payment method; every amount the flow states comes from a tool result of the turn.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.replies import choice_prompt, numbered, sign_in_prompt, summarize_history
from callcenter_tools.billing import BILLING_TOOLS

from callcenter.agent_spec import AgentSpec
from callcenter.extract import (
    FULL,
    detect_charge_kind,
    detect_invoice_ref,
    is_affirmative,
    is_cancel,
    is_negative,
    parse_amount,
    pick_choice,
)
from callcenter.flow import FlowReply, FlowTurn, HumanHandoffRequest
from callcenter.toolkit import ToolError
from callcenter.types import Priority, Tier, Vertical, format_cents

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
    r"\b(why|explain\w*|what is (this|that|the)|what's (this|that|the)|don'?t recognize|"
    r"don'?t understand|what for|break ?down|dispute|what are these)\b",
    re.I,
)
_CHARGE = re.compile(r"\b(charges?|fees?|bill|invoices?|rent|utilit\w*|water|electric\w*|trash|sewer)\b", re.I)
_PAY = re.compile(r"\b(pay|paying|settle|make a payment|put .{1,20} toward)\b", re.I)
_INVOICES = re.compile(r"\b(invoices?|bills?|statements?|charges|open items)\b", re.I)
_CARD_REF = re.compile(r"\b(?:ending(?: in)?|last (?:four|4)(?: digits)?|x+)\s*(\d{4})\b", re.I)
_BRANDS = ("visa", "mastercard", "amex", "american express", "discover", "checking", "savings", "bank")


def detect_intent(text: str) -> str:
    """autopay | waiver | receipts | methods | explain | pay | invoices | balance."""
    if _AUTOPAY.search(text):
        return "autopay"
    if _WAIVER.search(text):
        return "waiver"
    if _RECEIPT.search(text):
        return "receipts"
    if _METHODS.search(text):
        return "methods"
    if _EXPLAIN.search(text) and (_CHARGE.search(text) or detect_invoice_ref(text) is not None):
        return "explain"
    if _PAY.search(text):
        return "pay"
    if _INVOICES.search(text):
        return "invoices"
    return "balance"


def choose_method(methods: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The method the resident named (last four digits or brand), else the default one."""
    if not methods:
        return None
    ref = _CARD_REF.search(text)
    if ref:
        for m in methods:
            if str(m.get("last4")) == ref.group(1):
                return m
    low = text.lower()
    for brand in _BRANDS:
        if re.search(rf"\b{brand}\b", low):
            named = [m for m in methods if brand in str(m.get("brand", "")).lower()
                     or brand in str(m.get("label", "")).lower()]
            if named:
                return next((m for m in named if m.get("is_default")), named[0])
    return next((m for m in methods if m.get("is_default")), methods[0])


def amount_text(text: str) -> str:
    """The message without card digits, so `ending 4242` is never read as $4,242."""
    return _CARD_REF.sub(" ", text)


def invoice_line(inv: dict[str, Any]) -> str:
    due = int(inv.get("due_cents", inv.get("amount_cents", 0)))
    total = int(inv.get("amount_cents", due))
    owed = f"{format_cents(due)} due" if inv.get("status") != "paid" else f"{format_cents(total)} paid"
    overdue = ", overdue" if inv.get("overdue") else ""
    return f"{inv.get('description', inv.get('kind', 'charge'))}: {owed} (due date {inv.get('due_on')}{overdue})"


class _Turn:
    def __init__(self, turn: FlowTurn) -> None:
        self.turn = turn
        self.results: list[dict[str, Any]] = []

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await self.turn.call_tool(name, args)
        self.results.append(result)
        return result

    def reply(self, text: str, state: dict[str, Any] | None = None, *, done: bool = False,
              human: HumanHandoffRequest | None = None) -> FlowReply:
        return FlowReply(text=text, state=state or {}, done=done, human=human, tool_results=list(self.results))


class BillingFlow:
    """Balance, invoices, payments, charge explanations and fee waivers."""

    async def step(self, turn: FlowTurn) -> FlowReply:
        t = _Turn(turn)
        try:
            return await self._step(t, turn.text.strip(), dict(turn.state))
        except ToolError as err:
            if err.code == "unverified":
                return t.reply(sign_in_prompt(turn.context.channel), done=True)
            message = str(err).strip().rstrip(".")
            return t.reply(f"Sorry, I couldn't do that: {message}. Nothing was charged. "
                           "Would you like to try something else?", done=True)

    async def _step(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        stage = state.get("stage")
        if stage == "need_amount":
            return await self._got_amount(t, text, state)
        if stage == "confirm_pay":
            return await self._confirm_pay(t, text, state)
        if stage == "pick_invoice":
            return await self._picked_invoice(t, text, state)
        if stage == "confirm_waiver":
            return await self._confirm_waiver(t, text, state)
        if stage == "offer_waiver":
            if is_affirmative(text) and not is_negative(text):
                return await self._waive(t, state["invoice"], state.get("reason") or text)
            if is_negative(text) or is_cancel(text):
                return t.reply("Okay. Anything else I can help with on your account?", done=True)
        if stage == "offer_pay":
            amount = parse_amount(amount_text(text))
            if amount is not None or (is_affirmative(text) and not is_negative(text)):
                return await self._pay(t, text, None, full_if_missing=amount is None)
            if is_negative(text) or is_cancel(text):
                return t.reply("No problem. Anything else I can help with?", done=True)
        if stage == "offer_human":
            if is_affirmative(text) and not is_negative(text):
                return self._to_human(t, state.get("reason", "Resident asked for the billing team"))
            if is_negative(text) or is_cancel(text):
                return t.reply("Okay. Anything else I can help with on your account?", done=True)
        return await self._start(t, text)

    async def _start(self, t: _Turn, text: str) -> FlowReply:
        intent = detect_intent(text)
        if intent == "autopay":
            return t.reply("I can't turn autopay on or off from this chat. Would you like me to connect "
                           "you with the billing team to set it up?",
                           {"stage": "offer_human", "reason": "Resident asked about autopay"})
        if intent == "waiver":
            return await self._waiver_start(t, text)
        if intent == "receipts":
            return await self._receipts(t)
        if intent == "methods":
            return await self._methods(t, text)
        if intent == "explain":
            return await self._explain_start(t, text)
        if intent == "pay":
            return await self._pay(t, text, detect_invoice_ref(text))
        if intent == "invoices":
            return await self._invoices(t)
        return await self._balance(t)

    # -- information ------------------------------------------------------------------

    async def _balance(self, t: _Turn) -> FlowReply:
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
        text += ". Would you like to pay now? You can say an amount or \"pay everything\"."
        return t.reply(text, {"stage": "offer_pay"})

    async def _invoices(self, t: _Turn) -> FlowReply:
        invoices = (await t.call("list_invoices", {"status": "open"})).get("invoices", [])
        if not invoices:
            return t.reply("You have no open invoices right now.", done=True)
        shown = invoices[:5]
        more = f"\n(and {len(invoices) - len(shown)} more)" if len(invoices) > len(shown) else ""
        return t.reply("Your open invoices:\n" + numbered([invoice_line(i) for i in shown]) + more
                       + "\nWould you like to pay, or have a charge explained?", {"stage": "offer_pay"})

    async def _receipts(self, t: _Turn) -> FlowReply:
        invoices = (await t.call("list_invoices", {"status": "paid", "limit": 5})).get("invoices", [])
        if not invoices:
            return t.reply("I don't see any paid invoices on your account yet.", done=True)
        return t.reply("Your most recent paid invoices:\n" + numbered([invoice_line(i) for i in invoices]),
                       done=True)

    async def _methods(self, t: _Turn, text: str) -> FlowReply:
        methods = (await t.call("list_payment_methods", {})).get("methods", [])
        change = re.search(r"\b(update|change|add|remove)\b", text, re.I)
        if not methods:
            head = "There's no saved payment method on your account."
        else:
            labels = [f"{m['label']}{' (default)' if m.get('is_default') else ''}" for m in methods]
            head = "Payment methods on file: " + "; ".join(labels) + "."
        if change or not methods:
            return t.reply(f"{head} I can't add or change payment methods from this chat. Would you like "
                           "me to connect you with the billing team?",
                           {"stage": "offer_human", "reason": "Resident wants to change a payment method"})
        return t.reply(head, done=True)

    # -- paying -----------------------------------------------------------------------

    async def _pay(self, t: _Turn, text: str, invoice_id: int | None, *, full_if_missing: bool = False
                   ) -> FlowReply:
        bal = await t.call("get_balance", {})
        owed = int(bal.get("balance_cents", 0))
        if owed <= 0:
            return t.reply("You're all paid up: your balance is $0.00, so there's nothing to pay.", done=True)
        amount = parse_amount(amount_text(text))
        if amount is None and full_if_missing:
            amount = FULL
        state: dict[str, Any] = {"invoice_id": invoice_id, "method_hint": text}
        if amount is None:
            state["stage"] = "need_amount"
            return t.reply(f"How much would you like to pay? Your balance is {format_cents(owed)}.", state)
        return await self._offer_payment(t, state, amount, owed)

    async def _offer_payment(self, t: _Turn, state: dict[str, Any], amount: int | str, owed: int) -> FlowReply:
        cents = owed if amount == FULL else int(amount)
        if cents <= 0:
            state["stage"] = "need_amount"
            return t.reply(f"Please tell me an amount above $0.00. Your balance is {format_cents(owed)}.", state)
        if cents > owed:
            state.update(stage="need_amount", suggested=owed)
            return t.reply(f"That's more than you owe. The most you can pay right now is your balance of "
                           f"{format_cents(owed)}. Would you like to pay {format_cents(owed)}?", state)
        methods = (await t.call("list_payment_methods", {})).get("methods", [])
        method = choose_method(methods, str(state.get("method_hint", "")))
        if method is None:
            return t.reply("There's no saved payment method on your account, so I can't take a payment here. "
                           "Would you like me to connect you with the billing team?",
                           {"stage": "offer_human", "reason": "Resident wants to pay but has no payment method"})
        state.update(stage="confirm_pay", amount_cents=cents, owed=owed,
                     method_id=method["method_id"], method_label=method["label"])
        state.pop("suggested", None)
        return t.reply(f"Pay {format_cents(cents)} with {method['label']}?", state)

    async def _got_amount(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        amount = parse_amount(amount_text(text), expect_amount=True)
        if amount is None and state.get("suggested") and is_affirmative(text) and not is_negative(text):
            amount = int(state["suggested"])
        if amount is None:
            if is_negative(text) or is_cancel(text):
                return t.reply("Okay, I haven't charged anything.", done=True)
            if detect_intent(text) not in ("balance", "pay"):
                return await self._start(t, text)
            bal = await t.call("get_balance", {})
            return t.reply("Sorry, I didn't catch an amount. How much would you like to pay? Your balance is "
                           f"{format_cents(int(bal.get('balance_cents', 0)))}.", state)
        bal = await t.call("get_balance", {})
        owed = int(bal.get("balance_cents", 0))
        if owed <= 0:
            return t.reply("You're all paid up: your balance is $0.00, so there's nothing to pay.", done=True)
        if re.search(r"\d{4}|visa|mastercard|amex|discover|bank|checking|savings", text, re.I):
            state["method_hint"] = text
        return await self._offer_payment(t, state, amount, owed)

    async def _confirm_pay(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        amount = parse_amount(amount_text(text))
        if amount is not None and amount != state["amount_cents"] and not (
            amount == FULL and state["amount_cents"] == state.get("owed")
        ):
            bal = await t.call("get_balance", {})
            state["method_hint"] = text if _CARD_REF.search(text) else state.get("method_hint", "")
            return await self._offer_payment(t, state, amount, int(bal.get("balance_cents", 0)))
        if is_affirmative(text) and not is_negative(text):
            args: dict[str, Any] = {"amount_cents": state["amount_cents"], "method_id": state["method_id"]}
            if state.get("invoice_id"):
                args["invoice_id"] = state["invoice_id"]
            res = await t.call("pay_balance", args)
            remaining = int(res.get("remaining_balance_cents", 0))
            method = res.get("method") or state["method_label"]
            if isinstance(method, dict):
                method = method.get("label", state["method_label"])
            return t.reply(f"Done: I've paid {format_cents(int(res['paid_cents']))} with {method}. "
                           f"Your remaining balance is {format_cents(remaining)}.", done=True)
        if is_negative(text) or is_cancel(text):
            return t.reply("Okay, I haven't charged anything. Would you like to pay a different amount?",
                           {"stage": "need_amount", "invoice_id": state.get("invoice_id"),
                            "method_hint": state.get("method_hint", "")})
        return t.reply(f"Pay {format_cents(state['amount_cents'])} with {state['method_label']}? (yes or no)",
                       state)

    # -- explaining charges and waivers -------------------------------------------------

    async def _find_invoices(self, t: _Turn, text: str, *, kind: str | None, status: str
                             ) -> list[dict[str, Any]]:
        """Invoices the resident is talking about, most recent first."""
        invoices = (await t.call("list_invoices", {"status": status, "limit": 24})).get("invoices", [])
        ref = detect_invoice_ref(text)
        if ref is not None:
            exact = [i for i in invoices if int(i["invoice_id"]) == ref]
            if exact:
                return exact
        if kind:
            invoices = [i for i in invoices if i.get("kind") == kind]
        amount = parse_amount(amount_text(text))
        if isinstance(amount, int):
            same = [i for i in invoices if amount in (i.get("amount_cents"), i.get("due_cents"))]
            invoices = same or invoices
        return sorted(invoices, key=lambda i: str(i.get("due_on", "")), reverse=True)

    async def _explain_start(self, t: _Turn, text: str) -> FlowReply:
        ref = detect_invoice_ref(text)
        if ref is not None:
            return await self._explain(t, {"invoice_id": ref})
        kind = detect_charge_kind(text)
        found = await self._find_invoices(t, text, kind=kind, status="all")
        if not found:
            what = f"{kind} charge" if kind else "charge"
            return t.reply(f"I couldn't find a matching {what} on your account. Could you tell me the "
                           "invoice number or the amount?", done=True)
        if len(found) == 1 or kind is not None:
            return await self._explain(t, found[0])
        return self._ask_invoice(t, found[:5], "explain", text)

    async def _explain(self, t: _Turn, inv: dict[str, Any]) -> FlowReply:
        res = await t.call("explain_charge", {"invoice_id": int(inv["invoice_id"])})
        invoice = res.get("invoice") or inv
        text = str(res.get("explanation", "")).strip()
        is_open_fee = invoice.get("kind") == "fee" and invoice.get("status") == "open"
        if is_open_fee:
            return t.reply(f"{text} If you'd like, I can ask for this fee to be waived.",
                           {"stage": "offer_waiver", "invoice": _slim(invoice),
                            "reason": "Resident asked for the fee to be waived after an explanation"})
        return t.reply(text, done=True)

    def _ask_invoice(self, t: _Turn, invoices: list[dict[str, Any]], purpose: str, reason: str) -> FlowReply:
        state = {"stage": "pick_invoice", "purpose": purpose, "reason": reason[:500],
                 "invoices": [_slim(i) for i in invoices]}
        return t.reply("Which charge do you mean?\n" + numbered([invoice_line(i) for i in invoices])
                       + f"\n{choice_prompt(len(invoices))}", state)

    async def _picked_invoice(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        invoices: list[dict[str, Any]] = state.get("invoices", [])
        if is_cancel(text):
            return t.reply("Okay. Anything else I can help with on your account?", done=True)
        idx = pick_choice(text, len(invoices), [str(i.get("description", "")) for i in invoices])
        if idx is None:
            ref = detect_invoice_ref(text)
            idx = next((n for n, i in enumerate(invoices) if ref is not None and int(i["invoice_id"]) == ref), None)
        if idx is None:
            return t.reply(f"Sorry, which one? {choice_prompt(len(invoices))}", state)
        if state.get("purpose") == "waiver":
            return self._confirm_waiver_question(t, invoices[idx], str(state.get("reason", "")))
        return await self._explain(t, invoices[idx])

    async def _waiver_start(self, t: _Turn, text: str) -> FlowReply:
        fees = await self._find_invoices(t, text, kind="fee", status="open")
        if not fees:
            return t.reply("I don't see an open fee on your account that could be waived.", done=True)
        if len(fees) == 1:
            return self._confirm_waiver_question(t, fees[0], text)
        return self._ask_invoice(t, fees[:5], "waiver", text)

    def _confirm_waiver_question(self, t: _Turn, inv: dict[str, Any], reason: str) -> FlowReply:
        due = int(inv.get("due_cents", inv.get("amount_cents", 0)))
        state = {"stage": "confirm_waiver", "invoice": _slim(inv), "reason": reason[:500]}
        return t.reply(f"Shall I request a waiver of the {inv.get('description', 'fee')} "
                       f"({format_cents(due)}, invoice #{inv['invoice_id']})?", state)

    async def _confirm_waiver(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        if is_affirmative(text) and not is_negative(text):
            return await self._waive(t, state["invoice"], str(state.get("reason") or text))
        if is_negative(text) or is_cancel(text):
            return t.reply("Okay, I haven't requested anything.", done=True)
        return t.reply(f"Shall I request a waiver of invoice #{state['invoice']['invoice_id']}? (yes or no)",
                       state)

    async def _waive(self, t: _Turn, inv: dict[str, Any], reason: str) -> FlowReply:
        res = await t.call("request_fee_waiver", {"invoice_id": int(inv["invoice_id"]),
                                                  "reason": (reason or "Resident request")[:500]})
        message = str(res.get("message", "")).strip()
        if not message:
            message = "The fee was waived." if res.get("waived") else "I've sent your request to the billing team."
        if res.get("ticket_id") and f"#{res['ticket_id']}" not in message:
            message += f" Reference: ticket #{res['ticket_id']}."
        return t.reply(message, done=True)

    def _to_human(self, t: _Turn, reason: str) -> FlowReply:
        summary = summarize_history(t.turn.history, t.turn.text)
        human = HumanHandoffRequest(queue="billing", priority=Priority.NORMAL, summary=summary, reason=reason)
        return t.reply("I'm connecting you with our billing team now. They'll see this conversation, so you "
                       "won't need to repeat yourself.", done=True, human=human)


def _slim(inv: dict[str, Any]) -> dict[str, Any]:
    keys = ("invoice_id", "kind", "description", "amount_cents", "due_cents", "due_on", "status", "overdue")
    return {k: inv.get(k) for k in keys if k in inv}


BILLING_INSTRUCTIONS = """\
You are the billing specialist of the resident help line for Maple Court, Harbor View and
Cedar Lofts. You help residents understand and pay what they owe: balance, open and paid invoices,
rent, utility charges, late and other fees, payments, payment methods on file and fee waiver requests.

How you work:
- Use only the tools you are given. Every amount, due date, invoice number and payment method you
  mention must come from a tool result in this conversation. Never invent an amount, a charge, a
  payment or a policy, and never say a payment went through unless pay_balance returned it.
- Money is exact: quote amounts as returned (dollars and cents). Do not round or estimate.
- To take a payment: check the balance with get_balance, work out the amount (an amount the resident
  names, or the whole balance if they say everything), pick the default payment method from
  list_payment_methods unless they name another one, then ask "Pay $X with <method label>?" and call
  pay_balance only after a clear yes. Never charge more than the balance; if they ask to, tell them
  the maximum. If they have not said how much, ask and state the current balance.
- To explain a charge, find the invoice with list_invoices (by number, amount or kind) and use
  explain_charge; quote the explanation rather than guessing why a charge exists.
- For a fee waiver, confirm which fee (description, amount, invoice number) and ask before calling
  request_fee_waiver; report the tool's answer honestly, including when it goes to the team for review.
- You cannot change autopay or payment methods from the chat; offer to connect the resident with the
  billing team instead.
- If a tool says the resident is not verified, ask them to sign in (or pick a resident in the chat
  widget) and do not retry. Never ask for or repeat full card numbers; refer to methods by their label.
- Emergencies (gas, smoke, fire, flooding, sparks, no heat in freezing weather) go to the escalation
  agent immediately; repairs and viewings to the booking agent; building questions to the general agent.
- Keep replies short: one to three sentences, plus a short list when listing invoices.
"""

BILLING_EXAMPLES: tuple[str, ...] = (
    "what's my balance",
    "how much do I owe",
    "how much is my rent this month",
    "am I behind on rent?",
    "when is my rent due",
    "do I have anything overdue",
    "I want to pay my rent",
    "pay $500 now",
    "I'd like to make a payment of 1200 dollars",
    "pay everything",
    "pay the full balance please",
    "can I pay part of my rent now and the rest on Friday",
    "pay it with my visa ending 4242",
    "put $300 toward my balance",
    "settle my account",
    "show me my invoices",
    "what bills are open",
    "can I see my statement",
    "list my charges",
    "why was I charged a late fee",
    "what is this $75 charge",
    "I don't recognize a charge on my account",
    "explain invoice 1042",
    "why is my water bill so high this month",
    "what's the utility charge for",
    "why did my electric charge go up",
    "what is the trash fee",
    "break down my rent charge for me",
    "I think I was double charged",
    "can you waive the late fee",
    "please remove the late fee, I paid on time",
    "I was in the hospital, can the late fee be forgiven",
    "request a fee waiver",
    "can I get a refund of that fee",
    "I need a receipt for my last payment",
    "did my payment go through",
    "can you show my payment history",
    "proof of payment for my employer",
    "how do I set up autopay",
    "turn off automatic payments",
    "is autopay on for my account",
    "what card do you have on file",
    "update my card on file",
    "I want to change my payment method to my bank account",
    "add a new credit card",
    "can I pay with a bank transfer",
    "do you accept credit cards for rent",
    "my payment was declined",
    "why is there a returned payment fee",
    "how much is the late fee",
    "what happens if I pay rent late",
    "is there a grace period for rent",
    "can I get a payment plan",
    "I got charged for a key replacement, what is that",
    "what's the parking charge on my bill",
    "I paid but my balance still shows the old amount",
    "how much do I need to pay to be current",
    "what's the next payment due",
    "I'd like to pay off the overdue amount",
    "pay 250.50",
    "yes pay the whole thing",
    "charge my default card for the balance",
    "is my account in good standing",
    "I want to pay invoice 1042",
)

AGENT = AgentSpec(
    name="billing",
    vertical=Vertical.BILLING,
    description="Balance, invoices, payments, charge explanations and fee waivers for residents.",
    instructions=BILLING_INSTRUCTIONS,
    tools=tuple(BILLING_TOOLS),
    default_tier=Tier.CHEAP,
    handoff_targets=("escalation", "booking", "general"),
    examples=BILLING_EXAMPLES,
    flow=BillingFlow,
)

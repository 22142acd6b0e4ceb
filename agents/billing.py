"""Billing: balance, invoices, payments, charge explanations and fee waivers.

Money moves only after the resident says yes to a question that names the exact amount
and payment method; every amount the flow states comes from a tool result of the turn.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.extract import (
    FULL,
    detect_charge_kind,
    detect_invoice_ref,
    is_affirmative,
    is_cancel,
    is_negative,
    parse_amount,
    pick_choice,
)
from callcenter_agents.replies import (
    best_sentences,
    choice_prompt,
    numbered,
    sign_in_prompt,
    split_requests,
    summarize_history,
    words,
)
from callcenter_tools.billing import BILLING_TOOLS
from callcenter_tools.knowledge import GENERAL_TOOLS

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn, HumanHandoffRequest
from callcenter.tooling.toolkit import ToolError
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
_BOOKING_CUE = re.compile(
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
    if _EXPLAIN.search(text) and (_CHARGE.search(text) or detect_invoice_ref(text) is not None):
        return "explain"
    if _PAY.search(text):
        return "pay"
    if _INVOICES.search(text):
        return "invoices"
    return "balance"


def is_policy_question(text: str) -> bool:
    """ "how do I pay rent?", "when is rent due?": how paying works, not this resident's ledger.

    "when is MY rent due" and "how much do I owe" stay account questions (balance, next due).
    """
    if not _POLICY_Q.search(text):
        return False
    personal = re.search(r"\b(my|me|i owe|next)\b", text, re.I)
    return not (personal and re.match(r"^\W*(when|what)\b", text, re.I))


def _is_billing(text: str) -> bool:
    """Whether a request is about money on the account (for splitting two-part messages)."""
    return bool(
        _CHARGE.search(text)
        or _PAY.search(text)
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


class _Turn:
    def __init__(self, turn: FlowTurn) -> None:
        self.turn = turn
        self.results: list[dict[str, Any]] = []

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await self.turn.call_tool(name, args)
        self.results.append(result)
        return result

    def reply(
        self,
        text: str,
        state: dict[str, Any] | None = None,
        *,
        done: bool = False,
        human: HumanHandoffRequest | None = None,
    ) -> FlowReply:
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
            return t.reply(
                f"Sorry, I couldn't do that: {message}. Nothing was charged. Would you like to try something else?",
                done=True,
            )

    async def _step(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        stage = state.get("stage")
        if stage == "need_amount":
            return await self._got_amount(t, text, state)
        if stage == "confirm_pay":
            return await self._confirm_pay(t, text, state)
        if stage == "pick_method":
            return await self._picked_method(t, text, state)
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
        first, rest = split_requests(text)
        if rest and not _is_billing(first) and _is_billing(rest):
            first, rest = rest, first  # "the office hours, and also my balance?": the billing part here
        if rest:
            reply = await self._start(t, first)
            note = await self._also_note(t, rest)
            return FlowReply(
                text=f"{reply.text} {note}",
                state=reply.state,
                done=reply.done,
                human=reply.human,
                tool_results=reply.tool_results,
            )
        intent = detect_intent(text)
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
        if intent == "receipts":
            return await self._receipts(t)
        if intent == "methods":
            return await self._methods(t, text)
        if intent == "explain":
            return await self._explain_start(t, text)
        if intent == "pay":
            ref = detect_invoice_ref(text)
            missing = await self._not_yours(t, ref)
            if missing:
                return await self._offer_own(t, missing, "pay", text)
            return await self._pay(t, text, ref)
        if intent == "invoices":
            return await self._invoices(t)
        return await self._balance(t)

    # -- information ------------------------------------------------------------------

    async def _policy_answer(self, t: _Turn, text: str) -> FlowReply:
        """How paying works ("how do I pay rent?", "when is rent due?"): the handbook answers."""
        articles = (await t.call("search_knowledge_base", {"query": text[:300], "limit": 1})).get("articles", [])
        best = articles[0] if articles else None
        if best is None or not (words(text) & words(f"{best.get('title', '')} {best.get('text', '')}")):
            return await self._balance(t)
        quote = best_sentences(text, str(best.get("text", "")), limit=2)
        return t.reply(f"{quote} Would you like me to check your balance or make a payment?", {"stage": "offer_pay"})

    async def _also_note(self, t: _Turn, rest: str) -> str:
        """One line that says the second request was heard and how to get it answered."""
        intent = detect_intent(rest)
        if intent != "policy" and (
            _CHARGE.search(rest) or _PAY.search(rest) or re.search(r"\b(balance|owe|payment)\b", rest, re.I)
        ):
            return "I can help with your other billing question too — ask me next."
        if _BOOKING_CUE.search(rest):
            return "I can book that visit for you too — ask me next."
        articles = (await t.call("search_knowledge_base", {"query": rest[:300], "limit": 1})).get("articles", [])
        if articles and words(rest) & words(f"{articles[0].get('title', '')} {articles[0].get('text', '')}"):
            topic = str(articles[0].get("title", "")).lower()
            return f"I can also answer your question about {topic} — ask me next."
        return "I can help with your other question too — ask me next."

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
        text += '. Would you like to pay now? You can say an amount or "pay everything".'
        return t.reply(text, {"stage": "offer_pay"})

    async def _invoices(self, t: _Turn) -> FlowReply:
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

    async def _receipts(self, t: _Turn) -> FlowReply:
        invoices = (await t.call("list_invoices", {"status": "paid", "limit": 5})).get("invoices", [])
        if not invoices:
            return t.reply("I don't see any paid invoices on your account yet.", done=True)
        return t.reply("Your most recent paid invoices:\n" + numbered([invoice_line(i) for i in invoices]), done=True)

    async def _methods(self, t: _Turn, text: str) -> FlowReply:
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

    # -- paying -----------------------------------------------------------------------

    async def _pay(self, t: _Turn, text: str, invoice_id: int | None, *, full_if_missing: bool = False) -> FlowReply:
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
            return t.reply(
                f"That's more than you owe. The most you can pay right now is your balance of "
                f"{format_cents(owed)}. Would you like to pay {format_cents(owed)}?",
                state,
            )
        methods = (await t.call("list_payment_methods", {})).get("methods", [])
        method, missing = pick_method(methods, str(state.get("method_hint", "")))
        if not methods:
            return t.reply(
                "There's no saved payment method on your account, so I can't take a payment here. "
                "Would you like me to connect you with the billing team?",
                {"stage": "offer_human", "reason": "Resident wants to pay but has no payment method"},
            )
        state.pop("suggested", None)
        if method is None:
            state.update(
                stage="pick_method",
                amount_cents=cents,
                owed=owed,
                methods=[
                    {k: m.get(k) for k in ("method_id", "kind", "brand", "last4", "is_default", "label")}
                    for m in methods
                ],
            )
            return t.reply(
                f"I don't see {missing or 'that payment method'} on your account. Your saved payment "
                f"methods are: {method_labels(methods)}. Which one would you like to use for "
                f"{format_cents(cents)}?",
                state,
            )
        state.pop("methods", None)
        state.update(
            stage="confirm_pay",
            amount_cents=cents,
            owed=owed,
            method_id=method["method_id"],
            method_label=method["label"],
        )
        return t.reply(f"Pay {format_cents(cents)} with {method['label']}?", state)

    async def _picked_method(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        if is_cancel(text) or (is_negative(text) and not mentions_method(text)):
            return t.reply("Okay, I haven't charged anything.", done=True)
        methods: list[dict[str, Any]] = state.get("methods", [])
        idx = pick_choice(text, len(methods), [str(m.get("label", "")) for m in methods])
        if idx is None and is_affirmative(text) and not mentions_method(text):
            idx = next((n for n, m in enumerate(methods) if m.get("is_default")), None)
        if idx is None and mentions_method(text):
            found, _ = pick_method(methods, text)
            idx = next((n for n, m in enumerate(methods) if found is not None and m is found), None)
        if idx is None:
            return t.reply(f"Which payment method should I use? Your saved ones are: {method_labels(methods)}.", state)
        state["method_hint"] = f"ending {methods[idx]['last4']}"
        bal = await t.call("get_balance", {})
        return await self._offer_payment(t, state, int(state["amount_cents"]), int(bal.get("balance_cents", 0)))

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
            return t.reply(
                "Sorry, I didn't catch an amount. How much would you like to pay? Your balance is "
                f"{format_cents(int(bal.get('balance_cents', 0)))}.",
                state,
            )
        bal = await t.call("get_balance", {})
        owed = int(bal.get("balance_cents", 0))
        if owed <= 0:
            return t.reply("You're all paid up: your balance is $0.00, so there's nothing to pay.", done=True)
        if mentions_method(text):
            state["method_hint"] = text
        return await self._offer_payment(t, state, amount, owed)

    async def _confirm_pay(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        amount = parse_amount(amount_text(text))
        if (
            amount is not None
            and amount != state["amount_cents"]
            and not (amount == FULL and state["amount_cents"] == state.get("owed"))
        ):
            bal = await t.call("get_balance", {})
            state["method_hint"] = text if mentions_method(text) else state.get("method_hint", "")
            return await self._offer_payment(t, state, amount, int(bal.get("balance_cents", 0)))
        if mentions_method(text):
            methods = (await t.call("list_payment_methods", {})).get("methods", [])
            picked, _ = pick_method(methods, text)
            if picked is None or picked["method_id"] != state["method_id"]:
                # "use my bank account instead": the same amount with the method they just named.
                bal = await t.call("get_balance", {})
                state["method_hint"] = text
                return await self._offer_payment(t, state, int(state["amount_cents"]), int(bal.get("balance_cents", 0)))
        if is_affirmative(text) and not is_negative(text):
            args: dict[str, Any] = {"amount_cents": state["amount_cents"], "method_id": state["method_id"]}
            if state.get("invoice_id"):
                args["invoice_id"] = state["invoice_id"]
            res = await t.call("pay_balance", args)
            remaining = int(res.get("remaining_balance_cents", 0))
            method = res.get("method") or state["method_label"]
            if isinstance(method, dict):
                method = method.get("label", state["method_label"])
            return t.reply(
                f"Done: I've paid {format_cents(int(res['paid_cents']))} with {method}. "
                f"Your remaining balance is {format_cents(remaining)}.",
                done=True,
            )
        if is_negative(text) or is_cancel(text):
            return t.reply(
                "Okay, I haven't charged anything. Would you like to pay a different amount?",
                {
                    "stage": "need_amount",
                    "invoice_id": state.get("invoice_id"),
                    "method_hint": state.get("method_hint", ""),
                },
            )
        return t.reply(f"Pay {format_cents(state['amount_cents'])} with {state['method_label']}? (yes or no)", state)

    # -- explaining charges and waivers -------------------------------------------------

    async def _find_invoices(self, t: _Turn, text: str, *, kind: str | None, status: str) -> list[dict[str, Any]]:
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

    async def _not_yours(self, t: _Turn, ref: int | None) -> str | None:
        """ "I can't find invoice #211 on your account." when the number is not among theirs.

        Only the resident's own invoices are looked at, so the answer is the same whether or
        not that number exists for someone else.
        """
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

    async def _explain_start(self, t: _Turn, text: str) -> FlowReply:
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

    async def _explain(self, t: _Turn, inv: dict[str, Any]) -> FlowReply:
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

    def _ask_invoice(self, t: _Turn, invoices: list[dict[str, Any]], purpose: str, reason: str) -> FlowReply:
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

    async def _offer_own(self, t: _Turn, lead: str, purpose: str, reason: str) -> FlowReply:
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
                {"stage": "need_amount", "invoice_id": None, "method_hint": reason},
            )
        if len(own) == 1 and purpose == "waiver":
            reply = self._confirm_waiver_question(t, own[0], reason)
            return t.reply(f"{lead} Your open fee is this one. {reply.text}", reply.state)
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

    async def _waiver_start(self, t: _Turn, text: str) -> FlowReply:
        missing = await self._not_yours(t, detect_invoice_ref(text))
        if missing:
            return await self._offer_own(t, missing, "waiver", text)
        fees = await self._find_invoices(t, text, kind="fee", status="open")
        if not fees:
            return t.reply("I don't see an open fee on your account that could be waived.", done=True)
        if len(fees) == 1:
            return self._confirm_waiver_question(t, fees[0], text)
        return self._ask_invoice(t, fees[:5], "waiver", text)

    def _confirm_waiver_question(self, t: _Turn, inv: dict[str, Any], reason: str) -> FlowReply:
        due = int(inv.get("due_cents", inv.get("amount_cents", 0)))
        state = {"stage": "confirm_waiver", "invoice": _slim(inv), "reason": reason[:500]}
        return t.reply(
            f"Shall I request a waiver of the {inv.get('description', 'fee')} "
            f"({format_cents(due)}, invoice #{inv['invoice_id']})?",
            state,
        )

    async def _confirm_waiver(self, t: _Turn, text: str, state: dict[str, Any]) -> FlowReply:
        if is_affirmative(text) and not is_negative(text):
            return await self._waive(t, state["invoice"], str(state.get("reason") or text))
        if is_negative(text) or is_cancel(text):
            return t.reply("Okay, I haven't requested anything.", done=True)
        return t.reply(f"Shall I request a waiver of invoice #{state['invoice']['invoice_id']}? (yes or no)", state)

    async def _waive(self, t: _Turn, inv: dict[str, Any], reason: str) -> FlowReply:
        res = await t.call(
            "request_fee_waiver", {"invoice_id": int(inv["invoice_id"]), "reason": (reason or "Resident request")[:500]}
        )
        message = str(res.get("message", "")).strip()
        if not message:
            message = "The fee was waived." if res.get("waived") else "I've sent your request to the billing team."
        if res.get("ticket_id") and f"#{res['ticket_id']}" not in message:
            message += f" Reference: ticket #{res['ticket_id']}."
        return t.reply(message, done=True)

    def _to_human(self, t: _Turn, reason: str) -> FlowReply:
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
    "what's my balance and what are the office hours",
    "what's my balance, and when is the office open",
    "how much do I owe and where do I pick up packages",
    "pay $200 with my bank account",
    "use my checking account for the payment",
)

AGENT = AgentSpec(
    name="billing",
    vertical=Vertical.BILLING,
    description="Balance, invoices, payments, charge explanations and fee waivers for residents.",
    instructions=BILLING_INSTRUCTIONS,
    tools=(*BILLING_TOOLS, *GENERAL_TOOLS),
    default_tier=Tier.CHEAP,
    handoff_targets=("escalation", "booking", "general"),
    examples=BILLING_EXAMPLES,
    flow=BillingFlow,
)

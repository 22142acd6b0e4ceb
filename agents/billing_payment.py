"""Billing payments: amount, method and the yes/no question that names both before money moves.

Every step takes the `ToolTurn` so the amounts it states come from the turn's tool results.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from callcenter_agents.billing_amounts import (
    Requested,
    Scope,
    Share,
    attempted_amount,
    charge_named,
    requested_amount,
    scoped_request,
    share_cents,
    unclear_request,
    wants_correction,
)
from callcenter_agents.billing_intents import amount_text, detect_intent
from callcenter_agents.billing_methods import (
    any_method_is_fine,
    mentions_method,
    method_labels,
    pick_method,
    without_method,
)
from callcenter_agents.billing_scoped import NOUN, is_charge, scoped_amount
from callcenter_agents.extract import (
    FULL,
    is_affirmative,
    is_cancel,
    is_negative,
    parse_amount,
    pick_choice,
)
from callcenter_agents.extract.lead_in import request_core
from callcenter_agents.extract.polite import polite_core
from callcenter_agents.tool_turn import ToolTurn

from callcenter.specialists.flow import FlowReply
from callcenter.types import format_cents

_CHANGE_METHOD = re.compile(r"\b(update|change|add|remove|new)\b", re.I)

Restart = Callable[[ToolTurn, str], Awaitable[FlowReply]]
"""Starts the flow over on the text (a resident who changes the subject mid-payment)."""


# "just the rent", "only the late fee", "the parking part": a payment limited to one charge.
_ONLY = re.compile(r"\b(just|only|part|portion|bit|not the (whole|full|entire|total))\b", re.I)

_PAY_IT = re.compile(r"\b(pay|paying|settle|clear|cover)\b", re.I)

Charge = tuple[str, bool]
"""A charge as `billing_amounts.charge_named` reads it: (what, every open one of it)."""


def limited_to(text: str, *, answering: bool = False) -> Charge | None:
    """The charge a payment is limited to ("water", "parking", "late fee", "rent", "fee"…), else None.

    As a request it takes a word that limits ("just the rent", "the parking part only") or a charge
    named by name ("pay the water bill": "pay my rent" stays a payment of any amount); as the answer
    to "how much?" or to the confirm question, naming the charge is enough ("the rent", "rent please").
    """
    charge = charge_named(amount_text(text))
    if charge is None or parse_amount(amount_text(text)) is not None:
        return None
    if _ONLY.search(text) or (answering and len(text.split()) <= 5):
        return charge
    if charge[0] not in ("rent", "fee", "utility") and _PAY_IT.search(text):
        return charge
    return None


_REFUSED_PAY = re.compile(r"\b(?:don'?t|do not|not|never|won'?t|can'?t|cannot)\s+(?:\w+\s+)?pay", re.I)


def pays_named_charge(text: str) -> bool:
    """ "never mind that, just pay my water bill", "can i pay the parking part only": a request to pay
    one charge by name, whatever was being talked about (a waiver, another invoice, the billing team),
    and whatever the classifier hears in it (a question about parking)."""
    return (
        detect_intent(text) == "pay"
        and limited_to(text) is not None
        and _PAY_IT.search(text) is not None
        and not _REFUSED_PAY.search(text)
    )


async def offer_charge(t: ToolTurn, state: dict[str, Any], charge: Charge, owed: int) -> FlowReply:
    """The payment of the open charge named (the oldest, when several; every one, when they said
    "the late fees"), on those invoices only, so "just the rent" never pays the fees that came before
    it and "the water bill" never pays the late fee; a plain answer when there is none."""
    state.pop("parts", None)
    what, every = charge
    invoices = (await t.call("list_invoices", {"status": "open"})).get("invoices", [])
    of_kind = [i for i in invoices if is_charge(i, what) and int(i.get("due_cents", 0)) > 0]
    of_kind.sort(key=lambda i: (str(i.get("due_on", "")), int(i["invoice_id"])))
    if not of_kind:
        state.update(stage="need_amount", suggested=owed, invoice_id=None)
        state.pop("invoice_label", None)
        return t.reply(
            f"I don't see an open {NOUN.get(what, what)} on your account. Your balance is {format_cents(owed)}. "
            f"Would you like to pay {format_cents(owed)}, or another amount?",
            state,
        )
    chosen = of_kind if every else of_kind[:1]
    if len(chosen) > 1:
        state.update(invoice_id=None, parts=[[int(i["invoice_id"]), int(i["due_cents"])] for i in chosen])
    else:
        state.update(invoice_id=int(chosen[0]["invoice_id"]))
    state["invoice_label"] = " and ".join(str(i.get("description", "")) for i in chosen)
    return await offer_payment(t, state, sum(int(i["due_cents"]) for i in chosen), owed)


async def offer_scoped(t: ToolTurn, state: dict[str, Any], scope: Scope, bal: dict[str, Any]) -> FlowReply:
    """ "half of what's overdue", "everything except 100 bucks", "the late fee and the water bill": the
    amount read from the open invoices, named in the confirm question; when it can't be worked out,
    why, and the question for an amount (a bare "yes" then is not one)."""
    owed = int(bal.get("balance_cents", 0))
    got = await scoped_amount(t, scope, bal)
    state = {"invoice_id": None, "method_hint": state.get("method_hint", "")}
    if isinstance(got, str):
        return _how_much(t, state, owed, True, lead=f"{got} ")
    state.update(invoice_label=got.label, **got.state)
    if got.parts:
        state["parts"] = [list(p) for p in got.parts]
    return await offer_payment(t, state, got.cents, owed)


async def owed(t: ToolTurn) -> int:
    """The resident's balance in cents, from get_balance."""
    return int((await t.call("get_balance", {})).get("balance_cents", 0))


def _cents_of(amount: Requested | None, owed: int) -> int | str | None:
    """A requested amount against the balance: a share becomes cents, FULL stays FULL."""
    if isinstance(amount, Share):
        return share_cents(amount, owed)
    return amount


def _how_much(t: ToolTurn, state: dict[str, Any], owed: int, unclear: bool, lead: str = "") -> FlowReply:
    """Ask for the amount. When the message tried to say one and it could not be read, say so, and
    remember it: a bare "yes" after that is not an amount (and never the whole balance)."""
    state["stage"] = "need_amount"
    state.pop("suggested", None)
    if unclear:
        state["unclear"] = True
        lead = lead or "Sorry, I didn't catch the amount. "
        return t.reply(
            f"{lead}How much would you like to pay? Your balance is "
            f'{format_cents(owed)}; you can say an amount like "500", "half" or "all of it".',
            state,
        )
    return t.reply(f"{lead}How much would you like to pay? Your balance is {format_cents(owed)}.", state)


async def pay(
    t: ToolTurn, text: str, invoice_id: int | None, *, full_if_missing: bool = False, answering: bool = False
) -> FlowReply:
    bal = await t.call("get_balance", {})
    owed = int(bal.get("balance_cents", 0))
    if owed <= 0:
        return t.reply("You're all paid up: your balance is $0.00, so there's nothing to pay.", done=True)
    scope = scoped_request(amount_text(text)) if invoice_id is None else None
    if scope is not None:
        return await offer_scoped(t, {"method_hint": text}, scope, bal)
    charge = limited_to(text) if invoice_id is None else None
    if charge is not None:
        return await offer_charge(t, {"invoice_id": None, "method_hint": text}, charge, owed)
    amount = _cents_of(requested_amount(amount_text(text), answering=answering), owed)
    state: dict[str, Any] = {"invoice_id": invoice_id, "method_hint": text}
    unclear = unclear_request(without_method(text))  # "…with the bank account not the card" says no amount
    if amount is None and full_if_missing and not unclear:
        amount = FULL
    if amount is None:
        return _how_much(t, state, owed, unclear)
    return await offer_payment(t, state, amount, owed)


async def pay_invoice(t: ToolTurn, text: str, invoice: dict[str, Any]) -> FlowReply:
    """ "Fine, pay it" after a charge was explained, "half of it" after "your rent is…": that
    invoice's open amount (or the share or amount named), paid on that invoice only."""
    if scoped_request(amount_text(text)) is not None:  # "no, the late fee and the water bill": not this invoice
        return await pay(t, text, None)
    named = charge_named(amount_text(text))
    if named is not None and not is_charge(invoice, named[0]):
        return await pay(t, text, None)  # "ok just pay the water bill then" to a late fee's waiver: the water bill
    bal = await t.call("get_balance", {})
    owed = int(bal.get("balance_cents", 0))
    if owed <= 0:
        return t.reply("You're all paid up: your balance is $0.00, so there's nothing to pay.", done=True)
    invoices = (await t.call("list_invoices", {"status": "open"})).get("invoices", [])
    current = next((i for i in invoices if int(i["invoice_id"]) == int(invoice["invoice_id"])), None)
    if current is None or int(current.get("due_cents", 0)) <= 0:
        return await pay(t, text, None)  # paid or waived meanwhile: an ordinary payment
    due = int(current["due_cents"])
    state: dict[str, Any] = {
        "invoice_id": int(current["invoice_id"]),
        "invoice_label": str(current.get("description", "")),
        "method_hint": text,
    }
    requested = requested_amount(amount_text(text), answering=True)
    amount = _cents_of(requested, due)
    if amount is None and attempted_amount(text):
        return _how_much(t, {**state, "invoice_id": None, "invoice_label": None}, owed, True)
    if amount is None or amount == FULL:
        amount = due
    if isinstance(amount, int) and amount > due:  # more than this charge: toward the balance instead
        state.update(invoice_id=None)
        state.pop("invoice_label", None)
    return await offer_payment(t, state, amount, owed)


async def offer_payment(t: ToolTurn, state: dict[str, Any], amount: int | str, owed: int) -> FlowReply:
    cents = owed if amount == FULL else int(amount)
    if cents <= 0:
        state["stage"] = "need_amount"
        return t.reply(f"Please tell me an amount above $0.00. Your balance is {format_cents(owed)}.", state)
    lead = ""
    if cents > owed:  # the question that follows names the balance: a yes to it pays that, never more
        lead = f"That's more than you owe: the most you can pay right now is your balance of {format_cents(owed)}. "
        cents = owed
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
                {k: m.get(k) for k in ("method_id", "kind", "brand", "last4", "is_default", "label")} for m in methods
            ],
        )
        return t.reply(
            f"{lead}I don't see {missing or 'that payment method'} on your account. Your saved payment "
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
    on = f" for {state['invoice_label']}" if state.get("invoice_label") else ""
    return t.reply(f"{lead}Pay {format_cents(cents)}{on} with {method['label']}?", state)


async def picked_method(t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
    if is_cancel(text) or (is_negative(any_method_is_fine(text)) and not mentions_method(text)):
        return t.reply("Okay, I haven't charged anything.", done=True)  # not "i dont care which"
    methods: list[dict[str, Any]] = state.get("methods", [])
    idx = pick_choice(text, len(methods), [str(m.get("label", "")) for m in methods])
    # A bare "yes" to "Which one would you like to use?" picks none: the one they named isn't on file,
    # and another is charged only when they name it.
    if idx is None and mentions_method(text):
        found, _ = pick_method(methods, text)
        idx = next((n for n, m in enumerate(methods) if found is not None and m is found), None)
    if idx is None and any_method_is_fine(text) != text:  # "whichever one is fine": the default, asked about
        idx = next((n for n, m in enumerate(methods) if m.get("is_default")), 0)
    if idx is None:
        return t.reply(f"Which payment method should I use? Your saved ones are: {method_labels(methods)}.", state)
    state["method_hint"] = f"ending {methods[idx]['last4']}"
    bal = await t.call("get_balance", {})
    return await offer_payment(t, state, int(state["amount_cents"]), int(bal.get("balance_cents", 0)))


async def got_amount(t: ToolTurn, text: str, state: dict[str, Any], restart: Restart) -> FlowReply:
    said = any_method_is_fine(text)  # "i dont care which card, go ahead": the go-ahead, not a "don't"
    text = said if re.search(r"[a-z0-9]", said, re.I) else text
    if (scope := scoped_request(amount_text(text))) is not None:  # "half of what's overdue" to "How much?"
        return await offer_scoped(t, state, scope, await t.call("get_balance", {}))
    charge = limited_to(text, answering=True)
    if charge is not None:
        bal = await t.call("get_balance", {})
        return await offer_charge(t, state, charge, int(bal.get("balance_cents", 0)))
    requested = requested_amount(amount_text(text), answering=True)
    bal = await t.call("get_balance", {})
    owed = int(bal.get("balance_cents", 0))
    amount = _cents_of(requested, owed)
    if amount is None and is_affirmative(text) and not is_negative(text):
        if state.get("suggested"):  # "yes" to "Would you like to pay $75.00?": the amount it named
            amount = int(state["suggested"])
        elif state.get("unclear"):
            # "yes" after an amount that could not be read is not an amount, and never the balance.
            return t.reply(
                f'I still need the amount. How much would you like to pay? For example "500", "half" or '
                f'"all of it". Your balance is {format_cents(owed)}.',
                state,
            )
        else:
            # "yes" to a bare "How much?": the question back names the whole balance and the method,
            # and nothing moves until the resident says yes to that.
            amount = FULL
    if amount is None:
        if is_negative(text) or is_cancel(text):
            return t.reply("Okay, I haven't charged anything.", done=True)
        paying_with = mentions_method(text) and not _CHANGE_METHOD.search(text)  # "the card on file is fine"
        asks = bool(_NEW_QUESTION.search(request_core(text) or text))  # "now whats my balance": answered
        if (detect_intent(text) not in ("balance", "pay") or asks) and not paying_with:
            return await restart(t, text)
        if paying_with:
            state["method_hint"] = text
        if attempted_amount(text) or state.get("unclear"):
            return _how_much(t, state, owed, True)
        # Never the same question twice: the second time it is a yes/no about the whole balance.
        state["suggested"] = owed
        return t.reply(
            f"Would you like to pay your full balance of {format_cents(owed)}? Or tell me another amount.",
            state,
        )
    if owed <= 0:
        return t.reply("You're all paid up: your balance is $0.00, so there's nothing to pay.", done=True)
    if mentions_method(text):
        state["method_hint"] = text
    state.pop("unclear", None)
    return await offer_payment(t, state, amount, owed)


async def confirm_pay(t: ToolTurn, text: str, state: dict[str, Any], restart: Restart | None = None) -> FlowReply:
    """The yes/no that moves money. Anything else that is a question of its own ("what's my balance
    now?") is answered instead, and nothing is charged: asking "(yes or no)" again would loop."""
    said = any_method_is_fine(text)  # "yeah any card is fine, doesnt matter": the yeah, to the method named
    if not re.search(r"[a-z0-9]", said, re.I):  # "whichever works": no yes in it, and no other method
        return t.reply(f"Pay {format_cents(state['amount_cents'])} with {state['method_label']}? (yes or no)", state)
    text = said
    if (scope := scoped_request(amount_text(text))) is not None:  # "actually just the overdue stuff"
        return await offer_scoped(t, state, scope, await t.call("get_balance", {}))
    charge = limited_to(text, answering=True)
    if charge is not None:  # "actually just the rent": the amount changes, never the yes
        bal = await t.call("get_balance", {})
        state["stage"] = None
        return await offer_charge(t, state, charge, int(bal.get("balance_cents", 0)))
    plain_yes = is_affirmative(text) and not is_negative(text) and not wants_correction(text)
    # Anything but a plain yes is read as a possible new amount: "wait no, just a thousand".
    requested = requested_amount(amount_text(text), answering=not plain_yes)
    amount = _cents_of(requested, int(state.get("owed") or state["amount_cents"]))
    if (
        amount is not None
        and amount != state["amount_cents"]
        and not (amount == FULL and state["amount_cents"] == state.get("owed"))
    ):
        bal = await t.call("get_balance", {})
        state["method_hint"] = text if mentions_method(text) else state.get("method_hint", "")
        if state.pop("invoice_label", None):  # an amount of their own: no longer that one charge
            state["invoice_id"] = None
        state.pop("parts", None)
        return await offer_payment(t, state, amount, int(bal.get("balance_cents", 0)))
    if mentions_method(text):
        methods = (await t.call("list_payment_methods", {})).get("methods", [])
        picked, _ = pick_method(methods, text)
        if picked is None or picked["method_id"] != state["method_id"]:
            # "use my bank account instead": the same amount with the method they just named.
            bal = await t.call("get_balance", {})
            state["method_hint"] = text
            return await offer_payment(t, state, int(state["amount_cents"]), int(bal.get("balance_cents", 0)))
    other = detect_intent(text) in _OTHER_REQUESTS or bool(_NEW_QUESTION.search(request_core(text) or text))
    question = amount is None and ("?" in text or bool(_NEW_QUESTION.search(request_core(text))))
    if restart is not None and question and not is_affirmative(text):
        return await restart(t, text)  # "wait, what's my balance right now?": answered, nothing charged
    if amount is None and not is_negative(text) and (wants_correction(text) or attempted_amount(text)):
        # "wait no, just some of it": the pending amount is not what they want, and the new one was
        # not understood. Nothing is charged; the next bare "yes" is not an amount either.
        bal = await t.call("get_balance", {})
        keep = {"invoice_id": None, "method_hint": state.get("method_hint", "")}
        return _how_much(t, keep, int(bal.get("balance_cents", 0)), True, lead="Okay, I haven't charged anything. ")
    if is_affirmative(text) and not is_negative(text) and not other:
        return await _pay_confirmed(t, state)
    if is_negative(text) or is_cancel(text):
        return t.reply(
            "Okay, I haven't charged anything. Would you like to pay a different amount?",
            {
                "stage": "need_amount",
                "invoice_id": state.get("invoice_id"),
                "method_hint": state.get("method_hint", ""),
                "unclear": True,  # they just said no to that amount: a "yes" now is not it
            },
        )
    if restart is not None and amount is None and ("?" in text or other):
        return await restart(t, text)
    return t.reply(f"Pay {format_cents(state['amount_cents'])} with {state['method_label']}? (yes or no)", state)


async def _pay_confirmed(t: ToolTurn, state: dict[str, Any]) -> FlowReply:
    """The payment the resident just said yes to: one pay_balance, or one per charge they named."""
    parts: list[tuple[int | None, int]] = [(int(i), int(c)) for i, c in state.get("parts") or []]
    if not parts:
        parts = [(state.get("invoice_id"), int(state["amount_cents"]))]
    paid, res = 0, dict[str, Any]()
    for invoice_id, cents in parts:
        args: dict[str, Any] = {"amount_cents": cents, "method_id": state["method_id"]}
        if invoice_id:
            args["invoice_id"] = invoice_id
        res = await t.call("pay_balance", args)
        paid += int(res["paid_cents"])
    remaining = int(res.get("remaining_balance_cents", 0))
    method = res.get("method") or state["method_label"]
    if isinstance(method, dict):
        method = method.get("label", state["method_label"])
    return t.reply(
        f"Done: I've paid {format_cents(paid)} with {method}. Your remaining balance is {format_cents(remaining)}.",
        {"paid": {"remaining_cents": remaining, "paid_cents": paid}},  # the closing note "how much is left?" continues
        done=True,
    )


# A question of its own, not an answer to "Pay $75.00 with Visa?": a wh-word or an auxiliary first.
_NEW_QUESTION = re.compile(
    r"^\W*(?:(?:wait|hold on|actually|hmm+|oh|ok|okay|and|so|now)\W+)?"
    r"(what|what'?s|whats|when|where|which|who|why|how|hows|do(?!\s+(?:it|that|this)\b)|does|did|is|are|am|can|"
    r"could|will|would|should|"
    r"have|has|show|send|email|give)\b|^\W*(balance|receipt|invoices?)\W*$",
    re.I,
)
# Requests that are never a yes to "Pay $75.00 with Visa?", however they start ("ok waive it").
_OTHER_REQUESTS = frozenset(("waiver", "receipts", "explain", "autopay", "policy", "invoices"))


def payment_line(payment: dict[str, Any], *, day: bool = True) -> str:
    """ "$97.25 on Mar 10, 2026 with Discover ending 7909 (Late fee - rent November 2025)"."""
    paid_on = date.fromisoformat(str(payment["paid_on"]))
    paid_for = [str(x) for x in payment.get("paid_for") or []]
    what = f" ({', '.join(paid_for[:3])}{', …' if len(paid_for) > 3 else ''})" if paid_for else ""
    when = f" on {paid_on:%b} {paid_on.day}, {paid_on.year}" if day else ""
    return f"{format_cents(int(payment['amount_cents']))}{when} with {payment['method']}{what}"


# A follow-up about the payment just read back: "and when was it?", "which card?", "what was it for".
_ABOUT_PAYMENT = re.compile(
    r"^\W*(?:and|ok(?:ay)?|so|um+|oh)?[\s,]*(?:when|what (?:day|date|time)|how much|which (?:card|method|account)"
    r"|what (?:card|was it for|did it pay|for)|on what|was it)\b",
    re.I,
)


def asks_about_payment(text: str) -> bool:
    """Whether a short message asks about the payment just read back (not a new request)."""
    core = polite_core(text) or text  # "quick question, and when was it" / "hi tehre. when was it" ask "when was it"
    short = len(core.split()) <= 8
    return short and bool(_ABOUT_PAYMENT.search(core)) and detect_intent(core) in ("balance", "history")

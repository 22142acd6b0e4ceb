"""Which of the resident's invoices a message is about: by number, kind, amount or a word of its
description, and only ever among their own.

Kept apart from the replies that use it (agents/billing_charges.py explains a charge,
agents/billing_waivers.py asks for one to be waived) so that each of those reads the ledger the same way.
"""

from __future__ import annotations

from typing import Any, Final

from callcenter_agents.billing_intents import amount_text, invoice_line
from callcenter_agents.billing_questions import months_named
from callcenter_agents.extract import detect_invoice_ref, parse_amount
from callcenter_agents.replies import choice_prompt, numbered, words
from callcenter_agents.tool_turn import ToolTurn

from callcenter.specialists.flow import FlowReply
from callcenter.tooling.toolkit import ToolError

# Words every charge question has, which say nothing about which charge it is.
_GENERIC_CHARGE_WORDS: Final = frozenset(
    {"fee", "charge", "bill", "invoice", "account", "whats", "what", "this", "why"}
)


def slim(inv: dict[str, Any]) -> dict[str, Any]:
    """The fields of an invoice the flow keeps in its state between turns."""
    keys = ("invoice_id", "kind", "description", "amount_cents", "due_cents", "due_on", "status", "overdue")
    return {k: inv.get(k) for k in keys if k in inv}


async def find_invoices(t: ToolTurn, text: str, *, kind: str | None, status: str) -> list[dict[str, Any]]:
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
    return ranked(invoices, text)


def ranked(invoices: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """`invoices` in the order the resident most likely means them.

    "this late fee" is the late fee, not the latest fee: the charge whose description shares the most
    words with the question comes first ("the 95.75 late fee from july" is July's late fee, not August's
    of the same amount, which shares only "late"), then the most recent."""
    named = (words(text) | set(months_named(text))) - _GENERIC_CHARGE_WORDS  # "ocgober" is october
    return sorted(
        invoices,
        key=lambda i: (len(named & words(str(i.get("description", "")))), str(i.get("due_on", ""))),
        reverse=True,
    )


async def not_yours(t: ToolTurn, ref: int | None) -> str | None:
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


def ask_invoice(t: ToolTurn, invoices: list[dict[str, Any]], purpose: str, reason: str) -> FlowReply:
    """ "Which charge do you mean?" over `invoices`; the pick is then explained or waived (`purpose`)."""
    state = {
        "stage": "pick_invoice",
        "purpose": purpose,
        "reason": reason[:500],
        "invoices": [slim(i) for i in invoices],
    }
    return t.reply(
        "Which charge do you mean?\n"
        + numbered([invoice_line(i) for i in invoices])
        + f"\n{choice_prompt(len(invoices))}",
        state,
    )

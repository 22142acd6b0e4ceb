"""The resident's late fees, read from their charges: which months, how much, paid or open.

"why do i have 2 late fees on my account??" got the payment history, never naming the fees; "which
months were they for" then went to the guest policy, and "was there a late fee in september too?"
got "You're all paid up". Now a question about late fees lists them from `list_invoices` (a month
named narrows it, and says so when there was none that month), and the closing note lets a short
follow-up ("which months were they for", "and in september?") be answered the same way.
"""

from __future__ import annotations

import re
from typing import Any, Final

from callcenter_agents.billing_intents import invoice_line, late_fees_asked
from callcenter_agents.billing_lookup import slim
from callcenter_agents.billing_questions import DISPUTES, months_named
from callcenter_agents.extract.polite import fix_typos
from callcenter_agents.tool_turn import ToolTurn

from callcenter.specialists.flow import FlowReply

_LATE_FEE: Final = re.compile(r"\blate ?(fees?|charges?|penalt(y|ies))\b")
# Asking which, when, how many, whether there was one: not asking to pay or waive it.
_ASKS: Final = re.compile(
    r"\b(why|which|what|when|how many|was there|were there|is there|are there|did i (get|have|pay)|do i have|"
    r"have i (had|got)|show|list|all|any|too|also|months?)\b|\?"
)
_WHETHER: Final = re.compile(
    r"\b(was there|were there|is there|are there|any|did i (get|have|pay)|do i have|have i had)\b"
)
_ACTS: Final = re.compile(r"\b(waiv\w*|remove|take (it|them|that) off|(?<!did i )pay (it|them|that|the)|refund)\b")
# A few words after the fees were listed: "which months were they for", "and in september?", "when was that".
_FOLLOW_UP: Final = re.compile(
    r"\b(which|what) (months?|dates?|ones?)|when (was|were) (it|they|that|those)|what (were|was) (they|it) for|"
    r"(and|what about|how about|also|too)\b.{0,25}\b(january|february|march|april|may|june|july|august|september|"
    r"october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b"
)
_WORDS: Final = ("late", "fees", "months", "which", "september", "october", "november")


def asks_about_late_fees(text: str) -> bool:
    """A question about the resident's late fees ("why do i have 2 late fees", "was there a late fee in
    september too?", "show me all my late fees this year"), not a request to waive or pay one."""
    t = fix_typos(text, _WORDS)
    if not _LATE_FEE.search(t) or not _ASKS.search(t) or _ACTS.search(t):
        return False
    asked = late_fees_asked(t)
    if DISPUTES.search(t) and asked != "several":
        return False  # "i got charged a late fee for july?? i paid on time": that fee explained, with the waiver
    if asked == "one":
        return False  # "why do i have a late fee?": the one fee explained (the explain flow)
    return bool(asked == "several" or months_named(t) or _WHETHER.search(t))


def follows_up_late_fees(text: str) -> bool:
    """A short follow-up to the late fees just listed: about them, meaningless on its own."""
    t = fix_typos(text, _WORDS)
    return len(t.split()) <= 12 and bool(_FOLLOW_UP.search(t) or asks_about_late_fees(text))


def about_late_fees(text: str, finished: object) -> bool:
    """A question about the late fees, or a follow-up right after they were listed (`finished`: the
    state the billing flow closed with last turn)."""
    listed = isinstance(finished, dict) and bool(finished.get("late_fees"))
    return asks_about_late_fees(text) or (listed and follows_up_late_fees(text))


async def late_fees(t: ToolTurn, text: str) -> FlowReply:
    """The resident's late fees, each with its month, amount and whether it is paid; narrowed to the
    months the question names."""
    invoices = (await t.call("list_invoices", {"status": "all", "limit": 24})).get("invoices", [])
    fees = [i for i in invoices if _LATE_FEE.search(str(i.get("description", "")).lower())]
    fees.sort(key=lambda i: str(i.get("due_on", "")))
    closing: dict[str, Any] = {"late_fees": True}
    if not fees:
        return t.reply("You have no late fees on your account.", closing, done=True)
    months = months_named(text)
    named = [i for i in fees if any(m in str(i.get("description", "")).lower() for m in months)]
    if months and not named:
        which = " or ".join(m.capitalize() for m in months)
        lead = f"No, there was no late fee for {which}. "
        return t.reply(lead + _listed(fees), closing, done=True)
    if len(named) == 1 and named[0].get("status") == "open":  # "was there a late fee in july?": that one,
        # with the waiver offer, so "i want it removed" next asks for it (outsider 2026-12-02 #29)
        offer = {**closing, "stage": "offer_waiver", "invoice": slim(named[0]), "reason": text[:500]}
        return t.reply(f"Yes: {invoice_line(named[0])}. If you'd like, I can ask for this fee to be waived.", offer)
    if named:
        lead = "Yes: " if len(named) == 1 else ""
        return t.reply(lead + "; ".join(invoice_line(i) for i in named) + ".", closing, done=True)
    return t.reply(_listed(fees), closing, done=True)


def _listed(fees: list[dict[str, Any]]) -> str:
    count = "one late fee" if len(fees) == 1 else f"{len(fees)} late fees"
    lines = "\n".join(f"{n}) {invoice_line(i)}" for n, i in enumerate(fees, 1))
    return f"Your account shows {count}:\n{lines}"

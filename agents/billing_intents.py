"""Billing language: what the resident asks for, which payment method they mean, how an invoice reads.

Plain functions over text and tool results, tested without a flow or a database.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from callcenter_agents.billing_amounts import requested_amount
from callcenter_agents.billing_methods import CARD_REF
from callcenter_agents.billing_questions import DISPUTES, question_kind
from callcenter_agents.extract import (
    FULL,
    detect_invoice_ref,
)
from callcenter_agents.extract.lead_in import request_core, strip_lead_in
from callcenter_agents.extract.polite import fix_typos

from callcenter.types import format_cents

_AUTOPAY = re.compile(r"\b(auto-?pay\w*|automatic (payments?|debit)|recurring payments?)\b", re.I)
_WAIVER = re.compile(
    r"\b(waive\w*|waiver|forgive\w*|remove (the|that|this|my) (late )?fee|take (off|away) (the|that) fee|"
    r"refund (the|that|this) fee|reverse (the|that|this) (late )?fee)\b",
    re.I,
)
_RECEIPT = re.compile(r"\b(receipts?|proof of payment|paid invoices|confirmation of (my )?payment)\b", re.I)
# Payments already made: "how much was my last payment", "what did I pay today", "show me my payments",
# "I paid last week, why does it still say I owe". Answered from list_payments, never with a pay prompt.
_HISTORY = re.compile(
    r"\b((last|latest|recent|previous|past|most recent) (\w+ )?payments?|payment history|history of (my )?payments|"
    r"(what|which|any) payments? (did|have) i (make|made)|"
    r"my payments|payments (i'?ve|i have|i) made|what (did|have) i (pay|paid)|how much (did|have) i (pay|paid)|"
    r"when (did|was) (i|my) (last )?(pay|paid|payment)|when i (last )?paid|"
    r"did my (last )?payment (go through|post|clear|come through|get through)|"
    r"did (you|y'?all) (get|receive) my payment|have i (already )?paid|"
    r"(?<!if )i (already |just |recently )?paid\b(?! (it|that|them) (off|now))|what i paid|i made a payment)",
    re.I,
)
# Money back, or more time to pay: a person decides both; the chat says so and connects them.
_REFUND = re.compile(
    r"\b(refund\w*|money back|overcharg\w*|charged (me )?(too much|twice|double|more than)|double[- ]?charg\w*|"
    r"charged for the same|paid (too much|twice|more than)|took too much|wrong amount (was )?charged)\b",
    re.I,
)
_PLAN = re.compile(
    r"\b(payment (plan|arrangement)s?|installments?|instal?ments?|pay (it |this |that )?(off )?(in|over) "
    r"(parts|pieces|installments|chunks|(a few|several|two|three|\d) (months|payments))|"
    r"split (up )?(it|the|my) (payment|balance|rent|bill)|(more|extra) time to pay|extension (on|for) (my )?(rent|"
    r"payment|balance)|can'?t afford|cannot afford|financial hardship|hardship)\b",
    re.I,
)
# "how much is my rent", "what's my monthly rent", "how much is my rent and when is it due".
_RENT_Q = re.compile(
    r"\b(how much (is|'?s) (my |the )?(monthly )?rent|what('?s| is) (my |the )?(monthly )?rent\b(?! (for|charge))|"
    r"my (monthly )?rent (amount|cost)|rent amount|how much (do i|will i) pay (for|in) rent|"
    r"when('?s| is) my rent due|when do i (have to |need to )?pay (my )?rent)",
    re.I,
)
# An amount typed without "$" in a question about a charge: "whats the 97.25 for".
_BARE_MONEY = re.compile(r"(?<![\d/-])\$?\d{1,6}\.\d{2}\b|\$\d")
_METHODS = re.compile(
    r"\b(payment methods?|cards? on file|which card|what card|bank account on file|"
    r"(update|change|add|remove) (my|a|the) (card|bank|payment))\b",
    re.I,
)
_EXPLAIN = re.compile(
    r"\b(why|explain\w*|what is (this|that|the)|what'?s (this|that|the)|don'?t recognize|"
    r"don'?t understand|what for|break ?down|dispute|what are these)\b",
    re.I,
)
_EXPLAIN_WORDS = ("explain", "whats", "dispute", "recognize", "understand")
CHARGE_WORDS = re.compile(r"\b(charges?|fees?|bill|invoices?|rent|utilit\w*|water|electric\w*|trash|sewer)\b", re.I)
PAY_WORDS = re.compile(r"\b(pay|paying|settle|make a payment|put .{1,20} toward)\b", re.I)
_INVOICES = re.compile(r"\b(invoices?|bills?|statements?|charges|open items)\b", re.I)
# Questions about how paying works (not about this resident's account): the handbook answers them.
_POLICY_Q = re.compile(
    r"^\W*(how (do|can|does|should|would) (i|you|we|one|residents?|people|tenants?)\b(?! (still )?owe)|"
    r"how does .{0,30}\bwork|when (is|are|does|do) (the )?(rent|payments?|utilit\w*|fees?|late fees?)\b|"
    r"what happens if|is there (a|any) (grace period|fee|late fee)|do you (accept|take|charge)|"
    r"can i pay (with|by|in|using|online|cash|check)|where (do|can) i pay"
    r"|how much is the (late|returned payment) fee)",
    re.I,
)
# "is it a problem if I pay on the 8th?", "would I get charged if rent goes in late?": when a payment
# counts as late is a rule, asked the same way whether or not anything is owed today.
_TIMING_Q = re.compile(
    r"\b((is|would|will) (it|that) (be )?(a |an )?(problem|issue|ok|okay|fine|alright|bad)\b.{0,40}\bpa(y|id)|"
    r"(would|will|am) i (gonna |going to )?(get|be) (charged|fined|penali[sz]ed|hit with)\b.{0,40}\b(rent|pay)|"
    r"(pay|paying|pays|rent (goes|comes) (in|through)|rent is)\b.{0,30}\b(on|by|after) the \d{1,2}(st|nd|rd|th)\b|"
    r"(a (few|couple)( of)?|one|two|three|\d) days? late)\b",
    re.I,
)
# Asked to take a fee off, said of the fee just explained ("i want it removed", "take it off", "can you
# drop that"): the waiver the explanation offered. Meaningless without that fee, so only read then.
_REMOVE_IT = re.compile(
    r"\b((remove|take off|get rid of|drop|waive|cancel|reverse|erase|delete|wipe( out)?|forgive|void|"
    r"take away)( it| that| this| the fee| that fee| this fee| the charge| that charge)\b|"
    r"take (it|that|this) (off|away)|(it|that|this) (removed|taken off|waived|dropped|reversed|gone|voided))",
    re.I,
)


def asks_to_remove_it(text: str) -> bool:
    """A request to take off the fee just explained ("i want it removed", "can u take that off?")."""
    return bool(_REMOVE_IT.search(fix_typos(text, ("removed", "remove", "waived", "waive"))))


# Several late fees named ("2 late fees", "my late charges"): listed, each with its month.
_SEVERAL_FEES = re.compile(r"\blate ?(fees|charges|penalties)\b", re.I)
# One fee asked about ("why do i have a late fee?", "whats the late fee for?? i paid november rent"): what
# it is for, which rent and when that was paid, even when a month is named.
_ONE_FEE = re.compile(
    r"\bwhy\b|\b(what'?s|what is|what was)\b( \w+){0,3} late ?(fee|charge|penalty)( \w+)? (for|about)\b|"
    r"\b(what'?s|what is|what was) (the|this|that)( \$?\d[\d,]*(\.\d\d)?)? late ?(fee|charge|penalty)\b",
    re.I,
)
BOOKING_CUE = re.compile(
    r"\b(book|schedule|repair|fix|appointment|visit|technician|plumber|electrician|"
    r"maintenance|viewing|tour)\b",
    re.I,
)


# Words the billing detectors look for, mended when typed with one slip ("histry", "tday", "monthy", "wats").
_BILLING_WORDS = (
    *("history", "payment", "payments", "today", "monthly", "rent", "refund", "installments"),
    *("receipt", "toward", "towards", "remaining", "charged", "overcharged", "arrangement", "plan"),
    *("card", "cards", "account"),  # "carrds", "accont"; "card" listed so it stays "card"
    *("grace", "period"),  # "is there a grace peroid"
)
# "put $1,500 on my account", "send 1k toward my balance": money toward the account is a payment.
_MONEY_VERB = re.compile(r"\b(put|send|apply|transfer|give (you|y'?all))\b", re.I)
# An amount offered as the answer to "how much?": "I can do 1,000", "let's do one thousand", "how about 1k".
_AMOUNT_OFFER = re.compile(
    r"^\W*(?:(?:so|ok(?:ay)?|um+|uh+|well|hmm+|excuse me|hi|hey|hello)[\s,.!]+)*"
    r"(?:i\s+can\s+(?:do|pay|afford|manage)|let'?s\s+(?:do|say|go\s+with)|how\s+about|make\s+it|i'?ll\s+(?:do|pay|go\s+with)"
    r"|can\s+i\s+do|i\s+could\s+(?:do|pay))\b",
    re.I,
)
_STRONG_MONEY = re.compile(
    r"\$\s?\d|\d\s*k\b|\d{1,3},\d{3}|\d+\.\d{2}\b|\b(?:hundred|thousand|grand|dollars?|bucks?)\b", re.I
)


# The resident says they are paying ("I'll pay…", "I want to pay…", "can I pay…"), not asking a rule.
_PAYING_NOW = re.compile(
    r"^\W*(?:\w+[\s,]+){0,3}?(?:i'?ll|i will|i want to|i wanna|i'd like to|id like to|let me|can i|could i|i can"
    r"|i'?m going to|im gonna|i'?m gonna|gonna) (?:just )?pay\b",
    re.I,
)


def is_amount_offer(text: str) -> bool:
    """ "I can do 1,000" / "let's do one thousand": an amount to pay, whatever the classifier hears
    ("let's do 2" is a slot's number, not money: only amounts that read as money count)."""
    mended = fix_typos(text)
    return bool(_AMOUNT_OFFER.search(mended) and _STRONG_MONEY.search(mended))


def detect_intent(text: str) -> str:
    """autopay | waiver | refund | plan | history | receipts | methods | policy | explain | rent | pay |
    invoices | balance."""
    text = fix_typos(text, _BILLING_WORDS)
    if _AUTOPAY.search(text):
        return "autopay"
    if _WAIVER.search(text):
        return "waiver"
    if _REFUND.search(text) and not re.search(r"\bdeposit\b", text, re.I):
        return "refund"
    if _PLAN.search(text):
        return "plan"
    if _RECEIPT.search(text):
        return "receipts"
    disputes = DISPUTES.search(text) and CHARGE_WORDS.search(text)
    # "I want to dispute the late fee, I paid on time" is a dispute; "whats the late fee for?? i paid
    # november rent" asks what the fee is for.
    asks_fee = _EXPLAIN.search(text) and re.search(r"\b(fees?|charges?)\b", text, re.I)
    if _HISTORY.search(text) and not disputes and not asks_fee:
        return "history"
    if disputes and re.search(r"\b(fees?|charges?|charged)\b", text, re.I):
        return "explain"  # "i got charged a late fee but i paid on time!!": that fee, why, and the waiver offer
    if _METHODS.search(text):
        return "methods"
    if _PAYING_NOW.search(request_core(text)) and requested_amount(text) is not None:
        return "pay"  # "I'll pay half today and the rest on the 15th": a payment now, not a rule question
    if is_policy_question(text):
        return "policy"
    explain = _EXPLAIN.search(text) or _EXPLAIN.search(fix_typos(text, _EXPLAIN_WORDS))  # "wyats", "expalin"
    if explain and (CHARGE_WORDS.search(text) or detect_invoice_ref(text) is not None or _BARE_MONEY.search(text)):
        return "explain"
    if _RENT_Q.search(text):
        return "rent"
    if PAY_WORDS.search(text) or is_amount_offer(text):
        return "pay"
    if _MONEY_VERB.search(text) and requested_amount(text) is not None:
        return "pay"  # "can i put 1,500.00 on my account"
    if requested_amount(text) == FULL and re.search(r"\b(rest|remainder|remaining)\b", text):
        return "pay"  # "and the rest of it too" after a payment
    if _INVOICES.search(text):
        return "invoices"
    return "balance"


def late_fees_asked(text: str) -> Literal["one", "several"] | None:
    """How many late fees a question about them is about: "several" ("why do i have 2 late fees", "show
    me my late charges") are listed; "one" ("why do i have a late fee?", "what is this late fee about?")
    is explained (which rent, when it was paid, the grace period); None when the wording says neither
    ("was there a late fee in september?", which the late-fees list answers by its month)."""
    if _SEVERAL_FEES.search(text):
        return "several"
    return "one" if _ONE_FEE.search(text) else None


def is_account_money_question(text: str) -> bool:
    """Payments made, a refund, a payment plan, "what's the 97.25 for", the cards on file, paying later:
    billing answers these from the account or hands them to its team (a business route rule: the
    classifier hears them as out of scope or as a request to pay)."""
    if re.search(r"\bdeposit\b", text, re.I):
        return False  # the security deposit is the move-out handbook's
    if question_kind(text) not in (None, "last_amount"):
        # "did my november rent go through?", "why am i charged 35 dollars"; not "how much was it?",
        # which means something only right after a payment (the billing continuation takes it then)
        return True
    explain = _EXPLAIN.search(text) or _EXPLAIN.search(fix_typos(text, _EXPLAIN_WORDS))  # "wats the 97.25 for"
    text = fix_typos(text, _BILLING_WORDS)
    if _PLAN.search(text) or re.search(
        r"\b(receipts?|refund\w*|money back|overcharg\w*|charged (me )?too much)\b", text
    ):
        return True  # a double charge reported as a grievance stays the classifier's (a complaint, a person)
    if _HISTORY.search(text):
        return not BOOKING_CUE.search(text)  # "I paid for a plumber last time and it still leaks" is a repair
    if DISPUTES.search(text) and re.search(r"\b(late ?fees?|fees?|charged)\b", text):
        return True  # "i got charged a late fee for october?? i paid on time": that fee, explained
    return bool(explain and _BARE_MONEY.search(text))


def is_payment_timing_question(text: str) -> bool:
    """ "would I get fined if rent comes in on the 10th?": when a payment counts as late, a rule
    question billing answers from the handbook (a business route rule: the classifier hears a repair)."""
    return bool(_TIMING_Q.search(text)) and not _EXPLAIN.search(text)


def is_policy_question(text: str) -> bool:
    """ "how do I pay rent?", "when is rent due?": how paying works, not this resident's ledger.

    "when is MY rent due" and "how much do I owe" stay account questions (balance, next due).
    """
    text = strip_lead_in(text)  # "hey, quick question, is there a grace period?" asks the same
    if re.match(r"^\W*what (happens )?if\b", text, re.I):
        return True  # a hypothetical ("what if my rent is late?") asks about the rules, not the ledger
    if is_payment_timing_question(text):
        return True
    if not _POLICY_Q.search(text):
        return False
    personal = re.search(r"\b(my|me|i owe|next)\b", text, re.I)
    return not (personal and re.match(r"^\W*(when|what)\b", text, re.I))


def is_billing(text: str) -> bool:
    """Whether a request is about money on the account (for splitting two-part messages)."""
    return bool(
        CHARGE_WORDS.search(text)
        or PAY_WORDS.search(text)
        or _INVOICES.search(text)
        or re.search(r"\b(balance|owe|payments?|autopay|receipts?|refund\w*)\b", text, re.I)
    )


def amount_text(text: str) -> str:
    """The message without card digits, so `ending 4242` is never read as $4,242."""
    return CARD_REF.sub(" ", text)


def invoice_line(inv: dict[str, Any]) -> str:
    due = int(inv.get("due_cents", inv.get("amount_cents", 0)))
    total = int(inv.get("amount_cents", due))
    owed = f"{format_cents(due)} due" if inv.get("status") != "paid" else f"{format_cents(total)} paid"
    grace = inv.get("grace_ends")
    overdue = f", within the grace period until {grace}" if grace else ", overdue" if inv.get("overdue") else ""
    return f"{inv.get('description', inv.get('kind', 'charge'))}: {owed} (due date {inv.get('due_on')}{overdue})"

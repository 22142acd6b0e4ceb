"""Billing questions that read like a payment or a balance request but are neither.

"how much was it again?" (right after a payment), "did my november rent go through?", "what cards do
i have on file", "why am i being charged 35 dollars", "can i pay the rest on the 15th instead": each
is answered from the ledger or honestly declined (agents/billing_answers.py), never turned into a
"Pay $X?" prompt, so a following "yes" cannot charge anything. Plain functions over text, tested
without a flow or a database; the route rule (`billing_intents.is_account_money_question`) uses
them too, except the last-amount question, which means something only right after a payment.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from callcenter_agents.extract.lead_in import strip_lead_in
from callcenter_agents.extract.polite import fix_typos

Kind = Literal["last_amount", "went_through", "methods", "charge_amount", "later", "part"]

MONTHS: Final = (
    *("january", "february", "march", "april", "may", "june", "july", "august"),
    *("september", "october", "november", "december"),
)
# Slips mended before the rules read the text ("novmber", "paymnet", "chargd").
_WORDS: Final = (
    *MONTHS,
    "again",
    "remind",
    "payment",
    "through",
    "charged",
    "methods",
    "schedule",
    "instead",
    "posted",
    "card",
    "cards",  # "what carrds do i have on file" ("card" listed so it stays "card")
    "sorry",  # "soorry how much was it"
    "saved",  # "show me my savved cards"
    "stored",
    "clear",  # "did the november rent payment cllear"
)

# "how much was it again?", "how much was that payment", "what was the amount again", "remind me how much".
_LAST_AMOUNT = re.compile(
    r"^(and |so |wait |sorry |um |ok |okay )*(how much (was|were|did)( (it|that|this|the|my|those))?"
    r"( (last|latest|recent))?( (payment|one|charge|amount|i pay|that come to|it come to))?|"
    r"what was (the|that) (amount|total|payment)( (again|just now))?|remind me (of )?(how much|the amount)"
    r"( (it|that|i paid) was| i paid)?)( again| just now| exactly)?\W*$"
)
# What the resident asks about: a month, and/or what the payment was for.
_WHAT: Final = {
    "rent": r"rent",
    "water": r"water|sewer|trash|utilit(y|ies)",
    "late fee": r"late fee",
    "parking": r"parking",
    "pet rent": r"pet( rent| fee)?",
    "lockout": r"lock ?out",
}
_WENT_THROUGH = re.compile(
    r"\b(did|has|have|was|were|is)\b.{0,60}\b(go(ne)? through|went through|come through|get through|"
    r"post(ed)?|clear(ed)?|(get|got|been) (paid|received|processed)|received|process(ed)?|paid|go in|went in)\b"
    r"|\bdid (you|y'?all|you guys|you all) (get|receive|got) (my|the)\b"
)
_METHODS_Q = re.compile(
    r"^(what|which|wat|wich|whats|what'?s|what are)( are)? (my )?(saved |stored )?(cards?|payment (methods?|options?)|"
    r"methods? of payment|bank accounts?)\b(?!.*\b(use|used|pay|paid|charge|charged)\b)|"
    r"^(what|which) (cards?|payment methods?|accounts?) (do|did|have) (i|you)\b|"
    r"^(do|did) (i|you) have (a |any )?(cards?|payment methods?|bank accounts?) (on file|saved|stored)|"
    r"^(show|list|tell) me (my |the )?(saved |stored )?(cards?|payment methods?)\b(?!.*\b(use|pay|charge)\b)|"
    r"^what('?s| is| do i have| do you have) (on file|saved)\b"
)
# "why do i have a late fee, i paid my rent": what the fee is for, not whether the rent went through.
# A charge argued against: "dispute", "unfair", or that it should not have been charged ("i paid on
# time", "i was never late", "i never got a notice"). Such a fee is explained, with the waiver offer.
DISPUTES: Final = re.compile(
    r"\b(dispute|contest|challenge|unfair|wrong|(paid|pay|payed)( [\w']+){0,3} on time|"
    r"(was|wasn'?t|wasnt|was not|never|not) (ever )?late|"
    r"never (got|received|saw) (a|any|the) (notice|warning|letter))\b",
    re.I,
)
_FEE_Q = re.compile(r"\b(why|what)\b[^?.!,]{0,30}\b(fees?|charges?)\b")
_CHANGE = re.compile(r"\b(update|change|add|remove|delete|new)\b")
# A charge named by its amount: "why am i being charged 35 dollars", "what is the 92.50 for".
_CHARGE_Q = re.compile(
    r"\b(why|what)\b.{0,40}\b(charg\w*|billed|billing|fee|owe|bill)\b|\bwhat('?s| is| was| are)\b.*\bfor\b\W*$|"
    r"\bwhat('?s| is| was)( the| this| that)? \$?\d|\bwhat('?s| is| was) (this|that|the) .{0,20}\b(charge|fee)\b"
)
_MONEY = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d\d)?)|(?<![\d.])(\d[\d,]*\.\d\d)\b|(?<![\d.$])(\d[\d,]*)\s*(?:dollars?|bucks|usd)\b"
    r"|\b(?:the|this|that|a) (\d{1,5})(?= (?:for|charge|fee|bill|on)\b)"
)
# Paying later: on a day of the month, next week, a schedule.
_LATER = re.compile(
    r"\b(on|by|until|till|til) (the )?\d{1,2}(st|nd|rd|th)\b|\b(later|next (week|month|friday|monday|tuesday|"
    r"wednesday|thursday|saturday|sunday)|on (friday|monday|tuesday|wednesday|thursday|saturday|sunday)|"
    r"schedul\w*|post-?dated?|in a (week|few days|couple (of )?(days|weeks))|at the end of the month)\b"
)
_PAY = re.compile(r"\b(pay|paying|payment)\b")
_PART = re.compile(r"\b(half|part|some|portion|partial(ly)?|a bit|a little)\b")
_NOW = re.compile(r"\b(today|now|right away|tonight)\b")
# "can i pay my rent on the 10th?" asks when rent counts as late (the handbook's rule); "instead",
# "the rest" or "schedule" ask to move a payment.
_MOVE = re.compile(r"\b(instead|schedul\w*|the rest|rest of|remainder|set up|later|postpone|push)\b")
# "what happens if I pay on the 10th?", "would I get a late fee if…": the handbook's rule, not a move.
_IF = re.compile(r"^(what happens|what if|is there|would i|will i|do i get|am i|what'?s the|how late)\b|\bif i\b")
_QUESTION_START = re.compile(r"^(can|could|may|is it ok|is it possible|would it be ok|am i able|how do i|how can i)\b")


def _text(text: str) -> str:
    t = fix_typos(text, _WORDS).replace("\u2019", "'")
    t = re.sub(r"\bthru\b", "through", t)
    return strip_lead_in(t)


def months_named(text: str) -> list[str]:
    """Months the text names, in full ("nov" and "novmber" are november)."""
    t = fix_typos(text, MONTHS)
    return [m for m in MONTHS if re.search(rf"\b({m}|{m[:3]})\b", t) and not (m == "may" and _may_verb(t))]


def _may_verb(t: str) -> bool:
    return bool(re.search(r"\bmay i\b|\bi may\b|\bmay (be|have|need)\b", t))


def what_named(text: str) -> str | None:
    """What a payment was for, as the resident names it ("rent", "water", "late fee"), else None."""
    t = fix_typos(text)
    for label, pattern in _WHAT.items():
        if label == "rent" and re.search(r"\bpet rent\b", t):
            continue
        if re.search(rf"\b({pattern})\b", t):
            return label
    return None


def charged_cents(text: str) -> int | None:
    """The amount a charge question names ("35 dollars", "the 92.50", "$35"), in cents."""
    for m in _MONEY.finditer(fix_typos(text)):  # "35 dolars", "35 dollasr"
        raw = next(g for g in m.groups() if g).replace(",", "")
        if re.fullmatch(r"(19|20)\d\d", raw):
            continue  # a year
        cents = round(float(raw) * 100)
        if cents > 0:
            return cents
    return None


def asks_last_amount(text: str) -> bool:
    """ "how much was it again?": the payment just made, meaningful only right after one."""
    return bool(_LAST_AMOUNT.search(_text(text).strip(" ?.!")))


def question_kind(text: str) -> Kind | None:
    """went_through | methods | charge_amount | part | later | last_amount, or None for any other message."""
    t = _text(text)
    if _METHODS_Q.search(t) and not _CHANGE.search(t):
        return "methods"
    if asks_last_amount(text):
        return "last_amount"
    if (
        _WENT_THROUGH.search(t)
        and (months_named(t) or what_named(t))
        and _is_payment_talk(t)
        and not _FEE_Q.search(t)
        and not _disputes_fee(t)
    ):
        return "went_through"
    if _PAY.search(t) and _PART.search(t) and (_LATER.search(t) or _MOVE.search(t)) and _asks(t):
        return "part"  # "can i pay half now and half on the 15th?": what paying part means, then how much
    if _PAY.search(t) and _LATER.search(t) and not _NOW.search(t) and not _IF.search(t):
        if _QUESTION_START.search(t) and not _MOVE.search(t) and re.search(r"\b(on|by) (the )?\d", t):
            return None  # "can i pay my rent on the 10th?": when it counts as late, the handbook's answer
        if _QUESTION_START.search(t) or "?" in t or _MOVE.search(t):
            return "later"
    if _CHARGE_Q.search(t) and charged_cents(t) is not None:
        return "charge_amount"
    return None


def _disputes_fee(t: str) -> bool:
    """ "this late fee is wrong, i paid rent on time": the fee argued with, not whether rent went through."""
    return bool(DISPUTES.search(t) and re.search(r"\b(fees?|charges?|charged)\b", t))


def asks_paying_part(text: str) -> bool:
    """ "is it ok if i pay part today and the rest at the end of the month": billing's answer (what stays
    owed, the late fee), not the handbook's "is it allowed" (a business route rule)."""
    return question_kind(text) == "part"


def _asks(t: str) -> bool:
    return "?" in t or bool(_QUESTION_START.search(t) or re.search(r"(^|[.!,]\s*)(can|could|may|is it ok)\b", t))


def _is_payment_talk(t: str) -> bool:
    return bool(re.search(r"\b(pay\w*|paid|rent|bill|fee|charge|check|autopay|transfer)\b", t))

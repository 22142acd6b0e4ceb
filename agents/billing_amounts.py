"""How much a resident asks to pay, in the words residents use, and when they did not say.

`extract.parse_amount` reads money with a currency cue ("$500", "fifty dollars"). Asked to pay,
residents also say "pay 75", "a thousand", "fifteen hundred", "two fifty", "1k", "half of it",
"the rest". Those are read here, where the flow knows it is talking about a payment:

- a bare number or number words count only right after a pay verb ("pay 75", "i wanna pay fifteen
  hundred") or as the answer to "how much?" / a correction of the pending amount ("just a thousand");
- a share of the balance ("half", "a third", "50%") is a `Share`: only the flow knows the balance;
- "the rest", "what's left", "all of it" is the whole balance (`FULL`);
- "two fifty" / "twelve fifty" is said-as-a-price: $250 / $1,250 (the confirm question names the
  exact amount before anything moves, so a misreading costs a "no", never money);
- a message that tries to say an amount and cannot be read is `attempted_amount`: the flow then asks
  again and never lets the next bare "yes" stand for the whole balance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

from callcenter_agents.extract import FULL, detect_charge_kind, parse_amount
from callcenter_agents.extract._text import SMALL_NUMBERS, TENS, words_value
from callcenter_agents.extract.amount import mask_not_money
from callcenter_agents.extract.lead_in import request_core
from callcenter_agents.extract.polite import fix_typos, polite_core

__all__ = [
    "Scope",
    "Share",
    "attempted_amount",
    "charge_named",
    "requested_amount",
    "scoped_request",
    "share_cents",
    "unclear_request",
    "wants_correction",
]


@dataclass(frozen=True, slots=True)
class Share:
    """A fraction of the balance the resident named ("half" is Share(Fraction(1, 2)))."""

    fraction: Fraction


Requested = int | Literal["full"] | Share


@dataclass(frozen=True, slots=True)
class Scope:
    """A payment of a part of the account named by what it is, not by an amount: what's overdue ("the
    overdue stuff"), the balance less an amount ("everything except 100 bucks") or charges by name ("the
    late fee and the water bill"), with a share of it when one is said ("half of what's overdue").
    Only the flow knows the amounts: it reads them from the open invoices and confirms before paying."""

    base: Literal["overdue", "balance", "charges", "all_but_charges"]
    charges: tuple[tuple[str, bool], ...] = ()  # (what, plural): ("late fee", False), ("water", True)
    share: Fraction | None = None
    less_cents: int = 0


_NUMBER_WORD: Final = "|".join([*SMALL_NUMBERS, *TENS, "hundred", "thousand", "grand"])
_SHARES: Final[tuple[tuple[re.Pattern[str], Fraction], ...]] = (
    (re.compile(r"\b(?:two|2)[\s-]+thirds?\b"), Fraction(2, 3)),
    (re.compile(r"\bthree[\s-]+quarters?\b|\b75\s*(?:%|percent)"), Fraction(3, 4)),
    (re.compile(r"\bhalf\b|\b50\s*(?:%|percent)|\bfifty\s+percent\b|\b1/2\b"), Fraction(1, 2)),
    (re.compile(r"\b(?:a|one|1)[\s-]+third\b|\b1/3\b"), Fraction(1, 3)),
    (re.compile(r"\b(?:a|one|1)[\s-]+quarter\b|\b25\s*(?:%|percent)|\b1/4\b"), Fraction(1, 4)),
)
# "what's left" alone asks a question ("how much is left?"); after a pay verb it names an amount.
_REST = re.compile(
    r"\b(?:the\s+rest|the\s+remainder|rest\s+of\s+(?:it|the\s+balance|my\s+balance|what\s+i\s+owe)"
    r"|(?:the\s+)?remaining\s+(?:balance|amount)|whatever'?s\s+(?:left|remaining)|everything\s+(?:left|remaining)"
    r"|pay\s+(?:off\s+)?(?:what'?s|what\s+is)\s+(?:left|remaining))\b"
)
# "the rest on the 15th" is a plan for later, not this payment ("half now and the rest on the 15th").
_LATER = re.compile(r"\b(?:the\s+rest|remainder)\s+(?:on|by|next|later|at\s+the\s+end|after|in\s+\w+\s+weeks?)\b")
_PAY_VERB = re.compile(
    r"\b(?:pay(?:ing)?|put|send|charge|apply|transfer|make\s+(?:it|that|a\s+payment\s+of)|do|afford|manage)\b"
)
# What may stand between the verb and the number: "pay like 75", "pay you guys just a thousand".
_GAP: Final = r"(?:\s+(?:me|you|you\s+guys|y'?all|off|just|only|about|like|around|roughly|maybe|back|toward\w*|in))*"
_WORDS_RUN: Final = rf"(?:(?:a|an)\s+)?(?:{_NUMBER_WORD})(?:(?:\s+|-)(?:and\s+)?(?:{_NUMBER_WORD}))*\b"
_NUMBER: Final = rf"(?:\$?\d[\d,]*(?:\.\d{{1,2}})?\s*k?\b|{_WORDS_RUN})"
_AFTER_VERB = re.compile(rf"{_PAY_VERB.pattern}{_GAP}\s+({_NUMBER})")
# A number that counts things, not money: "pay the 2 water bills", "pay three invoices", "pay 2 months".
_COUNTED = re.compile(
    rf"(?:\d+|{_NUMBER_WORD})\s+(?:of\s+(?:the|my)\s+)?(?:(?!(?:on|for|to|towards?|against|off)\b)\w+\s+)?(?:bills?|invoices?|charges?|fees?|months?|items?|payments?"
    r"|installments?|weeks?|days?|times?|cards?)\b"
)
# Digits that name a card or an account, not money: "the 2777 card", "my visa 4242".
_CARD_DIGITS = re.compile(
    r"\b\d{4}\s+(?:card|account|one)\b|\b(?:visa|amex|mastercard|discover|card|account|ending|in)\s+\d{4}\b"
)
_CORRECTION = re.compile(
    r"\b(?:wait|hold\s+on|hang\s+on|actually|instead|rather|just|only|make\s+(?:it|that)|change\s+(?:it|that)"
    r"|no|nope|not|don'?t|but|i\s+meant|i\s+mean|less|lower|smaller|different|other\s+amount|another\s+amount)\b"
)
# "that one", "whichever one" pick a thing, they say no amount: "one" alone is not amount-ish.
_AMOUNT_WORD: Final = "|".join(w for w in [*SMALL_NUMBERS, *TENS, "hundred", "thousand", "grand"] if w != "one")
_AMOUNTISH = re.compile(
    rf"\d|\b(?:{_AMOUNT_WORD}|half|third|quarter|percent|some|part|portion|bit|most|little|partial|k|less|more"
    r"|much|not all|not everything|not the (?:whole|full|entire))\b"
)
# "not all of it", "not the whole thing": the opposite of the whole balance, and no amount yet.
_NOT_FULL = re.compile(
    r"\b(?:not|n'?t)\s+(?:pay\s+)?(?:all|the\s+(?:whole|full|entire|total)|everything|that\s+much|the\s+full)\b"
)
# Everything a plain request to pay is made of ("I'd like to make a payment please"): a message with any
# other word may have tried to say how much, so "How much?" is asked as a question that was not understood.
_BARE_PAY_TEXT: Final = (
    "i i'd id i'm im want wanna would like to can could may let me make a an pay paying payment my the "
    "balance bill rent account it now today please pls thanks thx thank you hi hello hey um uh so ok okay "
    "yes yeah yep sure go ahead do that just need have got gotta should lets let's settle settling clear "
    "square up off bills dues charges amount due owe owed what well at least actually then instead and"
)
_BARE_PAY_WORDS: Final = frozenset(_BARE_PAY_TEXT.split())


# Words mended when typed with one slip ("whtaever's left", "thousnad"): the confirm question names the
# exact amount read, so a mended word costs at most a "no".
_MENDED: Final = (
    *("whatever", "whatever's", "remaining", "remainder", "everything", "rest", "half", "quarter", "third"),
    *("hundred", "thousand", "fifteen", "twelve", "eleven", "thirteen", "fourteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"),
)


def _said_as_price(words: list[str]) -> int | None:
    """ "two fifty" -> 250, "twelve fifty" -> 1250, "nineteen ninety nine" -> 1999 (whole dollars)."""
    for cut in range(1, len(words)):
        head, tail = words_value(words[:cut]), words_value(words[cut:])
        if head is None or tail is None or not 1 <= head <= 99 or not 10 <= tail <= 99:
            continue
        return head * 100 + tail
    return None


def _number_cents(raw: str) -> int | None:
    """Cents of one number as typed or said: "75", "$2,288.05", "1k", "a thousand", "two fifty"."""
    raw = raw.strip()
    digits = re.fullmatch(r"\$?(\d[\d,]*(?:\.\d{1,2})?)\s*(k)?", raw)
    if digits:
        try:
            dollars = float(digits[1].replace(",", ""))
        except ValueError:
            return None
        cents = round(dollars * 100) * (1000 if digits[2] else 1)
        return cents if cents > 0 else None
    words = [w for w in raw.replace("-", " ").split() if w]
    value = words_value(words)
    if value is None:
        value = _said_as_price([w for w in words if w != "and"])
    if value is None or value <= 0 or words == ["one"]:
        return None
    return value * 100


def _masked(t: str) -> str:
    for pattern in (_CARD_DIGITS, _COUNTED):
        t = pattern.sub(lambda m: " " * len(m[0]), t)
    return t


def _share(t: str) -> Share | None:
    if re.search(r"\bhalf\s+(?:an?\s+)?(?:hour|day|month|year)\b", t):
        return None
    for pattern, fraction in _SHARES:
        if pattern.search(t):
            return Share(fraction)
    return None


# "pay it al", "al of it", "pay them alll": "all" with a slip, too short for fix_typos to mend.
_ALL_SLIPS: Final = (
    (re.compile(r"\b(it|pay|them|off|that)\s+al+\b(?!')", re.I), r"\1 all"),
    (re.compile(r"\bal+(?=\s+of\s+(?:it|them|that|what|my|the)\b)", re.I), "all"),
    (re.compile(r"\bal{3,}\b", re.I), "all"),
    (re.compile(r"^\W*al+\W*$", re.I), "all"),  # "al" as the answer to "How much?"
)


def _all_mended(text: str) -> str:
    for pattern, repl in _ALL_SLIPS:
        text = pattern.sub(repl, text)
    return text


def requested_amount(text: str, *, answering: bool = False) -> Requested | None:
    """The amount a payment request or answer names: cents, FULL, a Share of the balance, or None.

    `answering`: the message answers "how much?" or corrects the pending amount, so a bare number
    ("75", "just a thousand") is an amount; otherwise a bare number counts only after a pay verb.
    A negative amount comes back negative (no flow pays it).
    """
    text = _all_mended(text)
    t = fix_typos(" ".join(text.replace("\u2019", "'").lower().split()), _MENDED)
    if _NOT_FULL.search(t):
        return None  # "wait no, not all of it"
    cued = parse_amount(text)
    if isinstance(cued, int):
        return cued
    share = _share(t)
    if share is not None:
        return share
    if cued == FULL or (_REST.search(t) and not _LATER.search(t)):
        return FULL
    masked = _masked(t)
    if answering:
        bare = parse_amount(masked, expect_amount=True)
        if isinstance(bare, int):
            return bare
        price = re.search(rf"(?<![\w$.,])({_NUMBER})", mask_not_money(masked))
        if price and (cents := _number_cents(price[1])) is not None:
            return cents
        return None
    m = _AFTER_VERB.search(masked)
    if m is not None:
        return _number_cents(m[1])
    return None


# "the overdue stuff", "what's past due", "the late stuff": every invoice whose due date has passed.
_OVERDUE = re.compile(
    r"\b(?:overdue|over\s+due|past[\s-]+due|late\s+(?:stuff|ones|bills|charges|amount|balance|part|payments?)"
    r"|(?:what'?s|what\s+is|whatever'?s)\s+(?:late|behind))\b"
)
_LESS = re.compile(
    r"\b(?:everything|all(?:\s+of\s+it)?|it\s+all|(?:the|my)\s+(?:whole|full|entire|total)(?:\s+(?:balance|amount|thing))?"
    r"|(?:my|the)\s+balance|the\s+total|in\s+full)\s+(?:except(?:\s+for)?|but|minus|less|other\s+than|apart\s+from"
    rf"|besides|save)\s+({_NUMBER})|\ball\s+but\s+({_NUMBER})|\bleave\s+({_NUMBER})\s+(?:on|for|owing|left)\b"
)
# Charges named one by one: (what, pattern); the plural ("the water bills") means every open one.
_NAMED: Final[tuple[tuple[str, str], ...]] = (
    ("late fee", r"late\s+(?:fee|charge)(s?)"),
    (
        "water",
        r"(?:water|sewer|trash|utility|utilities)(?:[\s,&]+(?:sewer|trash|and\s+sewer))*(?:\s+(?:bill|charge)(s?))?",
    ),
    ("parking", r"parking(?:\s+(?:fee|charge|bill)(s?))?"),
    ("pet rent", r"pet\s+(?:rent|fee)(s?)"),
    ("lockout", r"lock\s?out(?:\s+(?:fee|charge)(s?))?"),
    ("rent", r"(?<!pet\s)rent(s?)"),
)
_BUT = re.compile(
    r"\b(?:everything|all(?:\s+of\s+it)?|it\s+all|(?:the|my)\s+(?:whole\s+|full\s+|entire\s+)?balance|the\s+rest)"
    r"\s+(?:except(?:\s+for)?|but|other\s+than|apart\s+from|besides|minus|without)\s+(?:the|my|that)\b"
)
_JOINED = re.compile(r"\b(?:and|plus|&)\b|,|\bas\s+well\s+as\b")


def _named_charges(t: str) -> tuple[tuple[str, bool], ...]:
    found: list[tuple[int, str, bool]] = []
    taken: list[tuple[int, int]] = []
    for what, pattern in _NAMED:
        for m in re.finditer(rf"\b(?:{pattern})\b", t):
            if any(a <= m.start() < b for a, b in taken):
                continue  # "rent" inside "pet rent"
            taken.append((m.start(), m.end()))
            plural = any(g == "s" for g in m.groups() if g) or "utilities" in m[0]
            found.append((m.start(), what, plural))
    found.sort()
    seen: dict[str, bool] = {}
    for _, what, plural in found:
        seen[what] = seen.get(what, False) or plural
    return tuple(seen.items())


_SCOPE_WORDS: Final = (*_MENDED, "overdue", "except", "minus", "besides", "water", "parking", "utility", "bills")
_ASKS = re.compile(r"^\W*(?:how|what|what'?s|whats|which|when|why|is|are|does|do\s+i|did)\b")


def scoped_request(text: str) -> Scope | None:
    """The part of the account a payment names by what it is (see `Scope`), or None."""
    t = fix_typos(" ".join(text.replace("\u2019", "'").lower().split()), _SCOPE_WORDS)
    if _ASKS.match(request_core(t) or t):
        return None  # "how much is overdue?" asks; it pays nothing
    less = _LESS.search(t)
    if less is not None:
        raw = next(g for g in less.groups() if g)
        cents = parse_amount(raw)
        cents = cents if isinstance(cents, int) else _number_cents(re.sub(r"\s*(?:dollars?|bucks)$", "", raw))
        return Scope("balance", less_cents=cents) if cents else None
    named = _named_charges(t)
    share = _share(t)
    if named and _BUT.search(t):
        return Scope("all_but_charges", charges=named)  # "everything except the late fee"
    if _OVERDUE.search(t) and not named:
        return Scope("overdue", share=share.fraction if share else None)
    if len(named) >= 2 and _JOINED.search(t):
        return Scope("charges", charges=named, share=share.fraction if share else None)
    return None


def charge_named(text: str) -> tuple[str, bool] | None:
    """The one charge a message names and whether it means every open one of it: ("water", False) for
    "pay the water bill", ("late fee", True) for "just the late fees"; the most specific when one is
    named inside another ("the late fee on my rent" is the late fee); a kind ("fee", "utility") when
    only that is said ("just the fee"). None when nothing is named or several are joined ("the late
    fee and the water bill" is a `Scope`)."""
    t = fix_typos(" ".join(text.replace("\u2019", "'").lower().split()), _SCOPE_WORDS)
    named = _named_charges(t)
    if len(named) >= 2 and _JOINED.search(t):
        return None
    if named:
        order = [what for what, _ in _NAMED]
        return min(named, key=lambda n: order.index(n[0]))
    kind = detect_charge_kind(t)
    return (kind, False) if kind in ("fee", "utility") else None


def share_cents(share: Share, owed_cents: int) -> int:
    """The share of the balance in whole cents, rounded down (never more than the fraction)."""
    return int(share.fraction * owed_cents)


def attempted_amount(text: str) -> bool:
    """Whether the message tries to name an amount ("pay a bit", "some of it", a number) at all."""
    t = fix_typos(text.lower())
    return bool(_AMOUNTISH.search(_masked(request_core(t) or t)))  # "um hi three. yes please": no amount


def unclear_request(text: str) -> bool:
    """Whether a pay request says more than "I want to pay" ("pay a pirtion of it"): if no amount was
    read from it, the resident may have said one, so a bare "yes" to "How much?" is not the balance."""
    if attempted_amount(text):
        return True
    # "yes pldase" is a bare yes; "quick questoon, let me pay" and "ok so excuse me, i'd like to pay" are a
    # bare "let me pay" inside courtesy (the courtesy, slips and all, is no amount).
    said = re.findall(r"[a-z']+", polite_core(text) or fix_typos(text))
    return any(w not in _BARE_PAY_WORDS for w in said)


def wants_correction(text: str) -> bool:
    """ "wait no", "actually", "just …", "make it …": the pending amount is not what they want."""
    return bool(_CORRECTION.search(fix_typos(text.lower())))

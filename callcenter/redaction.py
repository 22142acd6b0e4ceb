"""Card numbers, SSNs and bank account details never reach storage, logs or models.

We never take any of them (payments use saved methods, identity is a signed token), so the
digits have no use and are a liability: wherever text enters the product (a chat message, a
spoken prompt, a posted transcript, a log value) it goes through `redact` first, and the stored
message, the logs and every model prompt get `[card ending 1111]`, `[SSN]`,
`[routing number]` or `[account ending 6789]` instead.

People type numbers any way they like, so a "digit run" is digits joined by any mix of
separators a person or a keyboard produces: spaces of every width, dashes of every length,
dots, slashes, underscores and invisible (zero-width) characters, repeated. Commas and
letters end a run, so amounts like "$1,250.00" and words between numbers never join up.
Commas, semicolons and line breaks do join the groups of a number shaped like a card (four
digits, four, four, ...; or 4-6-5) that passes the Luhn check: "4111,1111,1111,1111" typed on
a phone, or pasted from a note one group per line, is a card, and no amount is shaped so.
Digits said as words ("four one one one ...", Spanish too), as a phone transcript carries them,
count like digits. A number split over consecutive messages is caught by `redact_continuation`.
Any other non-alphanumeric character joins digits too ("4111~1111~1111~1111"), as long as the run
still looks typed as a card (`_plausible`); a card split by a few words is joined (`_split_card_hits`),
and the words around digits (a card named, cvv, exp) are read by `callcenter.privacy.card_talk`.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from callcenter.privacy.card_talk import CARD_WORD, CONTEXT_REACH, Said, card_talk_spans, everyday_number
from callcenter.privacy.iban import iban_spans
from callcenter.privacy.worded_cards import worded_card_spans

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"  # may sit between the digits of one number
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
SEPARATORS = (
    " \t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
    + ZERO_WIDTH
    + DASHES
    + "./\\_*\uff0e\uff0f"
)
MAX_SEPARATOR_RUN = 10
# Commas, semicolons and line breaks join only card-shaped groups (`_WIDE_SEP`); brackets are our own masks.
_NEVER_JOIN = ",;\n\r\u2028\u2029\u0085\x0b\x0c[]"
CLASSIC = frozenset(SEPARATORS)

# Any other character that is neither a letter nor a digit also joins digits ("4111~1111~1111~1111",
# "4111|1111|…"): a run with such separators counts as a card only when card-shaped or joined by one
# character throughout (`_plausible`), so "2026-12-01 10:30:45" stays a date and a time.
_SEP = "(?:(?![" + re.escape(_NEVER_JOIN) + "])[\\W_])"
_DIGIT = r"\d"
# A maximal digit run: digits joined by short runs of separators.
_RUN = re.compile(rf"(?<!\d){_DIGIT}(?:{_SEP}{{0,{MAX_SEPARATOR_RUN}}}{_DIGIT})*(?!\d)")
# Bank numbers are written with at most one separator between groups ("021000021 / 12345678" is two).
_CLASSIC_SEP = "[" + re.escape(SEPARATORS) + "]"
_SHORT_RUN = re.compile(rf"(?<!\d){_DIGIT}(?:{_CLASSIC_SEP}?{_DIGIT})*(?!\d)")
_HEAD_RUN = re.compile(rf"^{_SEP}*{_DIGIT}(?:{_SEP}{{0,{MAX_SEPARATOR_RUN}}}{_DIGIT})*(?!\d)")
# Card-shaped runs may also be joined by these (a phone keyboard's comma, a pasted list's line breaks).
_WIDE_SEP = "[" + re.escape(SEPARATORS + ",;\n\r\u2028\u2029\u0085\x0b\x0c") + "]"
_WIDE_RUN = re.compile(rf"(?<!\d){_DIGIT}(?:{_WIDE_SEP}{{0,{MAX_SEPARATOR_RUN}}}{_DIGIT})*(?!\d)")
_GROUP = re.compile(r"\d+")
_WIDE_ONLY = frozenset(",;\n\r\u2028\u2029\u0085\x0b\x0c")
# Digits said as words, as speech-to-text writes them (English and Spanish), "oh" for zero.
DIGIT_WORDS = {
    **dict.fromkeys(("zero", "oh", "o", "cero"), "0"),
    **dict.fromkeys(("one", "uno", "una"), "1"),
    **dict.fromkeys(("two", "dos"), "2"),
    **dict.fromkeys(("three", "tres"), "3"),
    **dict.fromkeys(("four", "for", "cuatro"), "4"),
    **dict.fromkeys(("five", "cinco"), "5"),
    **dict.fromkeys(("six", "seis"), "6"),
    **dict.fromkeys(("seven", "siete"), "7"),
    **dict.fromkeys(("eight", "ocho"), "8"),
    **dict.fromkeys(("nine", "nueve"), "9"),
}
_SPOKEN = re.compile(
    r"(?<![\w])(?:(?:" + "|".join(sorted(DIGIT_WORDS, key=len, reverse=True)) + r"|\d)(?:[\s,.\-]+|$)){9,}",
    re.IGNORECASE,
)
_SPOKEN_TOKEN = re.compile(r"[a-z]+|\d", re.IGNORECASE)
# "ss#" ends in a non-word character, so it cannot take a closing \b (red-team R1: "my ss# is 123456789").
_SSN_KEYWORD = re.compile(
    r"\b(?:ssn|social\s*security|social|tax\s*id|itin|seguro\s+social)\b|\bs\.?s\.?\s*(?:#|n\b|no\b|num)",
    re.IGNORECASE,
)
_ROUTING_KEYWORD = re.compile(r"\b(?:routing|aba|rtn|transit|ruta|tr[aá]nsito)\b", re.IGNORECASE)
_ACCOUNT_KEYWORD = re.compile(r"\b(?:account|acct|a/c|checking|savings|iban|cuenta|ahorros|cheques)\b", re.IGNORECASE)
_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")
CARD_MIN, CARD_MAX = 13, 19
SPLIT_GAP, SPLIT_WORDS = 40, 6  # how far apart the parts of a card split by words may be
ACCOUNT_MIN, ACCOUNT_MAX = 4, 17
KEYWORD_WINDOW = 40  # characters before a number in which "routing", "account", "SSN" count
PAIR_WINDOW = 80  # characters between a routing number and the account number beside it
LONG_RUN = 40  # digits: a longer run is masked whole rather than searched


def digits_of(text: str) -> str:
    """The ASCII digits of `text` (fullwidth and other decimal digits converted), in order."""
    if text.isascii():  # the common case, without a Unicode lookup per character
        return _NOT_ASCII_DIGIT.sub("", text)
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def aba_ok(digits: str) -> bool:
    """A US bank routing (ABA) number: nine digits whose weighted sum 3-7-1 is a multiple of 10."""
    if len(digits) != 9 or digits == "000000000":
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def ssn_ok(digits: str) -> bool:
    """Nine digits that could be an issued US SSN (area not 000, 666 or 9xx; group and serial not zero)."""
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _groups(run: str) -> list[str]:
    """The digits of each group of a run, groups being split by separators."""
    return [d for d in (digits_of(g) for g in re.split(_SEP + "+", run)) if d]


def _card_in(groups: list[str]) -> tuple[int, int] | None:
    """(start, end) digit offsets of a Luhn-valid 13-19 digit card number made of whole groups.

    The whole run is tried first, then runs of whole groups, longest first ("4111 1111 1111 1111
    123" holds a card and a security code). A run longer than LONG_RUN digits is no number a
    customer needs us to keep: all of it counts.
    """
    digits = "".join(groups)
    n = len(digits)
    if n > LONG_RUN:
        return 0, n
    if CARD_MIN <= n <= CARD_MAX and luhn_ok(digits):
        return 0, n
    bounds = [0]
    for g in groups:
        bounds.append(bounds[-1] + len(g))
    spans = sorted(
        (
            (a, b)
            for i, a in enumerate(bounds)
            for b in bounds[bisect_left(bounds, a + CARD_MIN, i + 1) : bisect_right(bounds, a + CARD_MAX)]
        ),
        key=lambda ab: ab[0] - ab[1],
    )
    # Luhn sums of every span from prefix sums (O(1) each): digit i is doubled when (b - 1 - i) is odd.
    plain = [int(c) for c in digits]
    twice = [2 * x - 9 if x > 4 else 2 * x for x in plain]
    sums: tuple[list[int], list[int]] = ([0], [0])  # [0]: even positions doubled, [1]: odd positions doubled
    for i, x in enumerate(plain):
        sums[0].append(sums[0][-1] + (twice[i] if i % 2 == 0 else x))
        sums[1].append(sums[1][-1] + (x if i % 2 == 0 else twice[i]))
    for a, b in spans:
        table = sums[1] if (b - 1) % 2 == 0 else sums[0]
        if (table[b] - table[a]) % 10 == 0:
            return a, b
    return None


def _group_shape(run: str) -> list[int]:
    return [len(g) for g in _groups(run)]


def _looks_like_ssn(run: str, digits: str, before: str) -> bool:
    """Nine digits shaped 3-2-4 that could be issued, or any nine digits named an SSN (any grouping:
    "SSN: 123 456 789"; a named number is masked even if no SSN was ever issued so)."""
    if len(digits) != 9:
        return False
    if _SSN_KEYWORD.search(before[-KEYWORD_WINDOW:]):
        return True
    return ssn_ok(digits) and _group_shape(run) == [3, 2, 4]


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    replacement: str


def _plausible(run: str, groups: list[str]) -> bool:
    """Whether a run may hold a card: only the usual separators, or card-shaped groups, or one
    separator character throughout ("4111~1111~1111~1111", "41|11|…"); not "2026-12-01 10:30:45"."""
    seps = {ch for ch in run if not ch.isdecimal()}
    if seps <= CLASSIC:
        return True
    if len(seps - {" "}) == 1:
        return True
    lengths = tuple(len(g) for g in groups)
    return any(lengths[: len(shape)] == shape or lengths[-len(shape) :] == shape for shape in _CARD_SHAPES)


def _card_hits(text: str) -> list[_Hit]:
    hits = []
    for m in _RUN.finditer(text):
        groups = _groups(m.group(0))
        digits = "".join(groups)
        if len(digits) < CARD_MIN or not _plausible(m.group(0), groups):
            continue
        found = _card_in(groups)
        if found is not None:
            card = digits[found[0] : found[1]]
            hits.append(_Hit(m.start(), m.end(), f"[card ending {card[-4:]}]"))
    return hits


_CARD_SHAPES = (
    (4, 4, 4, 4, 3),
    (4, 4, 4, 7),
    (4, 4, 4, 6),
    (4, 4, 4, 5),
    (4, 4, 4, 4),
    (4, 4, 4, 3),
    (4, 4, 4, 2),
    (4, 4, 4, 1),
    (4, 6, 5),
)
"""Groups as cards are printed: 4-4-4-4 (a 1-7 digit tail, or a 3-digit code after), American Express's 4-6-5."""


def _wide_card_hits(text: str) -> list[_Hit]:
    """Card numbers whose groups are joined by commas, semicolons or line breaks: card-shaped and Luhn-valid."""
    hits = []
    for m in _WIDE_RUN.finditer(text):
        run = m.group(0)
        if len(run) < CARD_MIN or not any(ch in run for ch in _WIDE_ONLY):
            continue  # too short, or the narrow pass has seen it
        groups = [(g.start(), g.end(), g.group(0)) for g in _GROUP.finditer(run)]
        lengths = [len(g[2]) for g in groups]
        i = 0
        while i < len(groups):
            found = 0
            if lengths[i] == 4:
                for shape in _CARD_SHAPES:
                    j = i + len(shape)
                    if tuple(lengths[i:j]) == shape:
                        digits = "".join(g[2] for g in groups[i:j])
                        if luhn_ok(digits):
                            hits.append(
                                _Hit(
                                    m.start() + groups[i][0],
                                    m.start() + groups[j - 1][1],
                                    f"[card ending {digits[-4:]}]",
                                )
                            )
                            found = j - i
                            break
            i += found or 1
    return hits


def _split_card_hits(text: str) -> list[_Hit]:
    """A card number whose digits are split by a few words: "4111 1111 1111 111 and last digit 1".

    Up to three neighbouring runs, a few words apart, that together make a Luhn-valid 13-19 digit
    number, one of them at least 8 digits long (so a phone number and an extension never join).
    """
    runs = [(m.start(), m.end(), digits_of(m.group(0)), m.group(0)) for m in _RUN.finditer(text)]
    hits: list[_Hit] = []
    i = 0
    while i < len(runs):
        found = 0
        for j in range(i + 1, min(i + 3, len(runs))):
            gap = text[runs[j - 1][1] : runs[j][0]]
            if len(gap) > SPLIT_GAP or len(gap.split()) > SPLIT_WORDS or not gap.strip() or "[" in gap:
                break
            if gap[0].isalnum() or gap[-1].isalnum():  # "1Z999AA1012…": letters glued to digits are a code
                break
            parts = runs[i : j + 1]
            digits = "".join(p[2] for p in parts)
            if len(digits) > CARD_MAX:
                break
            if (
                len(digits) >= CARD_MIN
                and max(len(p[2]) for p in parts) >= 8
                and not any(everyday_number(text, p[0], p[3], amounts=False) for p in parts)
                and all(_plausible(p[3], _groups(p[3])) for p in parts)
                and luhn_ok(digits)
            ):
                hits.extend(_Hit(p[0], p[1], "[card number]") for p in parts[:-1])
                hits.append(_Hit(parts[-1][0], parts[-1][1], f"[card ending {digits[-4:]}]"))
                found = j - i + 1
                break
        i += found or 1
    return hits


def card_talk_hits(text: str, said: Said) -> list[_Hit]:
    """Card fragments, security codes and expiry dates named by the words around them (privacy/card_talk.py)."""
    runs = [(m.start(), m.end(), m.group(0), digits_of(m.group(0))) for m in _RUN.finditer(text)]
    return [_Hit(a, b, label) for a, b, label in card_talk_spans(text, runs, said)]


def _has_digit_words(text: str) -> bool:
    """A cheap test before the spoken-digits pass: nine digits said, in words or figures, some in words."""
    toks = re.findall(r"[a-z]+|\d", text.lower())  # "0 zero zero 0 …": a 13-digit card has 8 words in it
    return any(w in DIGIT_WORDS for w in toks) and sum(w in DIGIT_WORDS or w.isdigit() for w in toks) >= 9


def _spoken_hits(text: str) -> list[_Hit]:
    """Card numbers and SSNs said digit by digit in words ("four one one one ..."), as transcripts carry them."""
    hits = []
    for m in _SPOKEN.finditer(text):
        digits = "".join(DIGIT_WORDS.get(t.lower(), t) for t in _SPOKEN_TOKEN.findall(m.group(0)))
        if not any(not t.isdigit() for t in _SPOKEN_TOKEN.findall(m.group(0))):
            continue  # all digits: the other passes judge it
        end = m.start() + len(m.group(0).rstrip(" \t\n,.-"))
        before = text[max(0, m.start() - KEYWORD_WINDOW) : m.start()]
        if CARD_MIN <= len(digits) <= CARD_MAX and luhn_ok(digits):
            hits.append(_Hit(m.start(), end, f"[card ending {digits[-4:]}]"))
        elif len(digits) == 9 and ssn_ok(digits) and _SSN_KEYWORD.search(before):
            hits.append(_Hit(m.start(), end, "[SSN]"))
        elif len(digits) > LONG_RUN:
            hits.append(_Hit(m.start(), end, "[card number]"))
    return hits


def _ssn_hits(text: str, context: Said) -> list[_Hit]:
    hits = []
    for m in _RUN.finditer(text):
        before = text[max(0, m.start() - KEYWORD_WINDOW) : m.start()]
        if context.ssn and m.start() < CONTEXT_REACH:
            before = "ssn " + before  # "what is your SSN?" … "123456789"
        if _looks_like_ssn(m.group(0), digits_of(m.group(0)), before):
            hits.append(_Hit(m.start(), m.end(), "[SSN]"))
    return hits


def _bank_hits(text: str) -> list[_Hit]:
    """Routing and account numbers: a routing number with an account beside it, or either one named."""
    runs = [(m.start(), m.end(), m.group(0), digits_of(m.group(0))) for m in _SHORT_RUN.finditer(text)]
    hits: list[_Hit] = []
    routing: set[int] = set()
    taken: set[int] = set()

    def near(i: int) -> range:  # runs are at least two characters apart, so PAIR_WINDOW bounds the indices
        return range(max(0, i - PAIR_WINDOW // 2), min(len(runs), i + PAIR_WINDOW // 2 + 1))

    for i, (start, end, _, digits) in enumerate(runs):
        before = text[max(0, start - KEYWORD_WINDOW) : start]
        if (
            len(digits) == 9
            and aba_ok(digits)
            and (
                _ROUTING_KEYWORD.search(before)
                or any(
                    j != i and ACCOUNT_MIN <= len(runs[j][3]) <= ACCOUNT_MAX and abs(runs[j][0] - start) <= PAIR_WINDOW
                    for j in near(i)
                )
            )
        ):
            hits.append(_Hit(start, end, "[routing number]"))
            routing.add(i)
            taken.add(i)
    for i, (start, end, _, digits) in enumerate(runs):
        if i in taken or not ACCOUNT_MIN <= len(digits) <= ACCOUNT_MAX:
            continue
        before = text[max(0, start - KEYWORD_WINDOW) : start]
        near_routing = any(j in routing and abs(start - runs[j][0]) <= PAIR_WINDOW for j in near(i))
        named = len(digits) >= 6 and _ACCOUNT_KEYWORD.search(before)
        if near_routing or named:
            hits.append(_Hit(start, end, f"[account ending {digits[-4:]}]"))
    return hits


def _apply(text: str, hits: list[_Hit]) -> str:
    out: list[str] = []
    pos = 0
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.start < pos:
            continue  # overlaps a hit already applied
        out.append(text[pos : hit.start])
        out.append(hit.replacement)
        pos = hit.end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str, context: Said | None = None) -> str:
    """`text` with every card number, SSN and bank routing/account number masked; with `context`
    (what the customer's previous messages named), its leading numbers read in that light."""
    if not any(ch.isdecimal() for ch in text):
        return _apply(text, _spoken_hits(text)) if _has_digit_words(text) else text
    masked = _apply(text, [_Hit(a, b, label) for a, b, label in iban_spans(text) + worded_card_spans(text)])
    masked = _apply(masked, _card_hits(masked))
    masked = _apply(masked, _wide_card_hits(masked))
    masked = _apply(masked, _split_card_hits(masked))
    masked = _apply(masked, _ssn_hits(masked, context or Said()))  # an SSN named is one even beside "card"
    masked = _apply(masked, card_talk_hits(masked, context or Said()))
    if _has_digit_words(masked):
        masked = _apply(masked, _spoken_hits(masked))
    return _apply(masked, _bank_hits(masked))


def mask_card_numbers(text: str) -> str:
    """Kept for callers that predate `redact`: masks cards, SSNs and bank numbers alike."""
    return redact(text)


@dataclass(frozen=True, slots=True)
class Continuation:
    """The new message redacted, and earlier messages that held the first part of a split number."""

    text: str
    earlier: dict[int, str]  # index into the `previous` list -> its text with the tail masked


def may_continue_a_number(text: str) -> bool:
    """Whether `text` holds digits that earlier messages could make a card number or an SSN: only then
    does redaction need them (a turn reads no history otherwise)."""
    return sum(ch.isdecimal() for ch in text) >= 4


def _tail(text: str, *, wordy: bool) -> re.Match[str] | None:
    """The last digit run of `text` when nothing but separators follows it, or (`wordy`) a few words:
    "my card starts 4111 1111, ok?" may begin a card when a card was named. One linear pass."""
    last = None
    for last in _RUN.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    if last is None:
        return None
    rest = text[last.end() :]
    return last if not any(ch.isalnum() for ch in rest) or (wordy and len(rest) <= SPLIT_GAP) else None


# A card's last part with a few words before it ("and ends 1111 1111"): joined only when a card was named.
_WORDY_HEAD = re.compile(rf"^[^\d]{{0,{SPLIT_GAP}}}?({_DIGIT}(?:{_SEP}{{0,{MAX_SEPARATOR_RUN}}}{_DIGIT})*)(?!\d)")


def redact_continuation(previous: Sequence[str], text: str, *, max_parts: int = 5) -> Continuation:
    """Redact `text`, also catching a card number begun in the customer's previous messages.

    "4111 1111" then "1111 1111" is one card number: neither message holds one alone. The
    new message's leading digits are joined to the trailing digits of up to `max_parts - 1`
    earlier messages (each of which must be only digits to reach further back); when the
    joined digits hold a card number, every part is masked. When a card was named (in the new
    message or the previous two), a few words may stand around the parts ("my card starts 4111
    1111" then "and ends 1111 1111"), and the new message's numbers are read as card details
    (`Said`, privacy/card_talk.py); after "what's your SSN?" nine digits are an SSN.
    """
    said = Said.before(list(previous), _SSN_KEYWORD)
    named = said.card or said.card_word or CARD_WORD.search(text) is not None
    head = _HEAD_RUN.match(text)
    if head is None and named:
        head = _WORDY_HEAD.match(text)
    if head is None or not previous:
        return Continuation(redact(text, said), {})
    first = head.start(1) if head.re is _WORDY_HEAD else 0
    parts: list[tuple[int, re.Match[str]]] = []  # (index into previous, tail match), newest first
    for index in range(len(previous) - 1, max(-1, len(previous) - max_parts), -1):
        tail = _tail(previous[index], wordy=named and index == len(previous) - 1)
        if tail is None:
            break
        parts.append((index, tail))
        if tail.start() > 0 and previous[index][: tail.start()].strip(SEPARATORS):
            break  # words before the digits: the number cannot reach further back
    head_text = text[first : head.end()]
    head_groups = _groups(head_text)
    head_digits = "".join(head_groups)
    groups = head_groups
    for used, (index, tail) in enumerate(parts, start=1):
        groups = _groups(tail.group(0)) + groups
        joined = "".join(groups)
        found = _card_in(groups)
        if (
            found is not None
            and found[1] > len(joined) - len(head_digits)
            and found[0] < len(joined) - len(head_digits)
        ):
            card = joined[found[0] : found[1]]
            mask, continued = f"[card ending {card[-4:]}]", "[card number, continued]"
        elif (
            len(joined) == 9
            and (  # "my ssn is 219" / "09" / "9999" (red team 3)
                _SSN_KEYWORD.search(previous[index][: tail.start()][-KEYWORD_WINDOW:])
                or (ssn_ok(joined) and [len(g) for g in groups] == [3, 2, 4])
            )
        ):
            mask, continued = "[SSN]", "[SSN, continued]"
        else:
            continue
        earlier = {i: previous[i][: m.start()] + continued + previous[i][m.end() :] for i, m in parts[:used]}
        return Continuation(redact(text[:first] + mask + text[head.end() :], said), earlier)
    return Continuation(redact(text, said), {})

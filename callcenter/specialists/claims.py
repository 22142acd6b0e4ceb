"""Sentences of a streamed reply, and which of them make a claim that needs evidence.

Verified streaming sends a sentence the moment it is complete when it claims nothing
(a greeting, empathy, a question without specifics) and holds a sentence that states an
amount, a time or date, a booking, a payment, a reference number or a promise until the
verifier has checked it against the turn's tool results. The classifier leans towards
"claim": a held sentence costs a little latency, a false sentence sent cannot be unsaid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class Claim(StrEnum):
    AMOUNT = "amount"
    TIME = "time"
    BOOKING = "booking"
    PAYMENT = "payment"
    PROMISE = "promise"
    NUMBER = "number"


_RULES: tuple[tuple[Claim, re.Pattern[str]], ...] = (
    (Claim.AMOUNT, re.compile(r"[$€£]\s?\d|\b\d+(?:\.\d+)?\s?(?:dollars?|usd|cents?)\b|\bpercent\b|%", re.I)),
    (
        Claim.TIME,
        re.compile(
            r"\b\d{1,2}(?::\d{2})?\s?(?:a\.?m\.?|p\.?m\.?)|\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidnight\b"
            r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\btoday\b|\btomorrow\b|\btonight\b|\byesterday\b"
            r"|\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}\b|\b\d{4}-\d{2}-\d{2}\b"
            r"|\bwithin \w+ (?:minutes?|hours?|days?)\b",
            re.I,
        ),
    ),
    (
        Claim.BOOKING,
        re.compile(
            r"\b(?:booked|book(?:ing)? (?:is|was)|scheduled|rescheduled|cancel(?:l)?ed|reserved|confirmed"
            r"|appointment|visit is|technician|slot)\b",
            re.I,
        ),
    ),
    (
        Claim.PAYMENT,
        re.compile(
            r"\b(?:paid|payment|charged?|refund(?:ed)?|balance|owe[sd]?|invoice|receipt|waived?|fee|credit(?:ed)?"
            r"|debit(?:ed)?|autopay|due)\b",
            re.I,
        ),
    ),
    (
        Claim.PROMISE,
        re.compile(
            r"\b(?:will|won't|shall|going to)\b|'ll\b|\bguarantee[ds]?\b|\bpromise[ds]?\b"
            r"|\bfree of charge\b|\bdiscount\b"
            r"|\bcompensat\w*\b|\bhas been (?:sent|passed|forwarded|notified|created|opened|logged)\b"
            r"|\bticket\b|\breference\b",
            re.I,
        ),
    ),
    (Claim.NUMBER, re.compile(r"\d")),
)


def claims_in(sentence: str) -> tuple[Claim, ...]:
    """The kinds of checkable claim a sentence makes (empty: safe to send before verification)."""
    return tuple(kind for kind, pattern in _RULES if pattern.search(sentence))


def makes_claim(sentence: str) -> bool:
    return bool(claims_in(sentence))


# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "ave",
        "apt",
        "no",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "am",
        "pm",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "inc",
        "ltd",
    }
)
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)|\n+")
_LIST_MARKER = re.compile(r"(?:^|\n)\s*\d{1,2}$")
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)$")


@dataclass
class SentenceSplitter:
    """Cuts a stream of text deltas into sentences as soon as each one is complete.

    A sentence ends at `.`, `!` or `?` followed by whitespace (so "$12.50" and "3.5" do not
    end one), or at a line break; not after a common abbreviation ("Dr.", "a.m.") or a list
    number ("1."). The end of the stream flushes whatever is left.

    A sentence is complete at the first whitespace character after its punctuation, and
    goes at once: waiting to see whether more whitespace follows held a sentence that ends
    a text run (a "Let me check that." before a tool call) until the model's call ended. That
    one character stays with the sentence; any further whitespace leads the next one, so the
    cuts are the same however the text is streamed.
    """

    _buffer: str = ""

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        out: list[str] = []
        start = 0
        for match in _END.finditer(self._buffer):
            end = match.end()
            if match.group().startswith((".", "!", "?")):
                if not _is_boundary(self._buffer[start : match.start()]):
                    continue
                end += 1  # the whitespace the lookahead saw
            if end <= start:
                continue  # a line break already taken as the whitespace after a sentence
            candidate = self._buffer[start:end]
            if candidate.strip():
                out.append(candidate)
                start = end
        self._buffer = self._buffer[start:]
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer, ""
        return [rest] if rest.strip() else []


def _is_boundary(before: str) -> bool:
    """Whether a `.`/`!`/`?` after `before` ends a sentence."""
    if _LIST_MARKER.search(before):
        return False
    word = _LAST_WORD.search(before)
    return not (word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS and before[-1:] != " ")


def split_sentences(text: str) -> list[str]:
    """A whole text as the splitter would emit it (the pieces join back to `text`)."""
    splitter = SentenceSplitter()
    return [*splitter.feed(text), *splitter.flush()]


def sentences_with_claims(text: str) -> Iterator[tuple[str, tuple[Claim, ...]]]:
    for sentence in split_sentences(text):
        yield sentence, claims_in(sentence)

"""After-call summaries and priorities, made offline from the transcript's own sentences.

A person picking up a finished call reads the summary first: who called, what they needed,
what was done or promised, and what is still open, in at most a few hundred characters. This
summariser is extractive (it picks and trims the call's own sentences, it never invents), so
it runs offline and costs nothing; a tier-1 model may rewrite it when keys are set
(callcenter.channels.transcripts_http). The priority comes from what was said: gas, fire,
smoke or flooding is urgent, an active or spreading leak high.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from callcenter.types import Priority

SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-záéíóúñ']+")

# Words that make a caller's sentence the reason for the call, in any business; a business adds its own
# (`CALL_NEED_TERMS`: "toilet", "lease"), passed as `need_terms`.
NEED_TERMS = frozenset(
    {
        "appointment",
        "balance",
        "bill",
        "book",
        "broken",
        "cancel",
        "charge",
        "complaint",
        "emergency",
        "fee",
        "fire",
        "fix",
        "flood",
        "flooding",
        "gas",
        "invoice",
        "late",
        "pay",
        "payment",
        "refund",
        "repair",
        "reschedule",
        "schedule",
        "smoke",
        "spreading",
        "urgent",
        "visit",
    }
)
_FILLER = re.compile(
    r"^(hi|hello|hey|thanks|thank you|ok(ay)?|yes|yeah|no|bye|goodbye|great|sure|uh|um)\b[\s,.!?]*$", re.IGNORECASE
)
_PROMISE = re.compile(
    r"\b(i'll|i will|we'll|we will|i've|i have|i've (booked|scheduled|logged|sent)|someone will|a technician|"
    r"scheduled|booked|logged|created|opened|sent|follow(ing)? up|call you back|will be there|reference|ticket)\b",
    re.IGNORECASE,
)

_NEGATED = r"(?<!no )(?<!not )(?<!no longer )(?<!isn't )(?<!stopped )"
_URGENT = re.compile(
    r"\b("
    + _NEGATED
    + r"smell(s|ing)? (of )?gas|gas (leak|smell)|"
    + _NEGATED
    + r"fire|smoke(?! (alarm|detector))|"
    + _NEGATED
    + r"flood(s|ed|ing)?|carbon monoxide|co alarm|sparks?|sparking|huele a gas|fuga de gas|incendio|humo|"
    r"inundaci[oó]n|inundando|inundado)\b",
    re.IGNORECASE,
)
_HIGH = re.compile(
    r"\b(" + _NEGATED + r"(leak(s|ing)?|leaky)|water (is )?(spreading|everywhere|coming (in|through|down)|"
    r"pouring|dripping through|on the floor|all over)|spreading|burst pipe|pipe burst|ceiling (is )?dripping|"
    r"no heat|no hot water|fuga de agua|gotera|se est[aá] (mojando|extendiendo))\b",
    re.IGNORECASE,
)


_RESOLVED = re.compile(
    r"\b(fixed|stopped|repaired|resolved|no longer|anymore|no leak|not leaking|isn't leaking|ya no)\b", re.IGNORECASE
)


def _live(pattern: re.Pattern[str], utterance: str) -> bool:
    """Whether `pattern` is said of something still going on: a mention before "fixed"/"stopped" doesn't count."""
    markers = [m.end() for m in _RESOLVED.finditer(utterance)]
    last = markers[-1] if markers else -1
    return any(m.start() >= last for m in pattern.finditer(utterance))


def call_priority(caller_texts: Sequence[str]) -> Priority:
    """urgent for gas, fire, smoke, flooding, CO or sparks; high for a live or spreading leak, no heat; else normal."""
    if any(_URGENT.search(t) for t in caller_texts):
        return Priority.URGENT
    if any(_live(_HIGH, t) for t in caller_texts):
        return Priority.HIGH
    return Priority.NORMAL


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text.strip()) if s.strip()]


def _need_score(sentence: str, terms: AbstractSet[str]) -> float:
    words = _WORD.findall(sentence.lower())
    if not words or _FILLER.match(sentence.strip()):
        return 0.0
    hits = sum(w in terms for w in words)
    return hits + min(len(words), 20) / 40  # informative words first, a little credit for detail


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


@dataclass(frozen=True, slots=True)
class CallSummary:
    text: str
    priority: Priority


def summarise_call(
    turns: Sequence[tuple[str, str]],
    *,
    who: str,
    follow_up: str | None = None,
    limit: int = 600,
    need_terms: Iterable[str] = (),
) -> CallSummary:
    """An extractive summary of a call: `turns` are (speaker, text) with speaker 'customer' or 'agent'.

    who: how to name the caller ("Alex Rivera (verified)"); follow_up: what the system did after the
    call ("complaint ticket, high priority"), or None; need_terms: the business's words that make a
    sentence the reason for the call, beside the engine's `NEED_TERMS`.
    """
    terms = NEED_TERMS | {t.lower() for t in need_terms}
    caller = [s for sp, t in turns if sp == "customer" for s in _sentences(t)]
    agent = [s for sp, t in turns if sp == "agent" for s in _sentences(t)]
    ranked = sorted(((score, i) for i, s in enumerate(caller) if (score := _need_score(s, terms)) > 0), reverse=True)
    needs = [caller[i] for _, i in sorted(ranked[:2], key=lambda p: p[1])]  # the best two, in the order said
    promises = [s for s in agent if _PROMISE.search(s)][-2:]  # the last commitments made
    priority = call_priority([t for sp, t in turns if sp == "customer"])
    parts = [f"Caller: {who}."]
    parts.append("Needed: " + (" ".join(needs) if needs else "nothing specific was asked (no actionable request)."))
    if promises:
        parts.append("Agent said: " + " ".join(promises))
    tail = f"Priority {priority.value}."
    if follow_up:
        tail = f"Follow-up: {follow_up}. " + tail
    parts.append(tail)
    # Fit the limit: the follow-up and priority stay whole; who called gets up to half of what is
    # left, and what they needed and what was promised share the rest.
    head, middle, last = parts[0], parts[1:-1], parts[-1]
    room = limit - len(last) - 1
    if len(head) + sum(len(p) + 1 for p in middle) > room:
        head = _clip(head, min(len(head), room // 2))
        share = (room - len(head)) // max(1, len(middle)) - 1
        middle = [_clip(p, share) for p in middle]
    text = " ".join([head, *middle, last])
    return CallSummary(_clip(text, limit), priority)

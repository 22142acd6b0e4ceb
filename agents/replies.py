"""Shared phrasing for the demo business's flows.

Every specialist says the same things the same way (sign-in prompts, numbered options,
what the assistant can do), so the wording lives here once and tests can match it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from callcenter_agents.extract.intent import is_negative
from callcenter_agents.extract.polite import is_bare_ack
from callcenter_tools.knowledge import mend_word

from callcenter.specialists.flow import clip_words
from callcenter.tooling.toolkit import ToolError

CAPABILITIES = (
    "I can book, move or cancel maintenance visits and unit viewings, check your balance, "
    "invoices and payments, take a payment, explain a charge, and answer questions about "
    "the building (office hours, pets, parking, packages, amenities, move-out). For anything "
    "urgent I'll get you to a person right away."
)

SIGN_IN_PROMPT = (
    "I need to know which resident you are before I can do that. Please sign in "
    "(or pick a resident in the chat widget) and ask me again."
)
VOICE_SIGN_IN_PROMPT = (
    "I can't confirm who you are on this call, so I can't make account changes by phone. "
    "Please sign in to the resident portal or the app to do that; I can still answer general "
    "questions, and for emergencies I'll get you to a person right away."
)


def sign_in_prompt(channel: str = "chat") -> str:
    """How to ask for a verified identity on this channel (a caller can't pick a resident)."""
    return VOICE_SIGN_IN_PROMPT if channel.startswith("voice") else SIGN_IN_PROMPT


def tool_error_reply(err: ToolError, alternative: str = "") -> str:
    """A refusal the resident can act on: sign in when unverified, else the tool's reason."""
    if err.code == "unverified":
        return SIGN_IN_PROMPT
    message = str(err).strip().rstrip(".")
    text = f"Sorry, I couldn't do that: {message}."
    return f"{text} {alternative}".strip() if alternative else text


def numbered(labels: Sequence[str]) -> str:
    """`1) Tue Dec 1, 3:00 PM  2) ...` on separate lines, for the resident to pick from."""
    return "\n".join(f"{i}) {label}" for i, label in enumerate(labels, start=1))


def choice_prompt(n: int) -> str:
    """How to answer a numbered list of n options."""
    if n <= 1:
        return "Does that work for you?"
    picks = ", ".join(str(i) for i in range(1, n)) + f" or {n}"
    return f"Which one works: {picks}?"


def first_name(full_name: str | None) -> str:
    """`Alex` for `Alex Rivera`; empty when unknown so greetings degrade gracefully."""
    if not full_name:
        return ""
    return full_name.strip().split()[0]


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z0-9']+")
_STOP_WORDS = (
    "a an the is are am was were be been do does did can could may might i you we my your our "
    "to of in on at for and or with about what when where how which who is it its this that "
    "there any have has had me please tell know just want would like there's what's"
)
_STOP = frozenset(_STOP_WORDS.split())


def words(text: str) -> set[str]:
    """Content words of a text, lower-cased, light plural folding, stop words removed."""
    out: set[str] = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOP or len(w) < 2:
            continue
        out.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return out


TOPIC_WEIGHT = 0.5  # a word that names the section ("parking" in Parking) says little about which sentence


def best_sentences(query: str, text: str, limit: int = 2, topic: frozenset[str] = frozenset()) -> str:
    """The sentence(s) of an article that answer the query, in article order.

    Quoting the relevant sentence keeps replies short and every claim traceable to the
    knowledge-base result the verifier sees. A sentence scores a point per word of the question
    it has (half a point for a word of the section's title, `topic`: "parking" in Parking names
    the section, not a sentence), after one-letter slips in the question are mended against the
    article's own words ("EV chargig"); a sentence holding the kind of fact asked for (a price, a
    time, a place, a duration, a day's rule) gains points, and a question framed by the fact it
    wants ("how late…", "how much…", "till when…") is answered only by sentences holding one.
    """
    sentences = [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]
    if not sentences:
        return ""
    query = _mend_against(query, text)
    asked = words(_FRAME.sub(" ", query))
    folded_topic = {w for w in words(" ".join(topic))} | set(topic)
    cue = f"{query} {' '.join(asked)}"  # "office hoours" still asks for a time
    scored, cues = [], []
    for i, sentence in enumerate(sentences):
        bonus = _cue_bonus(cue, sentence, sentences)
        cues.append(bonus)
        shared = sum(TOPIC_WEIGHT if w in folded_topic else 1.0 for w in asked & words(sentence))
        scored.append((shared + bonus, -i, i))
    if _FRAME.search(query) and any(c > 0 for c in cues):
        # "how late can I make noise", "how much for a new fob": only a sentence with a time or an
        # amount answers it (an amount rather than "is free"), however many other words the rest share
        scored = [row for row, c in zip(scored, cues, strict=True) if c == max(cues)]
    scored.sort(reverse=True)
    if scored[0][0] == 0:  # the question named the topic, not a sentence's words: the section's opening
        return " ".join(sentences[:limit])
    chosen = sorted(i for score, _, i in scored[:limit] if score > 0)
    return " ".join(sentences[i] for i in chosen)


# The words of a question's frame, not of its subject: "how late can I make noise" asks for a time.
_FRAME = re.compile(r"\bhow (late|early|much|long|soon)\b|\b(what time|till when|until when)\b", re.I)


def _mend_against(query: str, text: str) -> str:
    """The query with each word of five letters or more that the article never uses read as the one
    article word a slip away ("EV charing" -> "EV charging")."""
    known = {w for w in _WORD.findall(text.lower()) if len(w) > 3}
    return _WORD.sub(lambda m: mend_word(m.group(0), known), query.lower())


_PRICE_Q = re.compile(r"\b(how much|cost\w*|price\w*|fees?|extra)\b|\b(a|any|the) charges?\b", re.I)
_TIME_Q = re.compile(
    r"^\W*(\w+\W+){0,2}when\b|\b(hours?|open|close[sd]?|what time|how (late|early)|until|till|start|end|curfew)\b"
    r"|\d\s*(am|pm)\b",
    re.I,
)
_MONEY = re.compile(r"\$\d|\bfree\b|\bno fees?\b", re.I)
_AMOUNT = re.compile(r"\$\d")
_PLACE_Q = re.compile(r"\bwh?ere?'?s?\b|\blocat\w+", re.I)
_PLACE = re.compile(
    r"\b(in|on|at) (the|each|every|your)\b[^.;]{0,40}\b(lobby|floor|level|room|street|garage|lot)\b", re.I
)
_DURATION_Q = re.compile(r"\bhow (soon|long|many days|many weeks)\b|\bwhen will\b", re.I)
_DURATION = re.compile(r"\b(within|up to|at least) \d+\b|\b\d+ (days?|weeks?|months?|nights?)\b", re.I)
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\s*(AM|PM)\b|\b(noon|midnight|24 hours)\b", re.I)


_DAY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.I)


CUE_POINTS = 1  # the kind of fact asked for (a time, a price, a place): worth a shared word


def _cue_bonus(query: str, sentence: str, sentences: Sequence[str] = ()) -> float:
    """Points for a sentence that has the kind of fact asked for: a price, a time, a place, a duration,
    or the rule for a day.

    "what if I pay on the 8th?" is answered by the rule that starts on the latest day of the month
    the handbook names on or before the 8th ("From the 6th a late fee is charged"), not by the
    sentences that share the question's words.
    """
    bonus = 0.0
    if _PRICE_Q.search(query) and _MONEY.search(sentence):
        bonus += CUE_POINTS if _AMOUNT.search(sentence) else CUE_POINTS / 2  # "$75" over "is free"
    if _TIME_Q.search(query) and _CLOCK.search(sentence):
        bonus += CUE_POINTS
    if _PLACE_Q.search(query) and _PLACE.search(sentence):
        bonus += CUE_POINTS
    if _DURATION_Q.search(query) and _DURATION.search(sentence):
        bonus += CUE_POINTS
    asked = [int(d) for d in _DAY.findall(query)]
    if asked:
        named = {int(d) for s in sentences for d in _DAY.findall(s) if int(d) <= max(asked)}
        if named and max(named) in {int(d) for d in _DAY.findall(sentence)}:
            bonus += CUE_POINTS + 1
    return bonus


# A second request in the same message: "…, and also what are the office hours?"
_ALSO = re.compile(r"(?:[,;.?!]\s*|\s+)(?:and\s+)?(?:also|as well as|and then)\s+(?=\w)", re.I)


def split_requests(text: str) -> tuple[str, str]:
    """The first request and whatever else the message asks ("" when it asks one thing).

    Only an explicit "also" / "as well as" / "and then" splits: "can you waive the fee? I was in
    hospital" is one request with its reason, not two.
    """
    m = _ALSO.search(text)
    if m is None or m.start() < 6:
        return text, ""
    rest = text[m.end() :].strip()
    return (text[: m.start()].strip(), rest) if len(rest.split()) >= 2 else (text, "")


_PROBE = re.compile(
    r"\b((system|hidden|initial|original|developer) (prompt|message|instructions?)|your (instructions|prompt|"
    r"configuration|programming)|(ignore|disregard|forget) (all |any |the |your )?(previous|prior|above|earlier)"
    r"( instructions?| rules| messages?)?|jailbreak|\bdan\b mode|developer mode|prompt injection|"
    r"repeat (the|everything) (text |words )?above|act as (an? )?unrestricted|no (rules|restrictions) mode|"
    r"what were you told|how (were|are) you (programmed|configured|prompted))\b",
    re.I,
)
PROBE_REFUSAL = "Sorry, I can't share how I'm set up or change how I work. "


def is_prompt_probe(text: str) -> bool:
    """An attempt to read or override the assistant's instructions (answered with a refusal)."""
    return bool(_PROBE.search(text))


def summarize_history(history: Sequence[tuple[str, str]], text: str, limit: int = 900) -> str:
    """A plain transcript tail for a human agent: who said what, newest last, capped.

    The newest line is always kept, cut on a word boundary when it alone is over `limit`: a
    1,000-character gas report once gave an empty summary, the handoff tool refused it and
    nobody was alerted (red-team F13).
    """
    lines = [f"{role}: {msg.strip()}" for role, msg in history if msg.strip()]
    if text.strip() and (not history or history[-1][1].strip() != text.strip()):
        lines.append(f"user: {text.strip()}")
    out: list[str] = []
    size = 0
    for line in reversed(lines):
        if size + len(line) + 1 > limit:
            if not out:
                out.append(clip_words(line, limit))
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(reversed(out))


# A question or request of its own ("do i have anything booked?", "whats my balance", "can you waive
# that"): wh-word, auxiliary or request verb first, after the little words residents start with.
_OWN_REQUEST = re.compile(
    r"^\W*(?:(?:wait|hold on|actually|hmm+|oh|ok|okay|and|so|now|also|um+|uh+)\W+)*"
    r"(what|what'?s|whats|when|where|why|how|hows|do|does|did|is|are|am|can|could|will|would|should|"
    r"have|has|show|send|email|give|tell|cancel|book|pay|waive|move|reschedule)\b",
    re.I,
)
MAX_MISSES = 2  # "Sorry, which one?" at most this many times in a row, then the question is let go


def asks_something_else(text: str) -> bool:
    """Whether a message that picked none of the options is a request of its own rather than a
    failed pick: it is then answered as one, instead of "Sorry, which one?" again."""
    return "?" in text or bool(_OWN_REQUEST.search(text.strip()))


WHAT_CAN_I_HELP = "What can I help with?"
_ANYTHING_ELSE = re.compile(r"\b(anything else|something else)\b[^?]*\?\s*$", re.I)


def bare_ack_reply(text: str, history: Sequence[tuple[str, str]]) -> str | None:
    """The reply to a bare "yes" / "ok" / "no" that no open question is waiting for, else None.

    Nothing is pending (a flow with a question open keeps the answer), so a bare answer means
    nothing by itself: a short "What can I help with?", not the out-of-scope refusal. After our
    own "Anything else I can help with?", a "no" is a goodbye.
    """
    if not is_bare_ack(text):
        return None
    last = next((said for role, said in reversed(history) if role == "assistant"), "")
    if is_negative(text):
        if _ANYTHING_ELSE.search(last):
            return "Okay. Glad I could help. Have a good day!"
        return f"Okay. {WHAT_CAN_I_HELP}"
    return f"Sure. {WHAT_CAN_I_HELP}"

"""The words residents put around a request that are not the request: greetings, hesitations, thanks.

"hey, quick question, is there a grace period for rent? thanks" asks the same thing as "is there
a grace period for rent?". Rules anchored at the start of a message ("what happens if…", "is there
a…") must see the request, not "hey, quick question,", and a trailing "thanks" does not turn a
question into a thank-you. Greetings typed in a hurry ("hlelo", "hye") count too, and so does "hi
three. 1 please": a "there" slipped into the number word, then a sentence break and the answer.
"""

from __future__ import annotations

import re

_GREETINGS = ("hi", "hello", "hey", "hiya", "howdy", "yo", "greetings")
_LEAD = re.compile(
    r"^(?:\W*(?:(?:hi|hello|hey|hiya|howdy|yo|greetings)"
    # "hi there", and its slips that are other words ("hi three. yes please", "hi thee, yep"): only before
    # a stop and a word that is not courtesy
    r"(?:\s+there|\s+(?:three|thee|ther|tehre|theer|thre)"
    r"(?=\s*[.!,;:]+\s*(?!(?:thanks|thank|thx|please|pls|plz|ty)\b)\w))?"
    r"|good\s+(?:morning|afternoon|evening|day)"
    r"|excuse\s+me|sorry|um+|uh+|uhm+|er+|hmm+|so|ok(?:ay)?\s+so|ok(?:ay)?|well|quick\s+question|question"
    r"|just\s+(?:checking|wondering|curious)|i\s+was\s+(?:just\s+)?wondering"
    r"|one\s+more\s+thing|also|and|please|pls|plz|oh)(?=\W|$)[\s,.!:;-]*)+",
    re.I,
)
_TAIL = re.compile(
    r"(?:[\s,.!]*(?:please|pls|plz|thanks|thank\s+you|thank\s+u|thx|ty|cheers)(?:\s+(?:so\s+much|a\s+lot))?)+"
    r"[\s.!]*(?=\??\s*$)",
    re.I,
)
_WORD = re.compile(r"^\W*([A-Za-z]+)\b[\s,.!:;-]*")


def _near_greeting(word: str) -> bool:
    """A greeting typed with one slip ("hlelo", "helo", "hye"): two letters swapped, one dropped or doubled."""
    w = word.lower()
    for g in _GREETINGS:
        if len(g) < 3 or abs(len(w) - len(g)) > 1 or w == g:
            continue
        if sorted(w) == sorted(g) and len(w) == len(g) and sum(a != b for a, b in zip(w, g, strict=True)) == 2:
            return True
        if len(w) == len(g) - 1 and any(g[:i] + g[i + 1 :] == w for i in range(len(g))):
            return len(g) >= 5
        if len(w) == len(g) + 1 and any(w[:i] + w[i + 1 :] == g for i in range(len(w))):
            return True
    return False


def strip_lead_in(text: str) -> str:
    """`text` without the greetings, hesitations and pleasantries before and after the request.

    Returns the text unchanged when nothing else is left ("hi", "thanks": those are the message).
    """
    rest = request_core(text)
    return rest if rest else text.strip()


def request_core(text: str) -> str:
    """The request without the pleasantries around it; "" when the message is nothing else."""
    rest = text.strip()
    for _ in range(4):
        before = rest
        rest = _LEAD.sub("", rest)
        m = _WORD.match(rest)
        if m and _near_greeting(m.group(1)):
            rest = rest[m.end() :]
        if rest == before:
            break
    rest = _TAIL.sub("", rest).strip()
    return rest if re.search(r"\w", rest) else ""

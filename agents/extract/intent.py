"""What the customer means by a reply: yes, no, cancel, a correction, or which option.

Flows ask a question and read the answer with these; each is a pure function over the
customer's text (and, for `pick_choice`, the options that were presented).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from callcenter_agents.extract._text import MONTH_RE, SMALL_NUMBERS, WEEKDAY_RE, WEEKDAYS, WORD_HOUR, lower
from callcenter_agents.extract.excluded_days import without_excluded_days
from callcenter_agents.extract.polite import answer_text, fix_typos
from callcenter_agents.extract.when import clock_time

__all__ = [
    "answer_text",
    "is_affirmative",
    "is_cancel",
    "is_correction",
    "is_negative",
    "names_a_position",
    "pick_choice",
]

_ORDINALS: Final[dict[str, int]] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
# Spanish positions, as short answers reach the flows ("el primero", "la segunda", "el último").
_SPANISH_ORDINALS: Final[dict[str, int]] = {
    "primer": 1, "primero": 1, "primera": 1, "segundo": 2, "segunda": 2, "tercer": 3, "tercero": 3,
    "tercera": 3, "cuarto": 4, "cuarta": 4, "quinto": 5, "quinta": 5,
}  # fmt: skip


# ---------------------------------------------------------------- yes / no / cancel / correction

_BENIGN = re.compile(
    r"\b(?:no\s+(?:problem|problemo|worries|rush|doubt|question)|not\s+a\s+problem|why\s+not"
    r"|don'?t\s+mind|do\s+not\s+mind|not\s+at\s+all\s+a\s+problem)\b"
)
_UNSURE = re.compile(r"\b(?:not\s+sure|don'?t\s+know|do\s+not\s+know|no\s+idea|not\s+certain)\b")
_AFFIRM_START = re.compile(
    r"^(?:(?:oh|well|um+|uh+|hmm+|ah)[\s,]+)?(?:yes|yeah|yea|yep|yup|ya|yah|ye|yeh|yess+|sure|ok|okay|k|kk"
    r"|yse|yas|yeas|yeha|yaeh|yepp+|okk+|okey|okie|oki|okya|for\s+sure|sure\s+thing"  # slips, and as typed fast
    r"|alright|all\s+right|absolutely|definitely|certainly|affirmative|of\s+course|totally"
    r"|let'?s\s+do\s+(?:it|that)|lets\s+do\s+it"
    r"|s[ií]|claro|dale|de\s+acuerdo|est[aá]\s+bien|por\s+supuesto|perfecto|[aá]ndale)\b"
)
_AFFIRM_ANY = re.compile(
    r"\b(?:sounds\s+(?:good|great|perfect|fine|right)|book\s+(?:it|that|me)|go\s+ahead|go\s+for\s+it"
    r"|please\s+do|do\s+it|that\s+works|works\s+for\s+me|that\s+would\s+work|that\s+will\s+work"
    r"|that'?s\s+(?:fine|good|great|perfect|right|correct|it)|that\s+is\s+(?:fine|good|great|perfect|right"
    r"|correct)|why\s+not|don'?t\s+mind|yes\s+please|confirm(?:ed)?|i\s+confirm|please\s+confirm"
    r"|i\s+(?:guess|think)\s+so|(?:fine|ok|okay|good)\s+(?:by|with)\s+me)\b|\U0001f44d"
)
_AFFIRM_WHOLE = re.compile(
    r"^(?:correct|right|exactly|perfect|great|fine|good|cool|deal|please|yes|thanks|thank\s+you"
    r"|that\s+one|works|done|agreed|indeed|very\s+well|ok(?:ay)?)(?:[\s,.!]+(?:correct|right|exactly|perfect"
    r"|great|fine|good|cool|please|thanks|thank\s+you|yes))*[\s.!]*$"
)
_NEG_START = re.compile(
    r"^(?:(?:oh|well|um+|uh+|hmm+|ah)[\s,]+)?(?:no|nope|nah|naw|nay|negative|not\s+really"
    r"|not\s+that|not\s+(?:today|now|yet|anymore)|never|of\s+course\s+not|absolutely\s+not|definitely\s+not)\b"
    r"|\b(?:yeah|yes|well)[\s,]+no\b|\bno[.!]*$"
)
_NEG_ANY = re.compile(
    r"\b(?:don'?t|do\s+not|doesn'?t\s+work|does\s+not\s+work|won'?t\s+work|will\s+not\s+work"
    r"|can'?t\s+(?:make|do)\s+(?:it|that)|cannot\s+(?:make|do)\s+(?:it|that)|not\s+that\s+one"
    r"|none\s+of\s+(?:those|them|these)|neither|wrong|incorrect|not\s+(?:right|correct|good|ok|okay|great)"
    r"|no\s+thanks?|no\s+thank\s+you|rather\s+not|not\s+interested|not\s+(?:for|to)\s+me|no\s+way"
    r"|that'?s\s+not|that\s+is\s+not|isn'?t\s+(?:right|correct))\b"
)


def is_negative(text: str) -> bool:
    """A refusal or "no": "no", "nope", "not that one", "don't", "that doesn't work".

    Not "no problem"/"no worries"/"why not", and not uncertainty ("not sure", "I don't
    know"). "No, make it wednesday" is also a correction; flows check is_correction first.
    """
    t = _BENIGN.sub(" ", _UNSURE.sub(" ", lower(text))).strip()
    core = _BENIGN.sub(" ", _UNSURE.sub(" ", answer_text(text))).strip()  # "sorry, no thanks", "hi, nope pls"
    return bool(_NEG_START.search(t) or _NEG_ANY.search(t) or _NEG_START.search(core) or _NEG_ANY.search(core))


def is_affirmative(text: str) -> bool:
    """A yes: "yes", "sure", "sounds good", "book it", "go ahead", "that works", "ok".

    Anything negative or unsure ("not sure", "yes but not that one") is not a yes.
    """
    t = lower(text)
    if _UNSURE.search(t) or is_negative(t):
        return False
    core = answer_text(text)  # "hi there, yep thx" is a yep; "hi tehre. confrim pls" a confirm
    return any(_AFFIRM_START.search(s) or _AFFIRM_ANY.search(s) or _AFFIRM_WHOLE.search(s) for s in (t, core))


_CANCEL = re.compile(
    r"\b(?:never\s*mind|nvm|forget\s+(?:it|about\s+it|that|the\s+whole\s+thing)|(?:i'?ve\s+|i\s+have\s+|i\s+)?"
    r"changed\s+my\s+mind|don'?t\s+bother|let'?s\s+not|scratch\s+(?:that|this)\s+whole\s+thing"
    r"|i\s+don'?t\s+want\s+to\s+(?:do\s+(?:this|that|it)|continue|go\s+on|book|pay)(?:\s+any\s*more)?\b"
    r"|cancel\s+(?:that|this|it|the\s+whole\s+thing)(?=\s*(?:[.!,]|$|please|then|for\s+now|thanks))"
    r"|forget\s+i\s+asked)"
    r"|^(?:please\s+|just\s+|ok(?:ay)?\s+|oh\s+)?(?:stop|cancel|abort|quit|exit|halt)"
    r"(?:\s+(?:it|that|this|please|now|thanks))*[\s.!]*$"
)


def is_cancel(text: str) -> bool:
    """The customer wants to abandon the current flow ("never mind", "forget it", "stop").

    "cancel my appointment" is a request, not an abandonment, so "cancel" only counts
    alone or as "cancel that/this/it" at the end of the phrase.
    """
    return bool(_CANCEL.search(fix_typos(text)))  # "nevr mind"


_CORRECTION = re.compile(
    r"^(?:(?:oh|um+|uh+|sorry|oops|no|wait|hold\s+on|hang\s+on)[\s,.!]+)*"
    r"(?:actually|wait|hold\s+on|hang\s+on|oops|correction|scratch\s+that|i\s+meant|i\s+mean"
    r"|make\s+(?:it|that)|change\s+(?:it|that)\s+to|rather|instead|my\s+(?:mistake|bad))\b"
    r"|^no[\s,.!]+(?:(?:it'?s|its|it\s+is|it\s+should\s+be|not)\b|\w+\s+(?:instead|not)\b)"
    r"|\b(?:i\s+meant|i\s+mean\s+to\s+say|instead\s+of|rather\s+than|not\s+\w+[\s,]+but)\b"
    r"|\b(?:instead|i\s+meant)[\s.!]*$"
)


def is_correction(text: str) -> bool:
    """The customer revises what they just said: "actually...", "no, make it wednesday",
    "I meant ...", "wait, ..."."""
    return bool(_CORRECTION.search(lower(text)))


# ---------------------------------------------------------------- pick_choice

_CHOICE_MARKER = re.compile(
    rf"(?:\b(?:option|choice|number|no\.|slot|item|num|opci[oó]n|n[uú]mero)\s*#?\s*|#\s*)(\d{{1,2}}|{WORD_HOUR})\b"
)
_BARE_CHOICE = re.compile(
    rf"^(?:the\s+|number\s+|option\s+|el\s+|la\s+)?(\d{{1,2}}|{WORD_HOUR})(?:\s+(?:one|please|thanks|thank\s+you))*[\s.!]*$"
)
_WORD_ORDINAL = re.compile(
    r"(?<!\ba\s)(?<!\bone\s)(?<!\bjust\sa\s)\b(second[\s-]+to[\s-]+last|first|second|third|fourth|fifth|sixth"
    r"|seventh|eighth|ninth|tenth|last|final|earliest|latest|penultimate)\b"
    r"(?!\s+thing)(?!\s+available\s+(?:day|date|week))"
)
_DIGIT_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_SPANISH_ORDINAL = re.compile(
    r"\b(primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]|quint[oa]|[uú]ltim[oa]|pen[uú]ltim[oa])\b"
)
# Nothing but a position: "1st", "the 2nd one", "second pls", "el primero", "option 3".
_ONLY_POSITION = re.compile(
    r"^(?:(?:the|el|la|lo|number|option|opci[oó]n|n[uú]mero|#)\s*)*"
    r"(?:\d{1,2}(?:st|nd|rd|th)?|first|second|third|fourth|fifth|last|final"
    r"|primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]|quint[oa]|[uú]ltim[oa])"
    r"(?:\s+(?:one|option|slot|time|opci[oó]n|please|pls|plz|por\s+favor|thanks|thx))*[\s.!]*$"
)
_NONE_OF = re.compile(r"\b(?:none|neither|no\s+one|not\s+any)\b")
_LABEL_TIME = re.compile(r"\b(\d{1,2})(?::([0-5]\d))?\s*(am|pm|a\.m\.?|p\.m\.?)(?![a-z])|\b(\d{1,2}):([0-5]\d)\b")
_TEXT_TIME = re.compile(
    rf"\b(\d{{1,2}})(?::([0-5]\d))?\s*(am|pm|a\.m\.?|p\.m\.?)(?![a-z])|\b(\d{{1,2}}):([0-5]\d)\b"
    rf"|(?:\bat|\bthe|\baround|@|\b(?:how|what)\s+about)\s*(\d{{1,2}}|{WORD_HOUR})\b(?!\s*(?:st|nd|rd|th|:))"
    rf"(?:\s*o'?clock)?(?=\s*(?:one|slot|o'?clock|$|[,.!?]|please|works|is|would|sounds|on))"
    rf"|\b(\d{{1,2}}|{WORD_HOUR})\s*o'?clock\b|\b(noon|midday)\b"
)
_MONTH_DAY_LOOSE = re.compile(
    rf"\b{MONTH_RE}\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b|\b(\d{{1,2}})(?:st|nd|rd|th)\b"
)
_WEEKDAY_LOOSE = re.compile(WEEKDAY_RE)
_REL_DAY = re.compile(r"\b(today|tomorrow)\b")
_PART_WORD = re.compile(r"\b(morning|afternoon|evening)s?\b")


@dataclass(frozen=True, slots=True)
class _Features:
    weekdays: frozenset[int]
    days: frozenset[int]
    exact_times: frozenset[tuple[int, int]]
    loose_times: frozenset[tuple[int, int]]  # (hour % 12, minute): am/pm unknown
    relative: frozenset[str]
    parts: frozenset[str]  # morning / afternoon / evening


def _hour_word(raw: str) -> int:
    return int(raw) if raw.isdigit() else SMALL_NUMBERS[raw]


def _features(t: str, is_label: bool) -> _Features:
    weekdays = frozenset(WEEKDAYS[m[1][:3]] for m in _WEEKDAY_LOOSE.finditer(t))
    days = frozenset(int(m[2] or m[3]) for m in _MONTH_DAY_LOOSE.finditer(t))
    exact: set[tuple[int, int]] = set()
    loose: set[tuple[int, int]] = set()
    pattern = _LABEL_TIME if is_label else _TEXT_TIME
    for m in pattern.finditer(t):
        if m[1]:
            at = clock_time(f"{m[1]}:{m[2] or '00'} {m[3]}", None)
            if at is not None:
                exact.add((at.hour, at.minute))
        elif m[4]:
            hour, minute = int(m[4]), int(m[5])
            (exact if hour > 12 or is_label else loose).add((hour % 12 if not is_label else hour, minute))
        elif m.lastindex is not None and m.lastindex >= 6:
            raw = m[6] or m[7]
            if raw:
                loose.add((_hour_word(raw) % 12, 0))
            elif m[8]:
                exact.add((12, 0))
    relative = frozenset(m[1] for m in _REL_DAY.finditer(t))
    if is_label:
        parts = frozenset(_part_of_day(hour) for hour, _ in exact)
    else:
        parts = frozenset(m[1] for m in _PART_WORD.finditer(t))
    return _Features(weekdays, days, frozenset(exact), frozenset(loose), relative, parts)


def _part_of_day(hour: int) -> str:
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


@lru_cache(maxsize=1024)
def _label_features(label: str) -> _Features:
    """Labels repeat across turns (the same offered slots), so their parse is cached."""
    return _features(lower(label), is_label=True)


def _label_matches(text: _Features, label: _Features) -> bool:
    if text.weekdays and not text.weekdays & label.weekdays:
        return False
    if text.days and not text.days & label.days:
        return False
    if text.relative and not text.relative & label.relative:
        return False
    if text.parts and not text.parts & label.parts:
        return False
    if text.exact_times and not text.exact_times & label.exact_times:
        return False
    label_loose = {(h % 12, m) for h, m in label.exact_times}
    return not (text.loose_times and not text.loose_times & label_loose)


def _match_labels(t: str, labels: Sequence[str]) -> int | None:
    wanted = _features(t, is_label=False)
    if not (
        wanted.weekdays or wanted.days or wanted.exact_times or wanted.loose_times or wanted.relative or wanted.parts
    ):
        return None
    hits = [i for i, label in enumerate(labels) if _label_matches(wanted, _label_features(label))]
    return hits[0] if len(hits) == 1 else None


def pick_choice(text: str, n_options: int, labels: Sequence[str] = ()) -> int | None:
    """Which of `n_options` presented options the customer chose (0-based), or None.

    Understands positions ("the second one", "option 2", "#3", "2", "the last one") and,
    when `labels` are given, references to their content ("the 3pm one", "thursday"
    against "Thu Dec 3, 3:00 PM"). A bare number is always a position; "earliest"/"latest"
    assume options are listed in time order. Ambiguous or out-of-range picks are None.
    """
    if n_options <= 0:
        return None
    t = without_excluded_days(answer_text(text))  # "but not monday" picks no Monday
    index = _pick(t, n_options, labels)
    return index if index is not None and 0 <= index < n_options else None


def names_a_position(text: str, n_options: int) -> bool:
    """Whether the answer is nothing but a position within the list ("1st", "the 2nd one", "el
    primero"): a choice, even where "1st" could also be a date (the first of the month)."""
    t = answer_text(text)
    digits = _DIGIT_ORDINAL.search(t) or _BARE_CHOICE.match(t)
    if digits is not None and digits[1].isdigit() and not 1 <= int(digits[1]) <= n_options:
        return False
    return bool(_ONLY_POSITION.match(t))


def _pick(t: str, n_options: int, labels: Sequence[str]) -> int | None:
    if _NONE_OF.search(t):
        return None
    if m := _CHOICE_MARKER.search(t):
        return _hour_word(m[1]) - 1
    if m := _BARE_CHOICE.match(t):
        return _hour_word(m[1]) - 1
    if m := _WORD_ORDINAL.search(t):
        word = " ".join(m[1].replace("-", " ").split())
        if word in ("last", "final", "latest"):
            return n_options - 1
        if word in ("second to last", "penultimate"):
            return n_options - 2
        return 0 if word == "earliest" else _ORDINALS[word] - 1
    if labels:
        found = _match_labels(t, labels)
        if found is not None:
            return found
    if m := _DIGIT_ORDINAL.search(t):
        return int(m[1]) - 1
    if m := _SPANISH_ORDINAL.search(t):
        word = m[1].replace("ú", "u")
        if word.startswith("penultim"):
            return n_options - 2
        return n_options - 1 if word.startswith("ultim") else _SPANISH_ORDINALS[word] - 1
    core = re.sub(r"\b(?:the|one|please|i'?ll\s+take|let'?s\s+do|i\s+want|how\s+about)\b|[^\w\s:]", " ", t)
    core = " ".join(core.split())
    if len(core) >= 3 and labels:
        hits = [i for i, label in enumerate(labels) if core in lower(label)]
        if len(hits) == 1:
            return hits[0]
    return None

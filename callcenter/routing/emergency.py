"""Emergency detection: rules, not a model, because a missed gas leak costs more than any tier.

`detect_emergency(text)` returns the kind (gas, fire, flood, carbon_monoxide, no_heat) or None.
It runs before the vertical router on every turn, in microseconds.

Judgement calls (tested in tests/test_routing_emergency.py):
- Negated mentions do not count: "no fire, just a question about the fire alarm test schedule",
  "there's no gas smell anymore". Negation is a cue word ("no", "not", "isn't", "without", ...)
  within three words before the trigger, inside the same clause (a comma, "but" or "and" ends
  its scope), so "not sure, but I smell gas" is still an emergency.
- Benign compounds do not count: "gas bill", "gas station", "fire alarm test", "fire drill",
  "fire extinguisher inspection", "flood insurance". An alarm that is going off does count.
- Bare "fire" counts ("fire!", "there's a fire in the kitchen"): a caller in trouble is terse.
- Security: a break-in in progress or just happened ("someone broke in to my apartment", "there's
  an intruder", "someone is trying to break in") is an opt-in kind, "security" (an app enables it in
  its EMERGENCY_TERMS). Things that merely broke do not count: "I broke my key", "the lock broke in
  half", "my car was broken into last month" is a report, not a dispatch.
- No heat is an emergency only with a cold cue (freezing, below zero, "it's 20 degrees", pipes
  freezing, a baby or elderly person cold). "The heat is out" alone is an urgent repair, not a
  life-safety dispatch, and flagging every such call would drown the real ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# Kinds enabled by default. An app's EMERGENCY_TERMS may list these names (enabling the rule)
# or extra literal phrases (reported as their own slug, e.g. "sewage backup" -> "sewage_backup").
DEFAULT_EMERGENCY_TERMS: tuple[str, ...] = ("gas", "fire", "flood", "carbon_monoxide", "no_heat")

_NEGATORS = frozenset(
    {"no", "not", "never", "without", "isn't", "isnt", "aren't", "arent", "wasn't", "wasnt", "don't", "dont"}
    | {"doesn't", "doesnt", "didn't", "didnt", "nothing", "none", "nor", "neither"}
)
_SCOPE_BREAKS = frozenset({"but", "and", "though", "although", "however", "yet", "so"})

_ACTIVE = (
    r"(?:going off|gone off|went off|sounding|beeping|beep(?:s|ed)?|ringing|blaring|screaming|alarming"
    r"|keeps? going)"
)


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    negatable: bool = True


def _rx(p: str) -> re.Pattern[str]:
    return re.compile(p, re.IGNORECASE)


_RULES: tuple[_Rule, ...] = (
    # carbon monoxide first: "CO alarm going off" must not become fire.
    _Rule(
        "carbon_monoxide",
        _rx(
            r"\bcarbon[\s-]*monoxide\b(?!\s+(?:detector|alarm)s?\s+(?:test|inspection|install|battery|"
            r"batteries|replacement|requirement|schedule))"
        ),
    ),
    _Rule("carbon_monoxide", _rx(r"\bco2?\s*(?:detector|alarm|monitor|sensor)s?\b[^.!?]{0,20}?" + _ACTIVE)),
    _Rule("carbon_monoxide", _rx(r"\bco\s+poisoning\b")),
    # gas: a smell or a leak, never the bill, station, stove question or fireplace.
    _Rule(
        "gas",
        _rx(r"\bsmell(?:s|ing|ed)?\s+(?:of\s+|like\s+)?(?:natural\s+)?(?:gas|propane|rotten eggs?|sulfur)\b"),
    ),
    _Rule("gas", _rx(r"\b(?:gas|propane)\s+(?:smell|odou?r|leak|leaking|is leaking|hissing)")),
    _Rule("gas", _rx(r"\bleak(?:ing|s)?\s+(?:natural\s+)?gas\b")),
    _Rule(
        "gas",
        _rx(
            r"\b(?:hiss(?:ing)?\s+(?:from|at|near)\s+(?:the\s+)?gas"
            r"|gas\s+line\s+(?:broke|burst|damaged|hit))"
        ),
    ),
    # fire and smoke
    _Rule("fire", _rx(r"\b(?:smoke|fire|smoke detector)\s+alarms?\b[^.!?]{0,20}?" + _ACTIVE)),
    _Rule(
        "fire",
        _rx(r"\bsmoke\s+(?:is\s+)?(?:coming|pouring|billowing|rising|filling|everywhere|in\s+the|from)\b"),
    ),
    _Rule(
        "fire",
        _rx(
            r"\b(?:smell(?:s|ing)?\s+(?:of\s+|like\s+)?(?:smoke|burning|something burning)"
            r"|burning\s+smell)\b"
        ),
    ),
    _Rule("fire", _rx(r"\b(?:sparks?|sparking|flames?|on fire|caught fire|in flames|ablaze)\b")),
    _Rule(
        "fire",
        _rx(
            r"\bfire\b(?!\s*(?:alarm|ala?r+m?s?\b|drill|dril\b|extinguisher|inspection|safety|code|escape|exit|door|insurance|"
            r"pit|marshal|hydrant|sprinkler|department|dept|station|place|wood|works|proof|rated|test|lane|"
            r"fighter|truck|hazard))"
        ),
    ),
    # flood / water
    _Rule("flood", _rx(r"\bflood(?:s|ed|ing)?\b(?!\s+(?:insurance|zone|plain|policy|light|lights|warning))")),
    _Rule(
        "flood",
        _rx(
            r"\bwater\s+(?:is\s+|keeps\s+|has\s+been\s+)?(?:pouring|gushing|spraying|streaming|pooling|"
            r"rushing|coming|leaking|dripping|flowing|everywhere)\b[^.!?]{0,40}?\b(?:ceiling|through|floor|"
            r"everywhere|wall|light|outlet|under|in|into|out)\b"
        ),
    ),
    _Rule(
        "flood",
        _rx(
            r"\b(?:burst|broken|busted|exploded)\s+(?:water\s+)?(?:pipe|main|line)s?\b"
            r"|\bpipes?\s+(?:has\s+|have\s+)?(?:burst|broke|exploded|split)\b"
        ),
    ),
    _Rule("flood", _rx(r"\b(?:sewage|sewer)\s+(?:is\s+)?(?:backing|backed|coming|overflow)")),
    _Rule(
        "flood",
        _rx(
            r"\b(?:toilet|tub|sink)\s+(?:is\s+)?overflowing\b[^.!?]{0,30}?"
            r"\b(?:won't stop|everywhere|flooding|ceiling)"
        ),
    ),
)

# Opt-in: not in DEFAULT_EMERGENCY_TERMS (a generic app may not dispatch on security), enabled by
# an app's EMERGENCY_TERMS naming "security" (or "break-in", "intruder", ...).
_SECURITY_RULES: tuple[_Rule, ...] = (
    _Rule(
        "security",
        _rx(
            r"\b(?:someone|somebody|some\s+(?:guy|man|woman|person|people)|a\s+(?:man|woman|guy|person|stranger)"
            r"|people|they|he|she|burglars?|thie(?:f|ves)|intruders?)\s+(?:just\s+|has\s+|have\s+|is\s+|are\s+)?"
            r"(?:broke|broken|breaking|busted|got|getting|forced\s+(?:their|his|her|the)\s+way|trying\s+to\s+"
            r"(?:break|get|force\s+(?:their|his|her)\s+way))\s+in(?:to|\s+to|side)?\b"
            r"(?!\s+(?:(?:the|my|our|a|his|her|their)\s+)?(?:car|vehicle|truck|garage|storage|mailbox|locker)s?\b)"
        ),
    ),
    _Rule(
        "security",
        _rx(
            r"\b(?:(?:apartment|unit|home|house|place|flat|door|room)\s+(?:was|got|has\s+been|is\s+being)\s+"
            r"broken\s+into|break[\s-]?in\s+(?:in\s+progress|right\s+now|at\s+my|in\s+my|happening)"
            r"|(?:there(?:'s|\s+is|\s+was)\s+(?:been\s+)?an?\s+)break[\s-]?in(?!\s+(?:to|at)\s+(?:the\s+)?"
            r"(?:car|garage|storage)))\b"
        ),
    ),
    _Rule(
        "security",
        _rx(
            r"\b(?:intruders?|burglars?|prowlers?)\b(?!\s+alarm)"
            r"|\bstranger\s+(?:is\s+)?(?:in|inside)\s+(?:my|our)\s+(?:apartment|unit|home|house|place|bedroom)\b"
            r"|\bbeing\s+robbed\b|\bsomeone\s+(?:is\s+)?(?:in|inside)\s+my\s+(?:apartment|unit|home|house)\b"
        ),
    ),
)

_NO_HEAT = _rx(
    r"\b(?:no\s+heat(?:ing)?|without\s+heat(?:ing)?|(?:heat|heating|heater|furnace|boiler|radiators?)"
    r"(?:'s|\s+is|\s+was|\s+has|\s+had|\s+have)?(?:\s+been|\s+gone|\s+went|\s+keeps)?\s+"
    r"(?:out|off|down|dead|died|broken|broke|stopped(?:\s+working)?|not\s+(?:been\s+)?working|isn't\s+working|"
    r"isnt\s+working|hasn'?t\s+(?:been\s+)?work(?:ed|ing)|won't\s+(?:turn|come)\s+on|quit|failed))\b"
)
_COLD = _rx(
    r"\b(?:freezing|frozen|frigid|ice\s+cold|below\s+(?:zero|freezing)|sub[\s-]?zero|pipes?\s+(?:are\s+)?"
    r"(?:freezing|frozen)|so\s+cold|really\s+cold|very\s+cold|too\s+cold|it'?s\s+cold|(?:baby|infant|newborn|"
    r"elderly|grandmother|grandfather)\b[^.!?]{0,30}\bcold|(?:can|could)\s+see\s+(?:my|our|your|his|her|their)\s+breath)\b"
)
_DEGREES = _rx(r"(-?\d{1,3})\s*(?:°|degrees?\b|deg\b)\s*(fahrenheit|celsius|f\b|c\b)?")


NEGATION_WINDOW = 120


def _negated(text: str, start: int) -> bool:
    """A negator within three words before `start`, in the same clause.

    Only the last NEGATION_WINDOW characters are read: three words fit easily, and reading the
    whole prefix made a long message with many matches quadratic (seconds on the event loop).
    """
    prefix = text[max(0, start - NEGATION_WINDOW) : start].lower()
    clause = re.split(r"[,;.!?:()\n]", prefix)[-1]
    words = re.findall(r"[a-z']+", clause)[-3:]
    for w in reversed(words):
        if w in _SCOPE_BREAKS:
            return False
        if w in _NEGATORS:
            return True
    return False


def _is_cold(text: str) -> bool:
    if _COLD.search(text):
        return True
    for m in _DEGREES.finditer(text):
        celsius = (m.group(2) or "f").lower().startswith("c")
        if int(m.group(1)) <= (10 if celsius else 55):
            return True
    return False


def slug(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", term.lower()).strip("_")


_KIND_ALIASES = {
    "gas": "gas",
    "gas_leak": "gas",
    "fire": "fire",
    "smoke": "fire",
    "flood": "flood",
    "flooding": "flood",
    "water_leak": "flood",
    "carbon_monoxide": "carbon_monoxide",
    "co": "carbon_monoxide",
    "no_heat": "no_heat",
    "heat": "no_heat",
    "no_heating": "no_heat",
    "security": "security",
    "break_in": "security",
    "broke_in": "security",
    "intruder": "security",
    "burglary": "security",
}


def _detect_builtin(text: str, kinds: frozenset[str] | set[str]) -> str | None:
    for rule in _RULES + _SECURITY_RULES:
        if rule.kind not in kinds:
            continue
        for m in rule.pattern.finditer(text):
            if not (rule.negatable and _negated(text, m.start())):
                return rule.kind
    if "no_heat" in kinds:
        cold: bool | None = None  # whether the text says it is cold: read once, not once per match
        for m in _NO_HEAT.finditer(text):
            # "no heat" carries its own "no"; only a negator before it cancels ("not no heat" is rare).
            if not _negated(text, m.start()):
                if cold is None:
                    cold = _is_cold(text)
                if cold:
                    return "no_heat"
    return None


def plain_letters(text: str) -> str:
    """`text` as the rules can read it: fullwidth and other compatibility forms folded (NFKC) and
    invisible format characters (zero-width space, joiners, soft hyphen) dropped.

    "I smell ｇａｓ" (a CJK keyboard) and "g\u200bas" (a paste) are a gas smell too (red-team F14).
    """
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def detect_emergency(text: str, terms: Sequence[str] | None = None) -> str | None:
    """The emergency kind this turn reports, or None.

    `terms` (default DEFAULT_EMERGENCY_TERMS): names of built-in kinds to enable ("gas", "fire",
    "flood", "carbon_monoxide", "no_heat", or aliases like "gas leak", "smoke"), plus any other
    phrase, matched literally (case-insensitive, whole words, negation-aware) and reported as its
    slug. An app's EMERGENCY_TERMS are combined with the defaults by the caller if it wants both.
    """
    kinds, literals = _read_terms(DEFAULT_EMERGENCY_TERMS if terms is None else tuple(terms))
    text = plain_letters(text)
    found = _detect_builtin(text, kinds)
    if found is not None:
        return found
    for pattern, kind in literals:
        for m in pattern.finditer(text):
            if not _negated(text, m.start()):
                return kind
    return None


@lru_cache(maxsize=64)
def _read_terms(terms: tuple[str, ...]) -> tuple[frozenset[str], tuple[tuple[re.Pattern[str], str], ...]]:
    """The built-in kinds `terms` enable and their literal phrases (pattern, reported kind).

    Once per list of terms, not once per message: a business's list is fixed, and reading it ran
    the rules over every term and compiled every phrase again on each turn.
    """
    kinds: set[str] = set()
    literals: list[tuple[re.Pattern[str], str]] = []
    for term in terms:
        kind = _KIND_ALIASES.get(slug(term))
        if kind is not None:
            kinds.add(kind)
            continue
        # A phrase the rules recognise enables its kind as well as matching literally.
        implied = _detect_builtin(term, frozenset(DEFAULT_EMERGENCY_TERMS))
        if implied is not None:
            kinds.add(implied)
        pattern = re.compile(r"(?<!\w)" + re.escape(term.strip()) + r"(?!\w)", re.IGNORECASE)
        literals.append((pattern, implied or slug(term)))
    return frozenset(kinds), tuple(literals)

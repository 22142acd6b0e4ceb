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
  life-safety dispatch, and flagging every such call would drown the real ones. A temperature read
  inside the home at or below the cold line (COLD_AT_OR_BELOW_F/_C, 55 °F / 10 °C, the line a
  reading of the cold cue uses) is itself the no-heat emergency: "its 55 degrees in my apartment and
  nobody has come about the heat", "50F inside", "the thermostat says 52" (not "set it to 50").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from callcenter.routing.cold_indoors import COLD_AT_OR_BELOW_C, COLD_AT_OR_BELOW_F, cold_indoors
from callcenter.routing.emergency_slips import slips_of
from callcenter.routing.figures import FLOOD_OF_THINGS, SPARKS_A_FEELING
from callcenter.routing.smoke import only_smoke, tobacco_smoke

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
    # "smoke" the noun, not the verb: "can i smoke in the courtyard", "allowed to smoke on the balcony".
    _Rule(
        "fire",
        _rx(
            r"(?<!\bi\s)(?<!\bwe\s)(?<!\byou\s)(?<!\bthey\s)(?<!\bto\s)(?<!\bcan\s)"
            r"\bsmoke\s+(?:is\s+|keeps\s+|has\s+been\s+)?(?:coming|pouring|billowing|rising|filling|everywhere|in\s+the"
            r"|from|spreading|seeping|creeping|getting\s+in|leaking|drifting|entering|pouring)\b"
        ),
    ),
    # a home filling with it: "the hallway is full of smoke", "my apartment is filling (up) with smoke",
    # "smoke-filled stairwell", "it's getting smoky in here"
    _Rule(
        "fire",
        _rx(
            r"\b(?:full\s+of|fill(?:s|ed|ing)?\s+(?:up\s+)?(?:with|w/)|thick\s+with)\s+(?:black\s+|thick\s+|grey\s+|gray\s+)?smoke\b"
            r"|\bsmoke[\s-]+filled\b|\b(?:getting|gotten|got|so|really|very|super|all)\s+smoky\b"
        ),
    ),
    _Rule(
        "fire",
        _rx(
            r"\b(?:smell(?:s|ing)?\s+(?:of\s+|like\s+)?(?:smoke|burning|something burning)"
            r"|burning\s+smell)\b"
        ),
    ),
    _Rule(
        "fire",
        _rx(r"\b(?:sparks?|sparking|flames?|on fire|caught fire|in flames|ablaze)\b" + SPARKS_A_FEELING),
    ),
    _Rule(
        "fire",
        _rx(
            r"\bfire\b(?!\s*(?:alarm|ala?r+m?s?\b|drill|dril\b|extinguisher|inspection|safety|code|escape|exit|door|insurance|"
            r"pit|marshal|hydrant|sprinkler|department|dept|station|place|wood|works|proof|rated|test|lane|"
            r"fighter|truck|hazard))"
        ),
    ),
    # flood / water
    # not a figure of speech: "a flood of emails", "flooded with calls"
    _Rule(
        "flood",
        _rx(r"\bflood(?:s|ed|ing)?\b(?!\s+(?:insurance|zone|plain|policy|light|lights|warning))" + FLOOD_OF_THINGS),
    ),
    _Rule(
        "flood",
        _rx(
            r"\bwater\s+(?:is\s+|keeps\s+|has\s+been\s+)?(?:pouring|gushing|spraying|streaming|pooling|"
            r"rushing|coming|leaking|flowing|everywhere)\b[^.!?]{0,40}?\b(?:ceiling|through|floor|"
            r"everywhere|wall|light|outlet|under|in|into|out)\b"
        ),
    ),
    # water spread over a floor (outsider trial 2, conv 16): "the whole floor is soaked", "water all over the floor"
    _Rule(
        "flood",
        _rx(
            r"\b(?:(?:whole|entire)\s+(?:kitchen\s+|bathroom\s+)?(?:floor|carpet)|floors?)\s+(?:is\s+|are\s+|got\s+)?"
            r"(?:all\s+)?(?:soaked|soaking|drenched|flooded|under\s+water|covered\s+in\s+water)\b"
            r"|\bwater\s+(?:is\s+)?(?:all\s+over|across|covering)\s+(?:the\s+|my\s+)?(?:whole\s+|entire\s+)?floors?\b"
        ),
    ),
    # A drip (from the ceiling, the unit upstairs) is an urgent repair, not a dispatch, unless it reaches
    # something electrical.
    _Rule(
        "flood",
        _rx(
            r"\b(?:drip\w*|leak\w*)\b[^.!?]{0,40}?\b(?:light\s*(?:fixture|bulb)?s?|outlets?|sockets?|wires?|wiring"
            r"|electrical|breakers?|(?:fuse|electric(?:al)?)\s+(?:box|panel)|smoke\s+detector)\b"
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

# A danger reported as over or as asked about: "there was a gas smell yesterday but the gas company
# fixed it", "gas leak got repaired last week", "any update on the gas leak i reported". Only a repair
# someone made counts (a smell that "went away" by itself still dispatches), said as done ("is it
# fixed?", "can you get it fixed", "it hasn't been fixed" are not), in the danger's clause or after it
# and about it (a pronoun or a danger word: "they fixed my sink" covers nothing); and nothing in
# the message may say it is there now ("it came back", "i still smell it", "i smell gas").
_REPAIR_WORDS = ("fixed", "repaired", "resolved", "sealed", "patched", "capped", "extinguished")
_REPAIRED = re.compile(  # a slip in the word that says it's over ("repiared", "fixd") still says it
    r"\b(?:"
    + "|".join(sorted({w for word in _REPAIR_WORDS for w in (word, *slips_of(word))}, key=len, reverse=True))
    + r"|sorted(?:\s+out)?|(?:taken|took)\s+care\s+of|put\s+(?:it\s+|them\s+)?out)\b",
    re.IGNORECASE,
)
_NOT_DONE = frozenset(
    {"need", "needs", "needed", "want", "wants", "wanted", "get", "getting", "to", "be", "can", "could", "will"}
    | {"would", "should", "must", "please", "when", "until", "till", "til", "if", "whether", "never", "not", "no"}
    | {"isn't", "isnt", "wasn't", "wasnt", "hasn't", "hasnt", "haven't", "havent", "hadn't", "hadnt", "didn't"}
    | {"didnt", "don't", "dont", "doesn't", "doesnt", "won't", "wont", "weren't", "werent", "aren't", "arent"}
    | {"supposedly", "thought", "almost", "partly", "partially", "half", "barely"}
)
_ABOUT_IT = re.compile(
    r"\b(?:it|that|this|them|everything|all|gas|leak\w*|smell\w*|odou?r|line|pipes?|fire|smoke|flood\w*|water"
    r"|heat\w*|furnace|boiler|alarm|detector|co|problem|issue|outlet|wir\w+|elevator|lift|sewage)\b",
    re.IGNORECASE,
)
_ASKED = re.compile(
    r"^\W*(?:is|was|were|are|has|have|had|did|does|do|will|can|could|would)\s+(?:it|that|this|they|the|someone|"
    r"anyone|somebody|anybody|you|he|she)\b",
    re.IGNORECASE,
)
# A danger that is the subject of a question about an earlier report, not a report: "any update on the
# gas leak i reported", "status of my gas leak ticket", "did anyone look at the gas smell i called about".
_EARLIER_REPORT = re.compile(  # never a bare "report", "ticket": "i want to report a gas leak" is a report
    r"\b(?:i|we)\s+(?:already\s+|just\s+|recently\s+)?(?:reported|called\s+(?:in\s+)?about|told\s+you\s+about|"
    r"mentioned|logged|wrote\s+about|messaged\s+about|complained\s+about)"
    r"|\bmy\s+(?:\w+\s+){0,3}?(?:ticket|report|case|complaint)\b"
    r"|\b(?:ticket|report|case)\s*(?:#|number|no\.?)\s*\d+"
    r"|\b(?:status|update|updates|news|progress)\s+(?:of|on|about|for|with|regarding)\b",
    re.IGNORECASE,
)
# Anything saying the danger is there now undoes both: "it came back", "i still smell it", "i smell gas".
_STILL_THERE = re.compile(
    r"\b(?:still|again|(?:came|comes?|coming|is|it'?s|its)\s+back|back\s+again|returned|re-?appeared|worse|"
    r"stronger|(?:i|we)\s+(?:can\s+|do\s+)?smell|smells|smelling|right\s+now|now\s+(?:i|we|it|there)|"
    r"(?:is|are|'s|'re|'m|am)\s+(?:still\s+)?(?:leaking|hissing|pouring|gushing|burning|sparking|smoking|flooding"
    r"|spreading|going\s+off|beeping|stuck|trapped)|im\s+(?:still\s+)?(?:stuck|trapped)|on\s+fire|in\s+flames|there(?:'s|\s+is|\s+are)|hurry|help\s+me|urgent|asap|"
    r"no\s*(?:one|body)\s+(?:has\s+|ever\s+)?(?:come|came|showed|shown|fixed|called))\b",
    re.IGNORECASE,
)


def _clause_bounds(text: str, at: int) -> tuple[int, int]:
    """The clause of `text` around `at` (between punctuation, "but", "and", "so"...)."""
    breaks = [m for m in re.finditer(r"[,;.!?:()\n]|\b(?:but|and|though|although|however|so|yet)\b", text, re.I)]
    start = max((m.end() for m in breaks if m.end() <= at), default=0)
    end = min((m.start() for m in breaks if m.start() >= at), default=len(text))
    return start, end


def _asked_not_said(text: str, at: int) -> bool:
    """Whether the words at `at` are in a question ("is it fixed?", "was the leak repaired")."""
    sentence_end = re.search(r"[.!?\n]", text[at:])
    if sentence_end and sentence_end.group() == "?":
        return True
    start, _ = _clause_bounds(text, at)
    return bool(_ASKED.search(text[start:at]))


def _repaired_after(text: str, start: int) -> bool:
    """A repair said as done, about the danger at `start`: in its clause or after it."""
    clause_start, _ = _clause_bounds(text, start)
    for m in _REPAIRED.finditer(text, clause_start):
        before = re.findall(r"[a-z']+", text[_clause_bounds(text, m.start())[0] : m.start()].lower())[-4:]
        if any(w in _NOT_DONE for w in before) or _asked_not_said(text, m.start()):
            continue
        c_start, c_end = _clause_bounds(text, m.start())
        if m.start() > start and not _ABOUT_IT.search(text, c_start, c_end):
            continue
        return True
    return False


def said_as_past(text: str, start: int) -> bool:
    """The danger at `start` is reported as repaired, or named in a question about an earlier report."""
    if _STILL_THERE.search(text):
        return False
    return _repaired_after(text, start) or bool(_EARLIER_REPORT.search(text))


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
        if int(m.group(1)) <= (COLD_AT_OR_BELOW_C if celsius else COLD_AT_OR_BELOW_F):
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


def _detect_builtin(text: str, kinds: frozenset[str] | set[str], *, past: bool = False) -> str | None:
    """The first kind whose rule matches, not negated; `past`: also those reported as repaired or asked about."""
    smoked = tobacco_smoke(text)  # "my neighbour's cigarette smoke comes in": a complaint (routing/smoke.py)
    for rule in _RULES + _SECURITY_RULES:
        if rule.kind not in kinds:
            continue
        for m in rule.pattern.finditer(text):
            if smoked and rule.kind == "fire" and only_smoke(m.group()):
                continue
            if not (rule.negatable and _negated(text, m.start())) and (past or not said_as_past(text, m.start())):
                return rule.kind
    if "no_heat" in kinds:
        cold: bool | None = None  # whether the text says it is cold: read once, not once per match
        for m in _NO_HEAT.finditer(text):
            # "no heat" carries its own "no"; only a negator before it cancels ("not no heat" is rare).
            if not _negated(text, m.start()) and (past or not said_as_past(text, m.start())):
                if cold is None:
                    cold = _is_cold(text)
                if cold:
                    return "no_heat"
        if not past and cold_indoors(text):
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
    return _detect(text, terms, past=False)


def past_emergency(text: str, terms: Sequence[str] | None = None) -> str | None:
    """The emergency kind `text` names only as over or as an earlier report, else None.

    "there was a gas smell yesterday but the gas company fixed it" and "any update on the gas leak
    i reported" are not dispatched (`detect_emergency` is None) but are about a danger: the business
    logs the first and looks the second up, and still says what to do if it comes back.
    """
    if _detect(text, terms, past=False) is not None:
        return None
    return _detect(text, terms, past=True)


# A detector's low-battery chirp ("my CO detector keeps chirping every minute", "smoke alarm beeps
# every 30 seconds, battery must be low"): a battery to change, not an alarm. Only with no sign of
# danger: an alarm going off, a symptom (headache, dizziness, nausea), smoke, a smell, or flames.
_CHIRP = _rx(
    r"\b(?:chirp\w*|low[\s-]*batter\w*|batter(?:y|ies)\s+(?:is\s+|are\s+|must\s+be\s+|might\s+be\s+)?"
    r"(?:low|dying|dead|going|running\s+out)|(?:needs?|replac\w*|chang\w*|new)\s+(?:a\s+|the\s+|its\s+)?batter\w*"
    r"|beeps?\s+(?:once\s+)?every\s+(?:few\s+)?(?:\d+\s+|couple\s+(?:of\s+)?)?(?:minutes?|mins?|seconds?|secs?))"
)
_DETECTOR = _rx(r"\b(?:(?:carbon[\s-]*monoxide|co2?|smoke|fire|heat)\s*)?(?:detector|alarm|monitor|sensor)s?\b")
_DANGER_SIGNS = _rx(
    r"\b(?:headaches?|dizz\w*|nause\w*|vomit\w*|throw(?:ing)?\s+up|sleepy|drowsy|confus\w*|faint\w*|passed\s+out|"
    r"unconscious|short\s+of\s+breath|can'?t\s+breathe|going\s+off|gone\s+off|went\s+off|sounding|blaring|"
    r"screaming|loud\s+(?:alarm|beeping|beeps)|continuous\w*|non-?stop|(?:four|4|three|3)\s+(?:quick\s+|loud\s+)?beeps"
    r"|ppm|reading|smoke|smell\w*|fire|flames?|burning|gas)\b"
)


def low_battery_chirp(text: str, *, about_detector: bool = False) -> bool:
    """A detector chirping for a new battery, with no sign of danger in the message.
    `about_detector`: the conversation is already about a detector ("it's just a chirp every minute")."""
    if not (_CHIRP.search(text) and (about_detector or _DETECTOR.search(text))):
        return False
    return not _DANGER_SIGNS.search(_DETECTOR.sub(" detector ", text))


def _detect(text: str, terms: Sequence[str] | None, *, past: bool) -> str | None:
    kinds, literals = _read_terms(DEFAULT_EMERGENCY_TERMS if terms is None else tuple(terms))
    text = plain_letters(text)
    if low_battery_chirp(text):  # the detector's name is no emergency; anything else in the message still is
        text = _DETECTOR.sub(" detector ", text)
    found = _detect_builtin(text, kinds, past=past)
    if found is not None:
        return found
    smoked = tobacco_smoke(text)
    for pattern, kind in literals:
        for m in pattern.finditer(text):
            if smoked and kind == "fire" and only_smoke(m.group()):
                continue
            if not _negated(text, m.start()) and (past or not said_as_past(text, m.start())):
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

"""What the customer refers to: a maintenance issue, an appointment, an invoice, a charge.

Pure functions over the customer's text, used by the flows to fill a slot without asking.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from callcenter_agents.extract._text import lower
from callcenter_agents.extract.polite import fix_typos

from callcenter.routing.cold_indoors import cold_indoors

__all__ = [
    "ISSUE_WORDS",
    "TRADE_WORDS",
    "detect_appointment_ref",
    "detect_charge_kind",
    "detect_invoice_ref",
    "detect_issue",
    "detect_trade",
]

# Words a hurried resident misspells in a repair request ("my toilte is clogd", "diswhasher"): one
# slip in them is mended before the issue is read. Long, distinctive words only, none a real word's
# slip away ("shower" is not listed: "nobody showed up"; nor "dripping": "tripping").
ISSUE_WORDS: Final = (
    *("toilet", "toilets", "faucet", "shower", "dishwasher", "fridge", "refrigerator", "freezer", "microwave"),
    *("disposal", "heater", "radiator", "furnace", "thermostat", "outlet", "outlets", "breaker", "window"),
    *("windows", "ceiling", "cabinet", "drawer", "garbage"),
    *("leaking", "leaks", "leaky", "clogged", "clogs", "draining", "flickering", "jammed", "working"),
    *("broken", "flush", "sticks", "sticking", "dripping", "cracked"),
)

_LOCATION = re.compile(
    r"\b(kitchen|bathroom|master\s+bath(?:room)?|guest\s+bath(?:room)?|bedroom|living\s+room|laundry(?:\s+room)?"
    r"|basement|hallway|upstairs|downstairs|garage|balcony|patio)\b"
)
# (category, object pattern, object name), most specific first: an appliance that leaks is
# an appliance problem, a water heater is plumbing even though it says "heater".
_OBJECTS: Final[tuple[tuple[str, re.Pattern[str], str], ...]] = tuple(
    (category, re.compile(pattern), name)
    for category, pattern, name in (
        ("appliance", r"\bdish\s*washer\b", "dishwasher"),
        ("plumbing", r"\bwater\s+heater\b|\bhot\s+water\s+tank\b", "water heater"),
        ("appliance", r"\b(?:fridge|frig|refrigerator|freezer|ice\s*maker)\b", "fridge"),
        ("appliance", r"\b(?:oven|stove|stovetop|cooktop|range)\b(?!\s+hood)", "oven"),
        ("appliance", r"\bmicrowave\b", "microwave"),
        ("appliance", r"\b(?:washing\s+machine|washer)\b", "washer"),
        ("appliance", r"\b(?:clothes\s+)?dryer\b", "dryer"),
        ("appliance", r"\b(?:garbage\s+)?disposal\b", "garbage disposal"),
        ("plumbing", r"\btoilets?\b", "toilet"),
        ("plumbing", r"\bsinks?\b", "sink"),
        ("plumbing", r"\b(?:faucet|tap)s?\b", "faucet"),
        ("plumbing", r"\bshower(?:\s*head)?\b", "shower"),
        ("plumbing", r"\b(?:bath\s*tub|tub)\b", "tub"),
        ("plumbing", r"\bdrains?\b", "drain"),
        ("plumbing", r"\bpipes?\b", "pipe"),
        ("electrical", r"\b(?:outlets?|sockets?|plugs?)\b", "outlet"),
        ("electrical", r"\b(?:circuit\s+)?breakers?\b|\bfuses?\b|\bbreaker\s+box\b", "breaker"),
        ("electrical", r"\blight\s+switch(?:es)?\b|\bswitch(?:es)?\b", "light switch"),
        ("electrical", r"\b(?:ceiling|exhaust|bathroom)\s+fan\b", "fan"),
        ("electrical", r"\bsmoke\s+(?:detector|alarm)\b", "smoke detector"),
        ("electrical", r"\b(?:lights?|light\s*bulbs?|bulbs?|light\s+fixtures?)\b", "lights"),
        ("hvac", r"\b(?:a/c|a\.c\.?|ac|air\s*con(?:ditioning|ditioner)?|central\s+air)\b", "AC"),
        ("hvac", r"\b(?:furnace|boiler)\b", "furnace"),
        ("hvac", r"\b(?:heater|heating|radiator|heat)\b", "heater"),
        ("hvac", r"\bthermostat\b", "thermostat"),
        ("hvac", r"\b(?:vents?|hvac|air\s+handler)\b", "HVAC"),
        ("general", r"\b(?:door\s+)?locks?\b|\bdeadbolt\b", "door lock"),
        ("general", r"\bkeys?\b", "key"),
        ("general", r"\bgarage\s+door\b", "garage door"),
        ("general", r"\bwindows?\b", "window"),
        ("general", r"\bdoors?\b", "door"),
        ("general", r"\b(?:intercom|buzzer)\b", "intercom"),
        ("general", r"\b(?:roof|ceiling)\b", "ceiling"),
        ("general", r"\b(?:closet|wardrobe)s?\b", "closet"),
        (
            "general",
            r"\b(?:cabinets?|cupboards?|drawers?|blinds?|shades?|floor(?:ing)?|carpet|walls?|railings?"
            r"|stairs?|screens?|shelf|shelves|towel\s+(?:bar|rack)|mirror)\b",
            "fixture",
        ),
    )
)
_PROBLEMS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (r"\bleak(?:s|ing|ed|y)?\b|\bdrip(?:s|ping|py)?\b", "leak"),
        (r"\bclog(?:s|ged)?\b|\bblocked\b|\bbacked\s+up\b|\bbacking\s+up\b|\bwon'?t\s+flush\b", "clogged"),
        (r"\b(?:not|isn'?t|won'?t)\s+drain(?:ing)?\b|\bslow\s+drain", "not draining"),
        (r"\bbeep(?:s|ing)?\b|\bchirp(?:s|ing)?\b", "beeping"),
        (r"\bspark(?:s|ing|ed)?\b|\bsmok(?:e|ing)\b(?!\s+(?:detector|alarm))|\bburning\s+smell\b", "sparking"),
        (r"\btrip(?:s|ping|ped)?\b", "tripping"),
        (r"\bkeeps?\s+running\b|\bwon'?t\s+stop\s+running\b|\bruns\s+constantly\b", "running"),
        (r"\blost\b|\bmissing\b", "lost"),
        (r"\bflicker(?:s|ing)?\b", "flickering"),
        (r"\b(?:not|isn'?t|wasn'?t|stopped)\s+cool(?:ing)?\b|\bblowing\s+(?:warm|hot)\s+air\b", "not cooling"),
        (r"\b(?:not|isn'?t|stopped)\s+heat(?:ing)?\b|\bblowing\s+cold\s+air\b", "not heating"),
        (
            r"\b(?:weak|barely\s+(?:works?|working|warm|cold)|lukewarm|not\s+(?:warm|hot|cold)\s+enough"
            r"|(?:isn'?t|not)\s+(?:getting|keeping)\s+(?:warm|hot|cold))\b",
            "weak",
        ),
        (
            r"\bstuck\b|\bjammed\b|\bstick(?:s|ing|y)\b"
            r"|\b(?:won'?t|will\s+not|doesn'?t|does\s+not|can'?t|cannot)\s+(?:open|close|shut|lock|latch)\b",
            "stuck",
        ),
        (
            r"\boff\s+(?:the|its|it'?s)\s+(?:tracks?|hinges?|rails?)\b|\b(?:fell|falling|came|coming)\s+off\b"
            r"|\bloose\b|\bwobbl(?:y|es|ing)\b|\bhanging\s+off\b",
            "loose",
        ),
        (r"\bdraft(?:y|s)?\b|\bdraught(?:y|s)?\b|\bcold\s+air\s+(?:coming\s+)?in\b", "drafty"),
        (r"\bsqueak(?:s|y|ing)?\b|\bcreak(?:s|y|ing)?\b", "squeaky"),
        (r"\bnois(?:e|y)\b|\brattl(?:e|ing)\b|\bbang(?:s|ing)\b", "noisy"),
        (r"\bbroken\b|\bbroke\b|\bbust(?:ed)?\b|\bcracked\b", "broken"),
        (
            r"\b(?:not|isn'?t|aren'?t|won'?t|doesn'?t|don'?t|stopped)\s+(?:work(?:ing)?|turn(?:ing)?\s+on"
            r"|start(?:ing)?|run(?:ning)?)\b|\bdead\b|\bout\b",
            "not working",
        ),
        (r"\b(?:fix(?:ed|ing)?|repair(?:ed|ing)?|replac(?:e|ed|ing)|look\s+at|check\s+on)\b", "needs repair"),
    )
)
# Whole-phrase issues that have no separate object word.
_PHRASES: Final[tuple[tuple[re.Pattern[str], str, str], ...]] = tuple(
    (re.compile(pattern), category, name)
    for pattern, category, name in (
        (
            r"\b(?:no|barely(?:\s+any)?|hardly(?:\s+any)?|little|lukewarm)\s+hot\s+water\b|\bwater\s+(?:is\s+)?cold\b"
            r"|\bhot\s+(?:water|watr|wter|watter|wate)\s+(?:is\s+|keeps\s+)?(?:out|gone|(?:not|isn'?t|is\s+not|doesn'?t"
            r"|won'?t)\s+work(?:ing)?|stopped(?:\s+working)?|runs?\s+out|\w+ing\s+out|ran\s+out|went\s+out)\b",
            "plumbing",
            "no hot water",
        ),
        (r"\bno\s+water\b|\bwater\s+(?:is\s+)?(?:off|shut\s+off)\b", "plumbing", "no water"),
        (r"\bflood(?:ed|ing)?\b|\bwater\s+everywhere\b", "plumbing", "flooding"),
        (r"\bsewage\b|\bsewer\s+smell\b", "plumbing", "sewage backup"),
        (
            r"\bno\s+(?:power|electricity)\b|\bpower\s+(?:is\s+)?(?:out|off)\b|\bpower\s+outage\b",
            "electrical",
            "no power",
        ),
        (r"\bno\s+heat\b|\bheat\s+(?:is\s+)?(?:out|off)\b|\bfreezing\s+in\s+here\b", "hvac", "no heat"),
        (  # "writing about the heat", "cold in here", "freezing inside my apartment" (outsider c8)
            r"\b(?:writ\w*|wrote|call\w*|text\w*|email\w*|messag\w*|complain\w*|report\w*|ask\w*)\s+(?:you\s+|u\s+)?"
            r"(?:about|regarding|re|over|for)\s+(?:the|my|our)\s+(?:heat|heating|heater)\b"
            r"|\b(?:cold|freezing|frigid)\s+(?:in\s+here|inside|indoors|in\s+(?:my|the|our)\s+(?:apartment|apt|unit|place"
            r"|home|house|flat|bedroom|room))\b",
            "hvac",
            "no heat",
        ),
        (  # "the fridge is not cooling" is the fridge's (an appliance visit), not the AC's
            r"\bno\s+(?:ac|a/c|air\s+conditioning|cold\s+air)\b"
            r"|^(?!.*\b(?:fridge|frig|refrigerator|freezer|ice\s*maker)\b).*\bnot\s+cooling\b",
            "hvac",
            "AC not cooling",
        ),
        (r"\bgas\s+(?:leak|smell)\b|\bsmell(?:s)?\s+(?:of\s+|like\s+)?gas\b", "general", "gas smell"),
        (r"\blocked\s+out\b", "general", "locked out"),
        (r"\bmold\b|\bmould\b|\bmildew\b", "general", "mold"),
        (r"\b(?:roach(?:es)?|cockroach(?:es)?|mice|mouse|rats?|pests?|bed\s*bugs|ants|termites)\b", "general", "pests"),
        (r"\bleak(?:s|ing|ed|y)?\b|\bdrip(?:s|ping)?\b", "plumbing", "leak"),
    )
)


def detect_issue(text: str) -> tuple[str, str] | None:
    """(category, short description) of a maintenance problem, or None.

    Categories: plumbing, electrical, hvac, appliance, general. The object named decides
    the category (a leaking dishwasher is an appliance job); whole-phrase symptoms like
    "no hot water" or "no power" stand on their own.
    """
    return _detect_issue(_ISSUE_WORD.sub(_mend_issue_word, lower(text)))


_ISSUE_WORD = re.compile(r"[a-z]{4,}")
_ISSUE_SET: Final = frozenset(ISSUE_WORDS)


def _mend_issue_word(m: re.Match[str]) -> str:
    """The issue word one slip away from this word, else the word as typed (no other word is mended)."""
    fixed = fix_typos(m.group(0), ISSUE_WORDS)
    return fixed if fixed in _ISSUE_SET else m.group(0)


def _detect_issue(t: str) -> tuple[str, str] | None:
    # The last phrase (a bare "leak") only applies when no object names the leak.
    for pattern, category, name in _PHRASES[:-1]:
        if pattern.search(t):
            return category, name
    if cold_indoors(t):  # "its 55 degrees in my apartment": the heating, whatever else is named
        return "hvac", "no heat"
    for category, pattern, name in _OBJECTS:
        if m := pattern.search(t):
            if name == "heater" and re.search(r"\bheat\b", m[0]) and not any(p.search(t) for p, _ in _PROBLEMS):
                continue  # "the heat" with no symptom is weather talk, not an issue
            problem = next((label for p, label in _PROBLEMS if p.search(t)), None)
            if name == "ceiling" and problem == "leak":
                return "plumbing", "ceiling leak"
            if problem is None and name in ("fixture", "closet", "door", "key", "ceiling", "HVAC"):
                continue
            place = _LOCATION.search(t)
            parts = [place[1] if place and category == "plumbing" else None, name, problem]
            description = " ".join(p for p in parts if p)
            if problem == "clogged":
                description = f"clogged {' '.join(p for p in parts[:2] if p)}"
            return category, description
    pattern, category, name = _PHRASES[-1]
    if pattern.search(t):
        return category, name
    return None


# Trade names a resident books by ("get me a plumber", "electrical work", "the HVAC guy"); their slips
# are mended first ("plumer", "electrican", "handy man").
TRADE_WORDS: Final = (
    *("plumber", "plumbers", "plumbing", "electrician", "electricians", "electrical", "handyman", "heating"),
    *("technician", "appliance", "furnace"),
)
_TRADES: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (category, re.compile(pattern))
    for category, pattern in (
        ("plumbing", r"\bplumb(?:er|ers|ing)\b|\bplummer\b"),
        (
            "electrical",
            r"\belectrician'?s?\b|\belectrical\b(?!\s+(?:bill|charge|usage))|\belectric\s+(?:guy|work|repair)\b",
        ),
        (
            "hvac",
            r"\bhvac\b|\b(?:heating|a/?c|air\s*con\w*|furnace|boiler)\s+(?:and\s+(?:cooling|ac|a/c)\s+)?"
            r"(?:guy|tech|technician|person|repair\s*(?:man|guy|person)?|company|service|contractor|specialist)\b",
        ),
        ("appliance", r"\bappliance\s+(?:repair|tech|technician|guy|person|service|specialist)\w*\b"),
        ("general", r"\bhandy\s*m[ae]n\b|\blocksmith\b|\bcarpenter\b"),
    )
)


def detect_trade(text: str) -> str | None:
    """The trade the resident names for the visit ("a plumber", "plumbing visit", "HVAC tech"), or None.

    A stated trade is what the resident asked for: the booking keeps it even when the object named
    suggests another (a plumber for the dishwasher is still a plumber's visit).
    """
    t = fix_typos(text, TRADE_WORDS)
    return next((category for category, pattern in _TRADES if pattern.search(t)), None)


_VIEWING = re.compile(
    r"\b(?:viewings?|tours?|showings?|walk\s*-?\s*through|open\s+house"
    r"|(?:see|look\s+at|check\s+out|visit|view)\s+(?:the|an?|this|that|your)\s+"
    r"(?:apartment|unit|place|flat|property|rental|listing|home|house|condo|studio))\b"
)
_MAINTENANCE = re.compile(
    r"\b(?:maintenance|repairs?|repairman|technician|tech|plumber|electrician|handyman|service\s+call"
    r"|work\s+order|fix(?:ed|ing)?|contractor|service\s+appointment)\b"
)


def detect_appointment_ref(text: str) -> Literal["maintenance", "viewing"] | None:
    """Which kind of appointment the customer means; the earlier cue wins when both appear."""
    t = lower(text)
    viewing = _VIEWING.search(t)
    maintenance = _MAINTENANCE.search(t)
    if viewing and (maintenance is None or viewing.start() <= maintenance.start()):
        return "viewing"
    if maintenance or detect_issue(t):
        return "maintenance"
    return None


_INVOICE = re.compile(
    r"\b(?:invoice|bill|statement|inv)\s*[-#]?\s*(?:number|num|no\.?)?\s*[#:]?\s*(\d{1,9})\b"
    r"(?!\s*(?:days?|weeks?|months?|years?|dollars?|bucks?|%|am|pm|cents?))(?![.,:]\d)"
)


def detect_invoice_ref(text: str) -> int | None:
    """The invoice number in "invoice 12", "invoice #12", "bill number 12", "INV-12"."""
    m = _INVOICE.search(lower(text))
    return int(m[1]) if m else None


_CHARGE_KINDS: Final[tuple[tuple[Literal["rent", "fee", "utility"], re.Pattern[str]], ...]] = (
    ("fee", re.compile(r"\b(?:fees?|penalt(?:y|ies)|nsf|late\s+charge|returned\s+(?:payment|check))\b")),
    (
        "utility",
        re.compile(
            r"\b(?:utility|utilities|water|electric(?:ity|al)?|gas|sewer|trash|garbage|power)\s*(?:bill|charge|usage)?"
            r"\b|\butilit(?:y|ies)\b"
        ),
    ),
    ("rent", re.compile(r"\brent(?:al\s+payment)?\b")),
)


def detect_charge_kind(text: str) -> Literal["rent", "fee", "utility"] | None:
    """Which kind of charge a billing question is about; the most specific wins
    ("the late fee on my rent" is about the fee)."""
    t = lower(text)
    for kind, pattern in _CHARGE_KINDS:
        if pattern.search(t):
            return kind
    return None

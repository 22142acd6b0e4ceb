"""Whether two tickets of one resident are the same issue: what it is about, and where.

A repeat complaint in other words ("the noise upstairs again" after "upstairs neighbours still stomping at
night") opened a second ticket: the repeat check counted shared subject words (60 %), and the two share one.
Residents don't repeat their words, they repeat their issue: the same kind of trouble (noise: stomping,
music, a party; smoke: cigarettes, weed, vaping; ...) from the same place (upstairs, next door, the hallway,
unit 4B). Two tickets are one issue when their subjects name a common kind and no place that contradicts
(upstairs is not next door; 4B is not 7A); different kinds are never one issue, even from the same place
(a leak and a noise from upstairs stay two tickets). A subject naming no kind at all ("I want this logged")
is left to the caller's fallback (the words shared).
"""

from __future__ import annotations

import re
from typing import Final

# Kinds of trouble, by the words residents use for them.
_KINDS: Final[dict[str, re.Pattern[str]]] = {
    kind: re.compile(rf"\b(?:{words})\b")
    for kind, words in {
        "noise": r"nois\w*|loud\w*|stomp\w*|bang\w*|music|bass|part(?:y|ies)|drum\w*|bark\w*|yell\w*|shout\w*"
        r"|scream\w*|thump\w*|footsteps?|slam\w*|blast\w*|sing\w*|tv|guitar|piano|racket|quiet hours|walking"
        r"|running around|danc\w*|vacuum\w*",
        "smoke": r"smok\w*|cig\w*|weed|marijuana|cannabis|vap\w*|tobacco|hookah|pot smell|smell of pot",
        "trash": r"trash|garbage|rubbish|litter\w*|bags?|recycling",
        "pets": r"dogs?|cats?|pets?|poop\w*|pee\w*|leash|animals?",
        "parking": r"park\w*|cars?|spots?|tow\w*|vehicles?|block(?:s|ed|ing)",
        "water": r"leak\w*|drip\w*|water|wet|flood\w*|mou?ld|damp\w*",
        "pests": r"roach\w*|cockroach\w*|mice|mouse|rats?|bugs?|bedbugs?|ants|pests?|termites?",
        "heat": r"heat\w*|radiators?|furnace|boiler|cold|air condition\w*|ac|hvac",
        "package": r"packages?|parcels?|deliver\w*|amazon",
        "staff": r"rude|technician|staff|maintenance (?:guy|man|worker)|handyman|front desk|concierge|doorman",
        "security": r"stolen|theft|break-?in|broke in|suspicious|trespass\w*|vandal\w*",
        "harassment": r"harass\w*|threat\w*|stalk\w*|intimidat\w*|discriminat\w*|bull(?:y|ied|ying)",
    }.items()
}
_PLACES: Final[dict[str, re.Pattern[str]]] = {
    "above": re.compile(r"\b(?:upstairs|above|up\s?stairs|upper\s+(?:floor|unit|neighbou?r)|(?:floor|unit)\s+above)\b"),
    "below": re.compile(r"\b(?:downstairs|below|down\s?stairs|(?:floor|unit)\s+below|under\s+(?:me|us|my))\b"),
    "beside": re.compile(r"\b(?:next\s+door|beside|adjacent|across\s+the\s+hall|neighbou?ring\s+unit)\b"),
    "common": re.compile(r"\b(?:hallways?|hall|corridor|stair\w*|lobby|elevator|lift|laundry|courtyard|entrance)\b"),
    "parking": re.compile(r"\b(?:parking\s+lot|garage|driveway|car\s*park)\b"),
}
_UNIT: Final = re.compile(r"\b(?:unit|apt|apartment|#|no\.?)\s*(\d{1,4}[a-z]?)\b|\b(\d{1,3}[a-z])\b")


def _kinds(text: str) -> set[str]:
    low = text.lower()
    return {kind for kind, pattern in _KINDS.items() if pattern.search(low)}


def _places(text: str) -> set[str]:
    low = text.lower()
    found = {name for name, pattern in _PLACES.items() if pattern.search(low)}
    found |= {f"unit {a or b}" for a, b in _UNIT.findall(low)}
    return found


def _said(subject: str) -> str:
    """The resident's words of a subject, without its label ("Noise complaint: ", "Complaint: ")."""
    label, sep, rest = subject.partition(": ")
    return rest if sep and len(label) <= 40 else subject


def issue_match(new: str, old: str) -> int | None:
    """How surely the subjects `new` and `old` are one issue: 2 the same kind of trouble from the same place,
    1 the same kind with the place said in only one (or neither), 0 different issues; None when `new` or
    `old` names no kind of trouble (the caller decides another way)."""
    new, old = _said(new), _said(old)
    kinds_new, kinds_old = _kinds(new), _kinds(old)
    if not kinds_new or not kinds_old:
        return None
    if not kinds_new & kinds_old:
        return 0
    places_new, places_old = _places(new), _places(old)
    if places_new and places_old:
        units_new = {p for p in places_new if p.startswith("unit ")}
        units_old = {p for p in places_old if p.startswith("unit ")}
        if units_new and units_old and not units_new & units_old:
            return 0  # 4B is not 7A
        areas_new, areas_old = places_new - units_new, places_old - units_old
        if areas_new and areas_old and not areas_new & areas_old:
            return 0  # upstairs is not next door
        return 2
    return 1


def same_issue(new: str, old: str) -> bool | None:
    """Whether the subjects `new` and `old` are one issue (`issue_match`), None when undecided."""
    found = issue_match(new, old)
    return None if found is None else found > 0

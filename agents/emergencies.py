"""Emergencies of the demo business: which kind a message reports, and what to do about each.

Shared by the escalation flow (the first report: the safety steps in full) and the emergency
follow-ups (`emergency_follow_up.py`: a later question gets the one step that matters now, not the
script again), so both name the same kinds and say the same steps.
"""

from __future__ import annotations

import re

from callcenter_agents.replies import summarize_history

from callcenter.routing.emergency import detect_emergency as rule_emergency
from callcenter.routing.emergency import past_emergency, said_as_past
from callcenter.routing.emergency_slips import slip_fixer
from callcenter.routing.figures import FLOOD_OF_THINGS, SPARKS_A_FEELING
from callcenter.routing.smoke import only_smoke, tobacco_smoke
from callcenter.specialists.flow import FlowTurn, HumanHandoffRequest
from callcenter.types import Priority

# Lower-case phrases that mean danger whatever else the message says (matched as phrases,
# so bare "gas" in "gas bill" does not fire).
EMERGENCY_TERMS: tuple[str, ...] = (
    "smell gas",
    "smells like gas",
    "smell of gas",
    "gas smell",
    "gas leak",
    "rotten egg",
    "carbon monoxide",
    "co alarm",
    "co detector",
    "fire",
    "smoke coming",
    "smell smoke",
    "flames",
    "sparking",
    "sparks",
    "exposed wire",
    "flooding",
    "flooded",
    "water pouring",
    "water everywhere",
    "burst pipe",
    "pipe burst",
    "sewage",
    "no heat",
    "security",  # a break-in in progress or just happened, an intruder (the rule kind, not a phrase)
    "stuck in the elevator",
)

_SLIPS_FIXED = slip_fixer((), EMERGENCY_TERMS)

# Ordered: the first matching kind decides the safety advice.
_EMERGENCIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "gas",
        re.compile(
            r"\b(smell(s|ing)? (of )?gas|gas (smell|leak|odou?r)|smells? like (gas|rotten eggs?)|"
            r"leaking gas|gas is leaking|hissing (from|at) the (stove|gas))\b",
            re.I,
        ),
    ),
    ("carbon_monoxide", re.compile(r"\b(carbon monoxide|co (alarm|detector)|co2? alarm)\b", re.I)),
    (
        "fire",
        re.compile(
            r"\b(fire(?! (alarm test|extinguisher inspection|place))|flames?|on fire|"
            r"smoke (is )?(coming|everywhere|pouring|filling)|(smell(s|ing)? (of )?|see )"
            r"(smoke|burning)|burning smell|smoky|"
            r"(smoke|fire) (alarm|detector)s? (is |are )?(going off|blaring|sounding))\b",
            re.I,
        ),
    ),
    (
        "electrical",
        re.compile(
            r"\b(spark(s|ing|ed)?" + SPARKS_A_FEELING + r"|outlet .{0,25}(smok|burn|melt)\w*|exposed (live )?wires?|"
            r"electrical fire|wires? (is |are )?(smoking|burning))\b",
            re.I,
        ),
    ),
    (
        "flood",
        re.compile(
            r"\b(flood(ed|ing)?" + FLOOD_OF_THINGS + r"|"
            r"water (is )?(pouring|gushing|everywhere|spraying|coming through)|"
            r"burst pipe|pipe (has )?(burst|broke|exploded)|ceiling (is )?(leaking|caving|collapsing)|"
            r"sewage|toilet (is )?overflowing)\b",
            re.I,
        ),
    ),
    (
        "no_heat",
        re.compile(
            r"\b(no heat|heat (is )?(out|off|not working|broken)|heating (is )?(out|off|broken|"
            r"not working)|furnace (is )?(out|dead|broken))\b.*\b(freez\w*|below|frozen|"
            r"degrees|ice|icy|cold)\b|\b(freez\w*|frozen)\b.*\b(no heat|heat (is )?(out|off)|"
            r"heating (is )?(out|off|broken))\b",
            re.I,
        ),
    ),
    (
        "security",
        re.compile(
            r"\b(break-?in|broke into|breaking in|(trying to|tried to) (get|break) in(to)?|intruder|"
            r"stranger (is )?in (my|the)|burglar\w*|robbed|gun|weapon|assault\w*|"
            r"being attacked|threatening to (hurt|kill))\b",
            re.I,
        ),
    ),
    (
        "elevator",
        re.compile(
            r"\b(stuck in (the|an) (elevator|lift)|(elevator|lift) (is )?stuck with|trapped in (the|an) (elevator|lift)"
            r"|(elevator|lift) (is )?stuck\b.{0,40}\b(inside|in it|in there|trapped|someone|somebody|neighbou?r|person"
            r"|people|kids?|child|baby|my (mom|dad|wife|husband|son|daughter))\b)",
            re.I,
        ),
    ),
)

SAFETY = {
    "gas": (
        "Please leave your home now. Don't touch light switches, appliances or anything that could "
        "spark, and don't use your phone until you're outside. Once you're out, call 911 and the gas "
        "company's emergency number"
    ),
    "carbon_monoxide": (
        "Please get everyone, including pets, out into fresh air now and leave the door open "
        "behind you. Once you're outside, call 911"
    ),
    "fire": (
        "If there's fire or smoke, leave the building now by the stairs, not the elevator, close doors "
        "behind you, and call 911 once you're out"
    ),
    "electrical": (
        "Stay away from it and don't touch it or use water near it. If you can do so safely, switch "
        "off that circuit's breaker at your panel. If there's smoke or fire, leave and call 911"
    ),
    "flood": (
        "If it's safe, turn off the water at your unit's shut-off valve (often under the sink or by "
        "the water heater) and keep away from outlets and electrical appliances near the water"
    ),
    "no_heat": (
        "Keep doors and windows closed and dress in warm layers; please don't use the oven or a gas "
        "stove to heat your home"
    ),
    "security": "If you're in danger, get somewhere safe and call 911 now",
    "elevator": (
        "Stay calm and press the elevator's alarm button (or use its emergency phone) to call for help. Don't try to "
        "force the doors open or climb out: wait for the rescue team or the technician to get you out safely. If "
        "anyone is hurt or unwell, call 911"
    ),
}


def detect_emergency(text: str) -> str | None:
    """The kind of emergency the text describes (gas, fire, flood...), else None."""
    kind = _named(text, past=False)
    # The router's break-in rules ("someone broke in to my apartment"), so the flow never
    # treats as a complaint what the router dispatched as an emergency.
    return kind or ("security" if rule_emergency(text, ("security",)) == "security" else None)


def _named(text: str, *, past: bool) -> str | None:
    """The first kind the text names as happening (`past`: only as over or as reported before)."""
    if re.search(r"\b(chirp\w*|low battery|battery|test(ing)?|drill)\b", text, re.I) and not re.search(
        r"\b(gas|flames?|on fire|flood\w*|spark\w*)\b", text, re.I
    ):
        return None
    smoked = tobacco_smoke(text)  # "i can smell smoke from my neighbor's cigarettes": a complaint
    for kind, pattern in _EMERGENCIES:
        found = [m for m in pattern.finditer(text) if not (smoked and kind == "fire" and only_smoke(m.group()))]
        if any(said_as_past(text, m.start()) == past for m in found):
            return kind
    return None


def past_danger(text: str) -> str | None:
    """The kind of danger `text` names only as over ("the gas company fixed it") or as an earlier
    report ("any update on the gas leak i reported"), else None: logged or looked up, not dispatched."""
    for said in dict.fromkeys((text, _SLIPS_FIXED(text))):  # "gsa leak got repiared": the router's slips too
        if detect_emergency(said):
            return None
        kind = past_emergency(said, EMERGENCY_TERMS) or _named(said, past=True)
        if kind:
            return kind
    return None


def urgent_handoff(turn: FlowTurn, text: str, kind: str, what: str = "reported") -> HumanHandoffRequest:
    """The emergency team's urgent handoff for `kind`, worded the same for a first report and an update."""
    return HumanHandoffRequest(
        queue="emergency",
        priority=Priority.URGENT,
        summary=summarize_history(turn.history, text),
        reason=f"Emergency {what} ({kind.replace('_', ' ')}): {text[:200]}",
    )

"""A detector's low-battery chirp: a battery to change, and what a real alarm sounds like.

The outsider's trial (#30): an 82-year-old wrote "My carbon monoxide detector is beeping", was
told to evacuate (fair, on those words), then "its just a chirp every minute or so, i think the
battery is low" got "What needs fixing?" and "can someone come change it? i cant reach the
ceiling, im 82" the evacuation script again. A chirp about once a minute is the low-battery
warning; the alarm is loud beeps in a pattern, and headache, dizziness or nausea are the signs
that matter. So a chirp with no sign of danger (`callcenter.routing.emergency.low_battery_chirp`,
which also keeps the router from dispatching it) gets the difference explained, a maintenance
ticket for someone to come and change the battery, and, said after an emergency report, ends that
emergency's hold on the conversation; an alarm going off or a symptom is still an emergency.
"""

from __future__ import annotations

import re
from typing import Any, Final

from callcenter_agents.extract.polite import fix_typos
from callcenter_agents.replies import summarize_history

from callcenter.routing.emergency import low_battery_chirp
from callcenter.specialists.flow import EMERGENCY_OVER as OVER_KEY
from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.tooling.toolkit import ToolError

ADVICE: Final = (
    "A single chirp about once a minute is the detector's low-battery warning, not an alarm. A carbon monoxide "
    "alarm is loud: four quick beeps, a pause, then again (a smoke alarm: three). If you hear that, or anyone feels "
    "a headache, dizziness or nausea, get everyone outside into fresh air and call 911."
)
_CLOSING_KEY: Final = "battery_ticket"


_WORDS: Final = ("detector", "detectors", "chirping", "chirps", "battery", "batteries", "carbon", "monoxide", "alarm")


def is_chirp_report(text: str) -> bool:
    """ "my CO detector keeps chirping every minute": a detector named, chirping, no sign of danger."""
    return low_battery_chirp(fix_typos(text, _WORDS))


# Signs of carbon monoxide poisoning, said after a chirp was logged: the emergency after all.
_SYMPTOM: Final = re.compile(
    r"\b(headaches?|head (hurts|is pounding|aches)|dizz\w*|nause\w*|vomit\w*|throw(ing)? up|faint\w*|passed out|"
    r"(very |so |really )?(sleepy|drowsy)|confus\w*|short of breath|can'?t breathe|"
    r"(feel|feeling) (sick|unwell|weird|ill))\b",
    re.I,
)


def feels_symptoms(text: str) -> bool:
    """ "now my head hurts and i feel dizzy": a symptom, which no chirp explains away."""
    return bool(_SYMPTOM.search(text))


async def _battery_ticket(turn: FlowTurn, body: str) -> dict[str, Any]:
    """The resident's one open ticket for the battery: a second word about it is added to it (create_ticket)."""
    return await turn.call_tool(
        "create_ticket",
        {
            "category": "maintenance",
            "priority": "high",
            "subject": "Detector chirping (low battery): replace the battery",
            "body": body,
        },
    )


async def battery_visit(turn: FlowTurn, text: str, *, after_emergency: bool = False) -> FlowReply:
    """The chirp explained and a maintenance ticket for someone to change the battery."""
    lead = "Thanks, that helps. " if after_emergency else ""
    try:
        res = await _battery_ticket(turn, summarize_history(turn.history, text, limit=2000))
    except ToolError:
        return FlowReply(
            text=f"{lead}{ADVICE} I couldn't log a visit just now; please ask for a maintenance visit to replace "
            "the battery, and don't take the detector down.",
            done=True,
            state={OVER_KEY: True} if after_emergency else {},
        )
    ticket = res.get("ticket_id")
    kept = " Our emergency team still has your first report in case they want to check in." if after_emergency else ""
    return FlowReply(
        text=f"{lead}{ADVICE} I've asked maintenance to come and replace the battery: ticket #{ticket} "
        f"(high priority); they'll contact you to arrange the visit, and you won't need to climb up to it "
        f"yourself.{kept} Please don't take the detector down or remove its battery meanwhile.",
        done=True,
        state={_CLOSING_KEY: ticket, **({OVER_KEY: True} if after_emergency else {})},
        tool_results=[res],
    )


# After the visit was logged: "can someone come change it?", "i cant reach the ceiling", "when will they come?"
_ABOUT_THE_VISIT: Final = re.compile(
    r"\b(come|coming|change|replace|fix|swap|reach|ladder|climb|visit|someone|somebody|technician|when|how long|"
    r"today|tomorrow|yes|please)\b",
    re.I,
)


def continues_after_chirp(text: str, closing: dict[str, Any]) -> bool:
    """A message about the battery visit just logged, or a symptom felt since: answered on that ground."""
    return bool(closing.get(_CLOSING_KEY)) and bool(_ABOUT_THE_VISIT.search(text) or feels_symptoms(text))


async def more_about_the_visit(turn: FlowTurn, text: str, closing: dict[str, Any]) -> FlowReply:
    """ "can someone come change it? i cant reach the ceiling, im 82": yes, on the ticket already open."""
    try:
        res = await _battery_ticket(turn, text[:2000])
    except ToolError:
        res = {"ticket_id": closing.get(_CLOSING_KEY)}
    return FlowReply(
        text=f"Yes: a technician will come and replace the battery for you, so please don't climb up to it. It's "
        f"ticket #{res.get('ticket_id')}, and I've added what you just said to it; maintenance will contact you to "
        "arrange the visit. If the detector starts sounding the loud alarm, or anyone feels unwell, get outside "
        "and call 911.",
        done=True,
        state={_CLOSING_KEY: res.get("ticket_id")},
        tool_results=[res],
    )

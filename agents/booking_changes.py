"""Changing the booking just made: "actually make it friday" right after "You're booked".

The booking flow closes with a note of what it booked (`booked_note`); when the resident's next
message changes it (`changes_booking`), the flow moves that appointment instead of starting a
new booking (the note reaches it through `callcenter.conversation`, as the state's `finished`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from callcenter_agents.booking_moves import is_relative_move
from callcenter_agents.extract import detect_issue, is_affirmative, is_correction, parse_when
from callcenter_agents.extract.polite import fix_typos, polite_core

RESCHEDULE = re.compile(
    r"\b(re-?schedul\w*|re-?book\w*|postpone\w*|"
    r"(move|change|push|shift|switch|bump)\b.{0,40}\b(appointment|appt|visit|viewing|booking|tour|it|time|date)|"
    # "move my plumbing thing to the 9th", "push the electrician to next week": the visit by its trade
    r"(move|change|push|shift|switch|bump)\s+(my|the|our|that)\s+(\w+\s+){0,2}?(thing|one|plumb\w*|electric\w*|hvac"
    r"|heating|repair\w*|maintenance|technician|tech|handyman|service|inspection|guy)\b|"
    r"(different|another|later|earlier) (time|day|date|slot))\b",
    re.I,
)
_CHANGE = re.compile(
    r"\b(instead|rather|better|prefer|make (it|that)|change (it|that)|switch (it|that)|move (it|that)|can we do|"
    r"how about|what about|actually)\b",
    re.I,
)


def changes_booking(text: str, now: datetime) -> bool:
    """Whether the message changes the booking just made: "actually make it friday", "can we do
    thursday instead?", "move it to the afternoon"; not a new request that merely names a day."""
    text = fix_typos(text)  # "actully make it friday"
    if RESCHEDULE.search(text) or is_relative_move(text):  # "push it back a week", "later that week"
        return True
    when = parse_when(text, now)
    if when is None:
        return False
    if is_correction(text) or _CHANGE.search(text):
        return True
    # nothing but a time right after "You're booked" ("next week pls", "friday?"): that visit, moved
    rest = polite_core(text.replace(when.text, " ")) if when.text else text
    return len(rest.split()) <= 1 and not is_affirmative(rest) and detect_issue(text) is None


# Words that take a visit already booked for granted: "make it thursday instead", "can we do friday
# instead", "change it to monday", "actually tuesday works better", and in Spanish (read through
# es.toml's glossary) "mejor el jueves", "cámbialo al jueves", "muévela al lunes".
_PRESUMES = re.compile(
    r"\b(instead|rather|(works?|work|be|is|suits?) better|better for me|prefer\w*"
    r"|(make|change|switch|move|put) (it|that)|mejor|c[aá]mbia\w*|cambiar\w*|mu[eé]ve\w*|mover\w*|p[aá]sa(la|lo)\w*)\b",
    re.I,
)


_CHANGE_WORDS = ("prefer", "instead", "rather", "better", "switch", "change")


def moves_a_booking(text: str, now: datetime) -> bool:
    """Whether a message, with no repair in it, changes a visit already booked: "actually can you make
    it thursday afternoon instead", "can we do friday instead", "mejor el jueves". Said to "What needs
    fixing?" or with no booking just made, it still means the resident's booked visit: moving it, not
    booking a second one beside it."""
    text = fix_typos(text, _CHANGE_WORDS)  # "i prfeer friday"
    if detect_issue(text) is not None:
        return False
    if RESCHEDULE.search(text) or is_relative_move(text):
        return True
    return parse_when(text, now) is not None and bool(_PRESUMES.search(text))


def booked_note(res: dict[str, Any], kind: str, category: str | None) -> dict[str, Any]:
    """The closing note of a booking (or a move): what a correction on the next turn reschedules."""
    return {
        "booked": {
            "appointment_id": res["appointment_id"],
            "kind": kind,
            "category": res.get("category") or category,
            "label": res["label"],
            "starts_at": res.get("starts_at"),
        }
    }

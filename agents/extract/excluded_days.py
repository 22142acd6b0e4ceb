"""Weekdays ruled out: "not monday tho", "anything but monday", "no mondays", "except monday".

A day said only to rule it out is no day asked for: `parse_when` reads the text without it (so
"early next week? not monday" is next week, not Monday), and the booking flow keeps the days in
its state so no opening on them is offered or booked (booking_followups.find_openings).
"""

from __future__ import annotations

import re

from callcenter_agents.extract.day_phrases import mend_calendar_slips

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = r"(mon|tues?|wed(nes)?|thu(rs?)?|fri|sat(ur)?|sun)(day)?s?\b"
_EXCLUDED = re.compile(
    r"\b(?:(?:but|and|just|only|ex\w{2,4}t|excluding|besides|other than|anything but|any day but|anyday but|"
    r"not|no|never|can'?t do|cannot do|can not do)\s+)+(?:on\s+|a\s+|the\s+)?(?P<d1>" + _DAY + r")"
    r"|\b(?P<d2>" + _DAY + r")\s*(?:is|are|'s|s)?\s*(?:out|no good|bad for me|(?:does|do)\s*n'?o?t work|"
    r"won'?t work|wont work|doesnt work|dont work)\b",
    re.I,
)


def _weekday(word: str) -> int:
    return next(i for i, d in enumerate(_DAYS) if d[:2] == word.lower()[:2])


def excluded_weekdays(text: str) -> list[int]:
    """The weekdays (0 = Monday) the text rules out, in order, without repeats."""
    days: list[int] = []
    for m in _EXCLUDED.finditer(mend_calendar_slips(text.lower())):  # "not monnday"
        day = _weekday(m["d1"] or m["d2"])
        if day not in days:
            days.append(day)
    return days


def without_excluded_days(text: str) -> str:
    """The text with each ruled-out day blanked (same length, so spans found in it still line up)."""
    return _EXCLUDED.sub(lambda m: " " * len(m[0]), text)

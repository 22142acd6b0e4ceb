"""Moving a visit relative to itself: "push it back a week", "later in the week", "can we do it earlier".

A resident moving a visit often names the new time by the visit, not by the calendar: "a week
later" is a week after the visit, "later that day" is the visit's day after its time, "postpone
it" is any time after it, and "next week" for a visit that is already next week means the week
after it. Read against today instead, these offered openings before the visit being moved (or the
visit's own slot). `move_window` reads the move against the visit's local start, and `direction`
tells the search to keep only openings after (or before) it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from callcenter_agents.extract import DateWindow, parse_when
from callcenter_agents.extract._text import SMALL_NUMBERS
from callcenter_agents.extract.polite import fix_typos

_LATER = re.compile(
    r"\b(push(ed|ing)?|move|moved|bump|bumped|shift|put|kick)\b(\s+\w+){0,3}?\s+(back|later|out|further)\b|"
    r"\bpostpon\w*|\bdelay\w*|\b(a (little|bit) |bit |somewhat |much )?later\b(?!\s+than)",
    re.I,
)
_EARLIER = re.compile(
    r"\b(earlier|sooner|bring (it |that )?(forward|up|earlier)|move (it |that )?(up|forward|earlier)|"
    r"pull (it |that )?(forward|in|up))\b",
    re.I,
)
_NUMBER = r"(?P<n>a|an|one|two|three|four|five|six|a couple(?: of)?|couple(?: of)?|\d)"
# "a week later", "push it back two days", "by a week", "a week after"
_OFFSET = re.compile(
    rf"\b{_NUMBER}\s+(?P<unit>day|week)s?\b(?:\s+(?P<way>later|after|out|back|further|earlier|sooner|before))?", re.I
)
# "an hour later", "two hours earlier", "half an hour later", "30 minutes later": the same day, about that far off
_HOURS = re.compile(
    r"\b(?P<n>half an|an|a|one|two|three|four|\d+)\s+(?P<unit>hour|hr|minute|min)s?\b"
    r"(?:\s+(?P<way>later|after|out|back|earlier|sooner|before))?",
    re.I,
)
_SAME_DAY = re.compile(r"\b(later|earlier) (that|the same|in the|on the same|that same) day\b|\bsame day\b", re.I)
_SAME_WEEK = re.compile(r"\b(later|earlier) (that|in the|this|the same|that same) week\b|\bsame week\b", re.I)
_NEXT_WEEK = re.compile(r"\b(next|following) week\b|\bweek after\b", re.I)


@dataclass(frozen=True)
class Move:
    """Where to look for the new time, and which side of the visit it must fall on."""

    window: DateWindow | None
    direction: str | None  # "later": after the visit's start; "earlier": before it; None: anywhere


def _count(raw: str) -> int:
    raw = raw.lower().removesuffix(" of").strip()
    if raw.isdigit():
        return int(raw)
    if raw in ("a", "an", "one"):
        return 1
    if raw in ("a couple", "couple"):
        return 2
    return SMALL_NUMBERS.get(raw, 1)


def _week(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def move_window(text: str, now: datetime, visit: datetime | None) -> Move:
    """The new time a move asks for, read against the visit being moved (`visit`, local time).

    Without the visit's time, or when the message names a date of its own ("to friday"), the
    calendar reading of `parse_when` stands.
    """
    text = fix_typos(text)
    when = parse_when(text, now)
    later = bool(_LATER.search(text)) and not _EARLIER.search(text)
    earlier = bool(_EARLIER.search(text)) and not later
    direction = "later" if later else "earlier" if earlier else None
    if visit is None:
        return Move(when, direction)
    day = visit.date()
    hours = _HOURS.search(text)
    if hours and (direction is not None or hours.group("way")) and not (when and when.date_from):
        back = earlier or (hours.group("way") or "").lower() in ("earlier", "sooner", "before")
        return _hours_away(hours, visit, back)
    offset = _OFFSET.search(text)
    if offset and (direction is not None or offset.group("way")):
        week = offset.group("unit").lower() == "week"
        days = _count(offset.group("n")) * (7 if week else 1)
        back = earlier or (offset.group("way") or "").lower() in ("earlier", "sooner", "before")
        start = day + timedelta(days=-days if back else days)
        end = start + timedelta(days=6 if week else 0)
        times = (when.earliest, when.latest) if when is not None else (None, None)
        phrase = " ".join(offset.group(0).split()[:2]) + (" earlier" if back else " later")
        return Move(DateWindow(start, end, *times, phrase), "earlier" if back else "later")
    if _SAME_DAY.search(text):
        return Move(DateWindow(day, day, None, None, "that day"), direction)
    if _SAME_WEEK.search(text):
        monday, sunday = _week(day)
        low, high = (day, sunday) if direction != "earlier" else (max(monday, now.date()), day)
        return Move(DateWindow(low, high, None, None, "that week"), direction)
    if when is not None and _NEXT_WEEK.search(text) and when.date_from is not None and when.date_from <= day:
        # "push it to next week" for a visit that is already next week: the week after the visit's.
        monday, _ = _week(day)
        start = monday + timedelta(days=7)
        return Move(DateWindow(start, start + timedelta(days=6), when.earliest, when.latest, "the week after"), "later")
    if when is not None and (when.date_from is not None or when.date_to is not None):
        return Move(when, direction)  # a date of its own ("move it to friday"): the calendar's
    if direction == "later":
        return Move(
            DateWindow(day, None, when.earliest if when else None, when.latest if when else None, "later"), "later"
        )
    if direction == "earlier":
        return Move(DateWindow(now.date(), day, None, None, "earlier"), "earlier")
    return Move(when, None)


def _hours_away(hours: re.Match[str], visit: datetime, back: bool) -> Move:
    """ "an hour later" for a 1 PM visit: that day's openings from half-way there (1:30 PM) on, nearest
    first (on a two-hour grid, 3 PM); "an hour earlier": that day's openings before 12:30 PM."""
    raw, unit = hours.group("n").lower(), hours.group("unit").lower()
    minutes = 30 if raw == "half an" else _count(raw) * (60 if unit in ("hour", "hr") else 1)
    day, half = visit.date(), timedelta(minutes=max(1, minutes // 2))
    phrase = " ".join(hours.group(0).split()[:-1] if hours.group("way") else hours.group(0).split())
    if back:
        latest = (visit - half).time() if (visit - half).date() == day else None
        return Move(DateWindow(day, day, None, latest, f"{phrase} earlier"), "earlier")
    earliest = (visit + half).time() if (visit + half).date() == day else None
    return Move(DateWindow(day, day, earliest, None, f"{phrase} later"), "later")


_TO = re.compile(r"\b(?:to|until|till|into|for)\s+", re.I)


def from_and_to(text: str, now: datetime) -> tuple[DateWindow, DateWindow] | None:
    """ "move my hvac appointment on friday to monday": (the visit's day, the new day), read on each
    side of the last "to" after which a date follows; None when the message names no such pair."""
    for m in reversed(list(_TO.finditer(text))):
        old, new = parse_when(text[: m.start()], now), parse_when(text[m.end() :], now)
        if old is not None and new is not None and old.date_from is not None and new.date_from is not None:
            return old, new
    return None


def is_relative_move(text: str) -> bool:
    """Whether a message moves a visit by itself ("push it back", "a week later", "later that week")."""
    text = fix_typos(text)
    return bool(_LATER.search(text) or _EARLIER.search(text) or _SAME_DAY.search(text) or _SAME_WEEK.search(text))


def on_side(direction: str | None, visit: str | None, slot: dict[str, Any]) -> bool:
    """Whether an opening lies on the asked side of the visit being moved (both ISO start times)."""
    starts_at = slot.get("starts_at")
    if direction is None or not visit or not starts_at:
        return True
    start, at = datetime.fromisoformat(str(starts_at)), datetime.fromisoformat(str(visit))
    return start > at if direction == "later" else start < at

"""Calendar phrases that name no plain date: "the end of the month", "the day after", "last month".

Split from `when` (which reads them through `parse_when`); the rules each follows are listed in
`when`'s module docstring. Pure functions.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

from callcenter_agents.extract._text import MONTH_RE, MONTHS, add_months
from callcenter_agents.extract.polite import fix_typos

# Calendar words whose one-letter slips are mended before a date is read ("monht", "sundy",
# "the day afer", "weekkends"); "march" and "april" are left out ("match", "apricot" are words).
CALENDAR_WORDS: Final = (
    *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "weekends"),
    *("mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays"),
    *("month", "after", "before", "following", "tomorrow", "today", "morning", "afternoon", "evening", "tonight"),
    *("january", "february", "august", "september", "october", "november", "december", "beginning", "middle"),
)
# "march" and "april" typed with two letters swapped ("marhc", "aprli"): only swaps are mended, as a
# one-letter change would turn "match" into "march".
_SWAPS: Final = {w[:i] + w[i + 1] + w[i] + w[i + 2 :]: w for w in ("march", "april") for i in range(len(w) - 1)}
SWAPPED_MONTH: Final = re.compile(r"\b(" + "|".join(sorted(_SWAPS)) + r")\b")


def mend_calendar_slips(text: str) -> str:
    """`text` lower-cased, with one-letter slips in calendar and history words mended ("sundy", "cloggged"),
    and "marhc" read as "march", "apirl" as "april"."""
    return SWAPPED_MONTH.sub(lambda m: _SWAPS[m[1]], fix_typos(text, CALENDAR_WORDS + HISTORY_WORDS))


# The verbs that date a problem's start ("it stopped on monday"), mended too: "cloggged on monday" is history.
HISTORY_WORDS: Final = ("started", "stopped", "clogged", "leaked", "flooded", "cracked", "failed", "tripped", "since")
_ORDINAL_WORDS: Final[dict[str, int]] = {
    word: n
    for n, word in enumerate(
        (
            *("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"),
            *("eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth"),
            *("eighteenth", "nineteenth", "twentieth"),
        ),
        start=1,
    )
}
_ORDINAL_WORD_RE: Final = (
    r"(?:(twenty|thirty)[\s-]+)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
    r"|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth"
    r"|twentieth|thirtieth)"
)
_ORDINAL_WORD = re.compile(_ORDINAL_WORD_RE)
# A day number said as a word where a date is plain: next to a month, or after "on the"/"for the".
ORDINAL_DATE = re.compile(
    rf"\b{MONTH_RE}\s+(?:the\s+)?{_ORDINAL_WORD_RE}\b"
    rf"|\b{_ORDINAL_WORD_RE}(?=\s+of\s+(?:{MONTH_RE}|the\s+month|this\s+month|next\s+month)(?![a-z]))"
    rf"|\b(?:on|for|by|until|till)\s+the\s+{_ORDINAL_WORD_RE}\b(?!\s+(?:one|option|choice|slot|time|floor|thing))"
)
_WEEKDAY_WORD: Final = r"(?:mon|tues?|wednes|wed|thurs?|thu|fri|satur|sat|sun)(?:day)?s?"
_PART_OF_DAY: Final = r"(?:\s+(?:morning|afternoon|evening|night|am|pm))?"
# What already happened is no request: "same as last month", "a week ago", "every month"; and how long
# a problem has lasted: "no hot water since monday", "ever since the weekend", "for the last few days",
# "it started on tuesday", "been leaking since 6am" (history, not the day the resident asks for).
PAST = re.compile(
    rf"\b(?:last|past|previous|prior)\s+(?:week(?:end)?|month|year|time|visit|{_WEEKDAY_WORD}){_PART_OF_DAY}s?\b"
    r"|\b(?:a|an|one|two|three|four|few|couple(?:\s+of)?|\d+)\s+(?:days?|weeks?|months?|years?)\s+ago\b"
    r"|\b(?:every|each|per|once\s+a|twice\s+a)\s+(?:week|month|day)\b|\b(?:monthly|weekly|yesterday)\b"
    r"|\b(?:ever\s+)?since\s+(?:(?:last|this\s+past|this|the|early|late)\s+)?"
    rf"(?:week(?:end)?|month|{_WEEKDAY_WORD}|morning|afternoon|evening|night|yesterday|today|"
    rf"\d{{1,2}}(?::\d\d)?\s*(?:am|pm|o'?clock)?|{MONTH_RE}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?){_PART_OF_DAY}\b"
    r"|\bfor\s+(?:the\s+)?(?:last|past)\s+(?:(?:few|couple(?:\s+of)?|several|two|three|four|five|\d+)\s+)?"
    r"(?:days?|weeks?|months?|nights?|mornings?|hours?)\b"
    r"|\b(?:started|began|broke(?:\s+down)?|stopped|happened|quit|died|went\s+out|failed|clogged|leaked|flooded|"
    r"burst|cracked|backed\s+up|fell(?:\s+off)?|came\s+off|tripped)(?:\s+\w+ing)?"
    r"\s+(?:on\s+|back\s+on\s+)?(?:(?:last|this\s+past)\s+)?"
    rf"{_WEEKDAY_WORD}{_PART_OF_DAY}\b"
)
# "the end of the month", "early next week", "mid-january": part of a month or a week.
PART_OF = re.compile(
    rf"\b(?:the\s+)?(end|beginning|start|middle|mid|late|later|early)(?:[\s-]+(?:of|in))?[\s-]+"
    rf"(?:(the|this|next|the\s+next|the\s+following)\s+)?(month|week|{MONTH_RE})\b"
)
# Counted from the day talked about: "what about the day after", "a week later".
RELATIVE_DAY = re.compile(
    r"\b(?:the\s+)?(?:(day|week)\s+after(?:\s+that)?(?!\s+(?:tomorrow|tmrw|tmr|next))|(next|following)\s+day"
    r"|(day|week)\s+before(?:\s+that)?|(a|one)\s+(day|week)\s+later|same\s+(?:day|time)\s+(next)\s+week)\b"
)


def ordinal_value(m: re.Match[str]) -> str:
    """ "third" -> "3rd", "twenty-first" -> "21st": a day number said as a word, as digits."""
    word = _ORDINAL_WORD.search(m[0])
    if word is None:
        return m[0]
    tens = {"twenty": 20, "thirty": 30}.get(word[1] or "", 0)
    unit = word[2]
    value = tens + (30 if unit == "thirtieth" else 20 if unit == "twentieth" else _ORDINAL_WORDS.get(unit, 0))
    last = value % 10 if value not in (11, 12, 13) else 0
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(last, "th")
    return m[0][: word.start()] + f"{value}{suffix}"


def _month_end(first: date) -> date:
    return add_months(first, 1) - timedelta(days=1)


def part_of(part: str, modifier: str, unit: str, today: date) -> tuple[date, date] | None:
    """The days "the end of the month", "early next week" or "mid january" name (see the module rules)."""
    part = {"later": "late", "beginning": "start", "early": "start", "mid": "middle"}.get(part, part)
    part = "end" if part == "late" else part
    ahead = 1 if "next" in modifier or "following" in modifier else 0
    if unit == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=ahead)
        first, last = {"start": (0, 2), "middle": (2, 3), "end": (3, 6)}[part]
        low, high = monday + timedelta(days=first), monday + timedelta(days=last)
        if high < today:
            low, high = low + timedelta(weeks=1), high + timedelta(weeks=1)
        return max(low, today), high
    if unit == "month":
        first_day = add_months(today, ahead)
    else:
        month = MONTHS[unit[:3]]
        year = today.year if month >= today.month else today.year + 1
        first_day = date(year, month, 1)
    for _ in range(2):
        end = _month_end(first_day)
        low, high = {
            "start": (first_day, first_day + timedelta(days=6)),
            "middle": (first_day + timedelta(days=10), first_day + timedelta(days=19)),
            "end": (end - timedelta(days=6), end),
        }[part]
        # Passed already, or (for the end) only its last two days left: the next month's is meant.
        if high >= today and not (part == "end" and unit == "month" and not ahead and (high - today).days < 2):
            return max(low, today), high
        if unit != "month" or ahead:
            return None
        first_day = add_months(first_day, 1)
    return None


def relative_day(m: re.Match[str], today: date, anchor: date | None) -> tuple[date, date]:
    """ "the day after" / "a week later" counted from the day talked about (today without one)."""
    base = anchor or today
    unit_after, next_day, unit_before, _a, unit_later, next_week = m.groups()
    if next_day or unit_after == "day" or unit_later == "day":
        day = base + timedelta(days=1)
    elif unit_before == "day":
        day = max(today, base - timedelta(days=1))
    elif unit_before == "week":
        day = max(today, base - timedelta(weeks=1))
    elif unit_after == "week":
        monday = base - timedelta(days=base.weekday()) + timedelta(weeks=1)
        return max(today, monday), monday + timedelta(days=6)
    else:  # "a week later", "same day next week"
        day = base + timedelta(weeks=1)
    return day, day

"""Numbers, amounts, dates and times as a voice should say them.

Replies are written for a screen: "$1,234.50", "2026-12-01", "Tue Dec 1, 3:00 PM", "appointment #22".
Text-to-speech reads those literally or oddly ("hash 22", "twenty twenty-six dash twelve…"), so the
voice channel rewrites them into words a person would say: "1,234 dollars and 50 cents",
"Tuesday, December 1st", "Tuesday, December 1st, at 3 PM", "appointment 22". Pure functions over
one line of text; the stored reply keeps its screen form.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_WEEKDAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "tues": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "thur": "Thursday",
    "thurs": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
# English names in the C locale, which the service never changes (the `%A` weekdays below rely on it too).
_MONTH_ABBR = {m[:3].lower(): m for m in calendar.month_name[1:]} | {"sept": "September"}

_AMOUNT = re.compile(r"(?P<sign>-)?\$(?P<dollars>\d{1,3}(?:,\d{3})*|\d+)(?:\.(?P<cents>\d{2}))?(?!\d)")
_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b(?!:)")
_WEEKDAY_MONTH_DAY = re.compile(
    r"\b(?P<wd>Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?,? (?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept|Sep"
    r"|Oct|Nov|Dec)\.? (?P<day>\d{1,2})\b(?P<comma>,)?"
)
_MONTH_DAY = re.compile(r"\b(?P<mon>Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.? (?P<day>\d{1,2})\b(?!:)")
_LONE_WEEKDAY = re.compile(r"\b(?P<wd>Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\b\.?(?= \d{1,2}(?::\d{2})?\s?[AP]M)")
_TIME = re.compile(r"\b(?P<h>\d{1,2}):(?P<m>\d{2})\s?(?P<ampm>[AaPp])\.?[Mm]\b\.?")
# "#22" after a noun that names it: "appointment #22" -> "appointment 22".
_NAMED_REF = re.compile(
    r"\b(?P<noun>appointment|ticket|invoice|payment|order|unit|apartment|number|no\.?)"
    r"(?P<mid>(?: number)?(?: is)?:? )#(?P<n>\d+)",
    re.IGNORECASE,
)
_BARE_REF = re.compile(r"#(?P<n>\d+)")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd …"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def speak_amount(sign: str, dollars: str, cents: str | None) -> str:
    """'$1,234.50' parts -> '1,234 dollars and 50 cents'; whole dollars lose the '.00'."""
    whole = int(dollars.replace(",", ""))
    part = int(cents or 0)
    words: list[str] = []
    if whole or not part:
        words.append(f"{dollars} {'dollar' if whole == 1 else 'dollars'}")
    if part:
        words.append(f"{part} {'cent' if part == 1 else 'cents'}")
    return ("minus " if sign else "") + " and ".join(words)


def speak_time(hour: int, minute: int, ampm: str) -> str:
    """'3:00 PM' -> '3 PM'; '3:30 PM' stays; 12:00 PM is 'noon'."""
    suffix = "AM" if ampm.lower() == "a" else "PM"
    if minute == 0 and hour == 12:
        return "noon" if suffix == "PM" else "midnight"
    return f"{hour} {suffix}" if minute == 0 else f"{hour}:{minute:02d} {suffix}"


def speak_date(day: date, today: date | None = None) -> str:
    """'Tuesday, December 1st', with the year only when it is not this year."""
    text = f"{day:%A}, {calendar.month_name[day.month]} {ordinal(day.day)}"
    if today is None or day.year != today.year:
        text += f", {day.year}"
    return text


def speak_numbers(line: str, today: date | None = None) -> str:
    """One line with its amounts, dates, times and `#N` references rewritten for speech."""
    line = _AMOUNT.sub(lambda m: speak_amount(m["sign"] or "", m["dollars"], m["cents"]), line)

    def iso(m: re.Match[str]) -> str:
        try:
            return speak_date(date(int(m["y"]), int(m["m"]), int(m["d"])), today)
        except ValueError:  # not a real date: leave it as written
            return m.group(0)

    line = _ISO_DATE.sub(iso, line)

    def weekday_month_day(m: re.Match[str]) -> str:
        text = f"{_WEEKDAYS[m['wd'].lower()]}, {_MONTH_ABBR[m['mon'].lower()]} {ordinal(int(m['day']))}"
        return text + (", at" if m["comma"] else "")

    line = _WEEKDAY_MONTH_DAY.sub(weekday_month_day, line)
    line = _MONTH_DAY.sub(lambda m: f"{_MONTH_ABBR[m['mon'].lower()]} {ordinal(int(m['day']))}", line)
    line = _LONE_WEEKDAY.sub(lambda m: _WEEKDAYS[m["wd"].lower()], line)
    line = _TIME.sub(lambda m: speak_time(int(m["h"]), int(m["m"]), m["ampm"]), line)
    line = _NAMED_REF.sub(lambda m: f"{m['noun']}{m['mid']}{m['n']}", line)
    return _BARE_REF.sub(r"number \g<n>", line)

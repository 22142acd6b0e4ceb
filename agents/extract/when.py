"""Dates and time-of-day windows from natural phrasing: "next tuesday after 3".

Pure functions over a string and an explicit, tz-aware `now` (the clock is never read).

Rules chosen where English is ambiguous (tests pin each one):

- Weeks run Monday to Sunday.
- A bare weekday ("tuesday", "coming tuesday") is its next occurrence strictly after today;
  "this friday" is the first Friday on or after today; "next tuesday" is the first Tuesday
  at least one day ahead, plus seven days when that one still falls in the current week
  (said on a Monday it means Tuesday of next week; said on a Saturday, the coming Tuesday).
- "this weekend" is the Saturday and Sunday of this week (what is left of it on a weekend);
  "next weekend" is the weekend of next week.
- A month and day without a year ("dec 3", "12/3" read month/day, "the 14th") is the next
  such date on or after today; an explicit year is kept even if it is in the past.
- A bare clock hour 1-7 means pm, 8-11 am, 12 noon; "morning" in the same phrase makes
  it am and "afternoon"/"evening"/"tonight" pm.
- "The end of the month" is its last seven days (from today at the earliest); said in the
  month's last two days it means next month's end. "The beginning of the month" is days 1-7
  (next month's once this month's have passed), "the middle of the month" days 11-20; the
  same words with "week" are Thursday-Sunday, Monday-Tuesday and Wednesday-Thursday, and a
  month's name works too ("early january", "end of dec").
- The past is not a request: "same as last month", "a week ago", "every month", "last
  tuesday" name no date.
- "The day after", "the next day", "a week later" count from `anchor` (the day the
  conversation was about), from today without one.
- Day numbers may be words where a date is plain: "the third of december", "december
  third", "on the twenty-first"; a bare "the third" stays a choice of option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from callcenter_agents.extract._text import (
    MONTH_RE,
    MONTHS,
    SMALL_NUMBERS,
    WEEKDAY_RE,
    WEEKDAYS,
    WORD_HOUR,
    add_months,
    lower,
    words_value,
)
from callcenter_agents.extract.day_phrases import (
    ORDINAL_DATE,
    PART_OF,
    PAST,
    RELATIVE_DAY,
    mend_calendar_slips,
    ordinal_value,
    part_of,
    relative_day,
)
from callcenter_agents.extract.excluded_days import without_excluded_days

__all__ = ["DateWindow", "parse_when"]


@dataclass(frozen=True)
class DateWindow:
    """What the customer asked for: a date range and a time-of-day window.

    Dates are an inclusive range (None = open ended). Time bounds apply to an
    appointment's start: `earliest` is inclusive, `latest` exclusive ("before noon" does
    not admit 12:00), except that `earliest == latest` names one exact time ("at 10").
    `text` is the matched phrase, for echoing back ("next tuesday after 3").
    """

    date_from: date | None
    date_to: date | None
    earliest: time | None
    latest: time | None
    text: str

    def admits_date(self, day: date) -> bool:
        """Whether `day` lies in the date range."""
        if self.date_from is not None and day < self.date_from:
            return False
        return not (self.date_to is not None and day > self.date_to)

    def admits_time(self, start: time) -> bool:
        """Whether an appointment starting at `start` fits the time-of-day window."""
        if self.earliest is not None and self.earliest == self.latest:
            return start == self.earliest
        if self.earliest is not None and start < self.earliest:
            return False
        return not (self.latest is not None and start >= self.latest)

    def admits(self, start: datetime) -> bool:
        """Whether a slot starting at `start` (in the customer's local time) fits."""
        return self.admits_date(start.date()) and self.admits_time(start.time())


def _small_number(word: str) -> int | None:
    """1-99 from digits, a number word, or the idioms "a"/"a couple"/"a few"."""
    word = word.strip()
    if word.isdigit():
        return int(word)
    if word in ("a", "an"):
        return 1
    if word.startswith("a couple"):
        return 2
    if word == "a few":
        return 3
    return words_value(word.replace("-", " ").split())


# ---------------------------------------------------------------- parse_when: dates

_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASH = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
_MONTH_DAY = re.compile(rf"\b{MONTH_RE}\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)(?:,?\s*(\d{{4}})\b)?")
_DAY_MONTH = re.compile(rf"\b(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RE}(?![a-z])")
_NTH = re.compile(
    r"\b(?:on\s+)?(?:the\s+)?(\d{1,2})(st|nd|rd|th)\b(?!\s+(?:floor|one|option|choice|time|slot))"
    r"|\bon\s+the\s+(\d{1,2})\b(?!\s*(?::|am|pm|a\.m|p\.m))"
)
_DAY_AFTER = re.compile(r"\b(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw|tmr)\b")
_TOMORROW = re.compile(r"\b(?:tomorrow|tmrw|tmr|tomorow|2morrow)\b")
_TODAY = re.compile(r"\b(?:today|this\s+(?:morning|afternoon|evening))\b")
_TONIGHT = re.compile(r"\b(?:tonight|tonite)\b")
_IN_N = re.compile(rf"\bin\s+(\d{{1,3}}|a|an|a\s+couple(?:\s+of)?|a\s+few|{WORD_HOUR})\s+(days?|weeks?)\b")
_WITHIN_N = re.compile(
    rf"\b(?:within|in\s+the\s+next|over\s+the\s+next|the\s+next)\s+"
    rf"(\d{{1,3}}|a\s+couple(?:\s+of)?|a\s+few|{WORD_HOUR})\s+(days?|weeks?)\b"
)
_WEEKDAY = re.compile(rf"\b(?:(this\s+coming|this|next|coming|upcoming)\s+)?{WEEKDAY_RE}")
_ASAP = re.compile(
    r"\b(?:asap|as\s+soon\s+as\s+(?:possible|you\s+can)|(?:earliest|next|first)\s+(?:available|possible|opening)"
    r"|soonest|right\s+away)\b"
)
_RANGE = re.compile(
    r"\b(?:(this|next|early\s+next|that(?:\s+same)?|the\s+same|same|the)\s+)?(week|weekend|month)\b(?!\s*(?:ly|s\b))"
    r"|\b(?:on\s+the\s+|this\s+|on\s+|over\s+the\s+)?(weekend)s?\b"
)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _upcoming(month: int, day: int, today: date) -> date | None:
    """The next month/day on or after today (this year, else next; Feb 29 looks further)."""
    for year in range(today.year, today.year + 5):
        found = _safe_date(year, month, day)
        if found is not None and found >= today:
            return found
    return None


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    value = int(raw)
    return value + 2000 if value < 100 else value


def _explicit_date(t: str, today: date) -> tuple[date, tuple[int, int]] | None:
    """A calendar date written out: ISO, month/day, month name + day, or "the 14th"."""
    if m := _ISO.search(t):
        found = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        if found:
            return found, m.span()
    if m := _SLASH.search(t):
        year = _year(m[3])
        month, day = int(m[1]), int(m[2])
        found = _safe_date(year, month, day) if year else _upcoming(month, day, today)
        if found:
            return found, m.span()
    for pattern, month_group, day_group in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
        if m := pattern.search(t):
            month = MONTHS[m[month_group][:3]]
            day = int(m[day_group])
            year = _year(m[3]) if pattern is _MONTH_DAY else None
            found = _safe_date(year, month, day) if year else _upcoming(month, day, today)
            if found:
                return found, m.span()
    if m := _NTH.search(t):
        day = int(m[1] or m[3])
        for ahead in range(0, 4):
            first = add_months(today, ahead)
            found = _safe_date(first.year, first.month, day)
            if found is not None and found >= today:
                return found, m.span()
    return None


def _weekday_date(weekday: int, modifier: str, today: date) -> date:
    delta = (weekday - today.weekday()) % 7
    if modifier == "this":
        return today + timedelta(days=delta)
    found = today + timedelta(days=delta or 7)
    if modifier == "next" and found - timedelta(days=found.weekday()) == today - timedelta(days=today.weekday()):
        found += timedelta(days=7)
    return found


def _range(kind: str, modifier: str, today: date, anchor: date | None = None) -> tuple[date, date]:
    if modifier in ("that", "that same", "the same", "same") and anchor is not None:
        # "that week": the week of the day talked about before, from today at the earliest.
        monday = anchor - timedelta(days=anchor.weekday())
        if kind == "week":
            return max(today, monday), max(today, monday + timedelta(days=6))
        if kind == "weekend":
            saturday = monday + timedelta(days=5)
            return max(today, saturday), max(today, saturday + timedelta(days=1))
        first = anchor.replace(day=1)
        return max(today, first), max(today, add_months(first, 1) - timedelta(days=1))
    if modifier in ("that", "that same", "the same", "same"):
        modifier = "this"
    monday = today - timedelta(days=today.weekday())
    if kind == "week":
        if modifier == "next":
            return monday + timedelta(days=7), monday + timedelta(days=13)
        if modifier == "early next":
            return monday + timedelta(days=7), monday + timedelta(days=9)
        return today, monday + timedelta(days=6)
    if kind == "weekend":
        saturday = monday + timedelta(days=5)
        if modifier == "next":
            return saturday + timedelta(days=7), saturday + timedelta(days=8)
        return max(today, saturday), saturday + timedelta(days=1)
    # month
    if modifier == "next":
        first = add_months(today, 1)
        return first, add_months(today, 2) - timedelta(days=1)
    return today, add_months(today, 1) - timedelta(days=1)


_Span = tuple[int, int]


def _find_dates(t: str, today: date, anchor: date | None = None) -> tuple[date | None, date | None, list[_Span]]:
    """The date range named in `t` and the spans that named it."""
    explicit = _explicit_date(t, today)
    if explicit:
        return explicit[0], explicit[0], [explicit[1]]
    if m := RELATIVE_DAY.search(t):
        low, high = relative_day(m, today, anchor)
        return low, high, [m.span()]
    if m := PART_OF.search(t):
        found = part_of(m[1], " ".join((m[2] or "").split()), m[3], today)
        if found is not None:
            return found[0], found[1], [m.span()]
    for pattern, offset in ((_DAY_AFTER, 2), (_TOMORROW, 1), (_TODAY, 0), (_TONIGHT, 0)):
        if m := pattern.search(t):
            day = today + timedelta(days=offset)
            return day, day, [m.span()]
    if m := _WITHIN_N.search(t):
        count = _small_number(m[1])
        if count is not None:
            days = count * (7 if m[2].startswith("week") else 1)
            return today, today + timedelta(days=days), [m.span()]
    if m := _IN_N.search(t):
        count = _small_number(m[1])
        if count is not None:
            day = today + timedelta(days=count * (7 if m[2].startswith("week") else 1))
            return day, day, [m.span()]
    span_range: tuple[date, date, _Span] | None = None
    if r := _RANGE.search(t):
        kind = r[2] or r[3]
        modifier = " ".join((r[1] or "this").split())
        if modifier != "the" or kind == "weekend":
            low, high = _range(kind, "this" if modifier == "the" else modifier, today, anchor)
            span_range = (low, high, r.span())
    if w := _WEEKDAY.search(t):
        weekday = WEEKDAYS[w[2][:3]]
        modifier = " ".join((w[1] or "").split())
        modifier = "this" if modifier == "this" else "next" if modifier == "next" else ""
        if span_range is not None and span_range[1] - span_range[0] >= timedelta(days=6):
            low, high, span = span_range
            day = low + timedelta(days=(weekday - low.weekday()) % 7)
            if day <= high:
                return day, day, sorted([w.span(), span])
        day = _weekday_date(weekday, modifier, today)
        return day, day, [w.span()]
    if span_range is not None:
        return span_range[0], span_range[1], [span_range[2]]
    if m := _ASAP.search(t):
        return today, None, [m.span()]
    return None, None, []


# ---------------------------------------------------------------- parse_when: times

_AP: Final = r"\s*(?:am|pm|a\.m\.?|p\.m\.?)(?![a-z])"
_CLOCK: Final = (
    rf"(?:(?:\d{{1,2}}(?::[0-5]\d)?|{WORD_HOUR})(?:{_AP})?(?:\s*o'?clock)?"
    r"(?!(?!ish\b)[\w/])(?!\s*(?:days?|weeks?|months?|years?|dollars?|bucks?|%|hours?|hrs?|minutes?|mins?"
    r"|people|bedrooms?|units?|apartments?|st\b|nd\b|rd\b|th\b))"
    r"|noon|midday|midnight)"
)
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+({_CLOCK})\s*(?:and|to|-|until|till|til)\s*({_CLOCK})"
    rf"|\b(\d{{1,2}}(?::[0-5]\d)?(?:{_AP})?)\s*(?:-|to|until)\s*(\d{{1,2}}(?::[0-5]\d)?{_AP})"
)
_AFTER = re.compile(
    rf"(?:(?<!not )\bafter|\bnot\s+before|\bno\s+earlier\s+than|\bstarting(?:\s+at|\s+from)?"
    rf"|(?<!no )\blater\s+than|\bfrom)\s+({_CLOCK})"
)
_BEFORE = re.compile(
    rf"(?:(?<!not )\bbefore|\bby|\bno\s+later\s+than|\bnot\s+after|\buntil|\btill|\btil|\bup\s+to)"
    rf"\s+({_CLOCK})"
)
_AROUND = re.compile(
    rf"\b(?:around|(?<!how\s)(?<!what\s)about|approximately|approx\.?|roughly|close\s+to|near)\s+({_CLOCK})"
    rf"|\b({_CLOCK})\s*-?\s*ish\b"
)
_AT = re.compile(  # "how about 11" suggests 11, where "about 11" is roughly 11
    rf"(?:\bat\s*|@\s*|(?<=\bhow about )|(?<=\bwhat about ))({_CLOCK})"
    rf"|\b(\d{{1,2}}(?::[0-5]\d)?{_AP}|\d{{1,2}}:[0-5]\d|noon|midday)(?![\w:])"
    rf"|\b(\d{{1,2}}|{WORD_HOUR})\s*o'?clock\b"
)
_CLOCK_PARTS = re.compile(rf"(\d{{1,2}}|{WORD_HOUR})(?::(\d\d))?\s*(a|p)?")

_DAY_WORD = r"tomorrow|tmrw|tmrow|tmr|today|(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?"
# Part-of-day phrases, most specific first: (pattern, earliest hour, latest hour, am/pm hint).
_PARTS: Final[tuple[tuple[re.Pattern[str], time | None, time | None, str | None], ...]] = tuple(
    (re.compile(p), time(lo) if lo is not None else None, time(hi) if hi is not None else None, hint)
    for p, lo, hi, hint in (
        # "im home all day. not too early please" (trial5 #5): the first opening of the day is too early
        (r"\bnot\s+(?:too|so|very|super)\s+early\b|\bnothing\s+(?:too\s+)?early\b", 10, None, None),
        (r"\bnot\s+(?:too|so|very|super)\s+late\b|\bnothing\s+(?:too\s+)?late\b", None, 15, None),
        (r"\bfirst\s+thing(?:\s+in\s+the\s+morning)?\b", 8, 10, "am"),
        (r"\bearly\s+(?:in\s+the\s+)?morning\b", 8, 10, "am"),
        (r"\blate\s+(?:in\s+the\s+)?morning\b", 10, 12, "am"),
        (r"\bearly\s+(?:in\s+the\s+)?afternoon\b", 12, 14, "pm"),
        (r"\blate\s+(?:in\s+the\s+)?afternoon\b", 15, 17, "pm"),
        (r"\bearly\s+(?:in\s+the\s+)?evening\b", 17, 19, "pm"),
        (r"\bafter\s+work\b", 17, None, "pm"),
        (r"\bafter\s+lunch\b", 13, None, "pm"),
        (r"\bbefore\s+lunch\b", None, 12, "am"),
        (r"\b(?:at\s+)?lunch\s*time\b|\bat\s+lunch\b|\bover\s+lunch\b", 12, 13, "pm"),
        # "tmrw am", "friday pm": a day's morning or afternoon, as texted
        (rf"\b(?:{_DAY_WORD})\s+am\b", 8, 12, "am"),
        (rf"\b(?:{_DAY_WORD})\s+pm\b", 12, 17, "pm"),
        (r"\bmornings?\b|\bin\s+the\s+am\b", 8, 12, "am"),
        (r"\bafternoons?\b|\bin\s+the\s+pm\b", 12, 17, "pm"),
        (r"\bevenings?\b", 17, 20, "pm"),
        (r"\btonight\b|\btonite\b", 17, None, "pm"),
        (r"\bany\s*time\b|\bwhenever\b|\ball\s+day\b", None, None, None),
    )
)


def clock_time(token: str, hint: str | None) -> time | None:
    """A clock token as a time of day, resolving a bare hour by the documented rule."""
    token = token.strip()
    if token in ("noon", "midday"):
        return time(12)
    if token == "midnight":
        return time(0)
    m = _CLOCK_PARTS.match(token)
    if m is None:
        return None
    raw = m[1]
    hour = int(raw) if raw.isdigit() else SMALL_NUMBERS[raw]
    minute = int(m[2] or 0)
    meridiem = f"{m[3]}m" if m[3] else None
    if hour > 23 or minute > 59:
        return None
    if hour > 12 or hour == 0:
        return time(hour, minute)
    meridiem = meridiem or hint or ("pm" if 1 <= hour <= 7 else "am")
    if hour == 12:
        return time(12 if meridiem == "pm" or not m[3] else 0, minute)
    return time(hour + 12 if meridiem == "pm" else hour, minute)


def _has_meridiem(token: str) -> bool:
    return bool(re.search(_AP, token)) or token.strip() in ("noon", "midday", "midnight")


def _between(first: str, second: str, hint: str | None) -> tuple[time, time] | None:
    """Both ends of "between X and Y", letting one end's am/pm inform the other."""
    if _has_meridiem(second) and not _has_meridiem(first):
        end = clock_time(second, None)
        if end is None:
            return None
        start = clock_time(first, "pm" if end.hour >= 12 else "am")
        if start is not None and start > end:
            start = clock_time(first, "am")
        return (start, end) if start is not None else None
    start = clock_time(first, hint)
    if start is None:
        return None
    if _has_meridiem(second):
        end = clock_time(second, None)
    else:
        options = [c for c in (clock_time(second, "am"), clock_time(second, "pm")) if c is not None]
        end = next((c for c in sorted(options) if c > start), options[0] if options else None)
    return (start, end) if end is not None else None


def _shift(at: time, hours: int) -> time:
    minutes = min(max(at.hour * 60 + at.minute + hours * 60, 0), 23 * 60 + 59)
    return time(minutes // 60, minutes % 60)


def _find_times(t: str) -> tuple[time | None, time | None, bool, list[_Span]]:
    """Time-of-day bounds in `t`: (earliest, latest, anything matched, spans)."""
    earliest: time | None = None
    latest: time | None = None
    hint: str | None = None
    spans: list[_Span] = []
    matched = False
    for pattern, low, high, part_hint in _PARTS:
        if m := pattern.search(t):
            earliest, latest, hint, matched = low, high, part_hint, True
            spans.append(m.span())
            break
    if m := _BETWEEN.search(t):
        first, second = (m[1], m[2]) if m[1] else (m[3], m[4])
        bounds = _between(first, second, hint)
        if bounds:
            return bounds[0], bounds[1], True, [*spans, m.span()]
    after = _AFTER.search(t)
    before = _BEFORE.search(t)
    low_time = clock_time(after[1], hint) if after else None
    high_time = clock_time(before[1], hint) if before else None
    if after and low_time:
        earliest = low_time
        spans.append(after.span())
        if latest is not None and latest <= earliest:
            latest = None
    if before and high_time:
        latest = high_time
        spans.append(before.span())
        if earliest is not None and earliest >= latest and not (after and low_time):
            earliest = None
    if (after and low_time) or (before and high_time):
        return earliest, latest, True, spans
    if m := _AROUND.search(t):
        at = clock_time(m[1] or m[2], hint)
        if at is not None:
            return _shift(at, -1), _shift(at, 1), True, [*spans, m.span()]
    if m := _AT.search(t):
        at = clock_time(m[1] or m[2] or m[3], hint)
        if at is not None:
            return at, at, True, [*spans, m.span()]
    return earliest, latest, matched, spans


_OR_DAY = re.compile(rf"\b(?:or|and|/)\s*(?:on\s+)?{WEEKDAY_RE}")
# "Good afternoon, sorry to bother you..." is a greeting, not a time preference; "good morning
# works" is an answer and stays.
_GREETING = re.compile(
    r"\bgood\s+(?:morning|afternoon|evening|night|day)\b"
    r"(?!\s+(?:works?|is|would|slots?|times?|for\s+me|if|please|then|suits?|would)\b)"
)


# Words that take back what was just said in the same message ("tuesday? no wait wednesday").
_TAKEN_BACK = re.compile(r"\b(no,? wait|wait,? no|i mean|scratch that|no no)\b", re.I)


def parse_when(text: str, now: datetime, anchor: date | None = None) -> DateWindow | None:
    """The date range and time window a customer asked for, or None if they named none.

    `now` must be tz-aware; dates are taken in its zone. See the module docstring for
    the rules chosen for "next tuesday", "this weekend" and bare clock hours. `anchor` is
    the day the conversation was already about, which "that week" refers to (without it,
    "that week" is this week).
    """
    taken_back = list(_TAKEN_BACK.finditer(text))
    if taken_back and (later := parse_when(text[taken_back[-1].end() :], now, anchor)) is not None:
        return later  # "tuesday? no wait wednesday": the day said last, after taking the first back
    lowered = _GREETING.sub(lambda m: " " * len(m[0]), lower(text))
    lowered = mend_calendar_slips(lowered)  # "the day afer", "end of monht", "sundy", "marhc", "cloggged"
    lowered = without_excluded_days(PAST.sub(lambda m: " " * len(m[0]), lowered))  # "not monday tho"
    lowered = ORDINAL_DATE.sub(ordinal_value, lowered)
    today = now.date()
    date_from, date_to, date_spans = _find_dates(lowered, today, anchor)
    earliest, latest, time_matched, time_spans = _find_times(lowered)
    if not date_spans and not time_matched:
        return None
    spans = sorted(set(date_spans + time_spans))
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    phrase = " ".join(lowered[s:e].strip(" ,.") for s, e in merged)
    if date_from is not None and date_from == date_to and (m := _OR_DAY.search(lowered)):
        # "tuesday or wednesday morning": either day, so the window runs from the first to the second
        other = date_from + timedelta(days=(WEEKDAYS[m[1][:3]] - date_from.weekday()) % 7)
        if other > date_from:
            date_to, phrase = other, f"{phrase} or {m[1]}"
    return DateWindow(date_from, date_to, earliest, latest, phrase)

"""Slot extraction from natural customer phrasing, for the deterministic specialist flows.

The offline backend's booking and billing flows must understand "next tuesday after 3",
"$1,234.56" or "the 3pm one" without a model. Everything here is a pure function over a
string (and an explicit, tz-aware `now`; the clock is never read), stdlib only and fast
(tens of microseconds per call), so flows stay deterministic and testable.

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
- Amounts are integer cents. A number counts as money only with a currency cue ($, dollars,
  bucks, usd, cents) unless the caller says an amount is expected; fractions of a balance
  ("half") return None because only the flow knows the balance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Final, Literal

from callcenter.types import to_cents

__all__ = [
    "FULL",
    "DateWindow",
    "detect_appointment_ref",
    "detect_charge_kind",
    "detect_invoice_ref",
    "detect_issue",
    "is_affirmative",
    "is_cancel",
    "is_correction",
    "is_negative",
    "parse_amount",
    "parse_when",
    "pick_choice",
]

FULL: Final = "full"


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


# ---------------------------------------------------------------- shared vocabulary

_SMALL: Final[dict[str, int]] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS: Final[dict[str, int]] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_ORDINALS: Final[dict[str, int]] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}
_MONTHS: Final[dict[str, int]] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_WEEKDAYS: Final[dict[str, int]] = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}

_MONTH_RE: Final = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY_RE: Final = (
    r"\b(monday|mon|tuesday|tues?|wednesday|weds?|thursday|thu(?:rs?)?|friday|fri|saturday"
    r"|(?<!\bi )(?<!\bwe )(?<!\bhe )(?<!\bshe )(?<!\bthey )(?<!\byou )sat|sunday|(?<!the )sun)s?\b\.?"
)
_WORD_HOUR: Final = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_NUM_WORD_RE: Final = "|".join([*_SMALL, *_TENS, "hundred", "thousand", "grand"])


def _lower(text: str) -> str:
    """Lower-case with typographic apostrophes folded and whitespace collapsed."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").lower().split())


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
    return _words_value(word.replace("-", " ").split())


def _words_value(words: Sequence[str]) -> int | None:
    """Value of a run of English number words; None when the run is not a well-formed number.

    Rejects runs like "twelve fifty" (a price said as two numbers) rather than adding them.
    """
    total = current = 0
    seen = False
    for i, word in enumerate(words):
        if word == "and":
            continue
        if word in ("a", "an"):
            if i + 1 < len(words) and words[i + 1] in ("hundred", "thousand", "grand"):
                continue
            return None
        if word in _SMALL or word in _TENS:
            value = _SMALL.get(word, _TENS.get(word, 0))
            if value < 10:
                rest = current % 100
                if current % 10 != 0 or (rest != 0 and rest < 20):
                    return None
            elif current % 100 != 0:
                return None
            current += value
        elif word == "hundred":
            if current % 100 == 0 and current:
                return None
            current = (current or 1) * 100
        elif word in ("thousand", "grand"):
            total += (current or 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


# ---------------------------------------------------------------- parse_when: dates

_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASH = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
_MONTH_DAY = re.compile(
    rf"\b{_MONTH_RE}\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)(?:,?\s*(\d{{4}})\b)?"
)
_DAY_MONTH = re.compile(rf"\b(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RE}(?![a-z])")
_NTH = re.compile(
    r"\b(?:on\s+)?(?:the\s+)?(\d{1,2})(st|nd|rd|th)\b(?!\s+(?:floor|one|option|choice|time|slot))"
    r"|\bon\s+the\s+(\d{1,2})\b(?!\s*(?::|am|pm|a\.m|p\.m))"
)
_DAY_AFTER = re.compile(r"\b(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw|tmr)\b")
_TOMORROW = re.compile(r"\b(?:tomorrow|tmrw|tmr|tomorow|2morrow)\b")
_TODAY = re.compile(r"\b(?:today|this\s+(?:morning|afternoon|evening))\b")
_TONIGHT = re.compile(r"\b(?:tonight|tonite)\b")
_IN_N = re.compile(
    rf"\bin\s+(\d{{1,3}}|a|an|a\s+couple(?:\s+of)?|a\s+few|{_WORD_HOUR})\s+(days?|weeks?)\b"
)
_WITHIN_N = re.compile(
    rf"\b(?:within|in\s+the\s+next|over\s+the\s+next|the\s+next)\s+"
    rf"(\d{{1,3}}|a\s+couple(?:\s+of)?|a\s+few|{_WORD_HOUR})\s+(days?|weeks?)\b"
)
_WEEKDAY = re.compile(rf"\b(?:(this\s+coming|this|next|coming|upcoming)\s+)?{_WEEKDAY_RE}")
_ASAP = re.compile(
    r"\b(?:asap|as\s+soon\s+as\s+(?:possible|you\s+can)|(?:earliest|next|first)\s+(?:available|possible|opening)"
    r"|soonest|right\s+away)\b"
)
_RANGE = re.compile(
    r"\b(?:(this|next|early\s+next|the)\s+)?(week|weekend|month)\b(?!\s*(?:ly|s\b))"
    r"|\b(?:on\s+the\s+|this\s+)?(weekend)\b"
)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


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
            month = _MONTHS[m[month_group][:3]]
            day = int(m[day_group])
            year = _year(m[3]) if pattern is _MONTH_DAY else None
            found = _safe_date(year, month, day) if year else _upcoming(month, day, today)
            if found:
                return found, m.span()
    if m := _NTH.search(t):
        day = int(m[1] or m[3])
        for ahead in range(0, 4):
            first = _add_months(today, ahead)
            found = _safe_date(first.year, first.month, day)
            if found is not None and found >= today:
                return found, m.span()
    return None


def _weekday_date(weekday: int, modifier: str, today: date) -> date:
    delta = (weekday - today.weekday()) % 7
    if modifier == "this":
        return today + timedelta(days=delta)
    found = today + timedelta(days=delta or 7)
    if modifier == "next" and found - timedelta(days=found.weekday()) == today - timedelta(
        days=today.weekday()
    ):
        found += timedelta(days=7)
    return found


def _range(kind: str, modifier: str, today: date) -> tuple[date, date]:
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
        first = _add_months(today, 1)
        return first, _add_months(today, 2) - timedelta(days=1)
    return today, _add_months(today, 1) - timedelta(days=1)


_Span = tuple[int, int]


def _find_dates(t: str, today: date) -> tuple[date | None, date | None, list[_Span]]:
    """The date range named in `t` and the spans that named it."""
    explicit = _explicit_date(t, today)
    if explicit:
        return explicit[0], explicit[0], [explicit[1]]
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
            low, high = _range(kind, "this" if modifier == "the" else modifier, today)
            span_range = (low, high, r.span())
    if w := _WEEKDAY.search(t):
        weekday = _WEEKDAYS[w[2][:3]]
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
    rf"(?:(?:\d{{1,2}}(?::[0-5]\d)?|{_WORD_HOUR})(?:{_AP})?(?:\s*o'?clock)?"
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
    rf"\b(?:around|about|approximately|approx\.?|roughly|close\s+to|near)\s+({_CLOCK})"
    rf"|\b({_CLOCK})\s*-?\s*ish\b"
)
_AT = re.compile(
    rf"(?:\bat|@)\s*({_CLOCK})"
    rf"|\b(\d{{1,2}}(?::[0-5]\d)?{_AP}|\d{{1,2}}:[0-5]\d|noon|midday)(?![\w:])"
    rf"|\b(\d{{1,2}}|{_WORD_HOUR})\s*o'?clock\b"
)
_CLOCK_PARTS = re.compile(rf"(\d{{1,2}}|{_WORD_HOUR})(?::(\d\d))?\s*(a|p)?")

# Part-of-day phrases, most specific first: (pattern, earliest hour, latest hour, am/pm hint).
_PARTS: Final[tuple[tuple[re.Pattern[str], time | None, time | None, str | None], ...]] = tuple(
    (re.compile(p), time(lo) if lo is not None else None, time(hi) if hi is not None else None, hint)
    for p, lo, hi, hint in (
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
        (r"\bmornings?\b|\bin\s+the\s+am\b", 8, 12, "am"),
        (r"\bafternoons?\b|\bin\s+the\s+pm\b", 12, 17, "pm"),
        (r"\bevenings?\b", 17, 20, "pm"),
        (r"\btonight\b|\btonite\b", 17, None, "pm"),
        (r"\bany\s*time\b|\bwhenever\b|\ball\s+day\b", None, None, None),
    )
)


def _clock(token: str, hint: str | None) -> time | None:
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
    hour = int(raw) if raw.isdigit() else _SMALL[raw]
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
        end = _clock(second, None)
        if end is None:
            return None
        start = _clock(first, "pm" if end.hour >= 12 else "am")
        if start is not None and start > end:
            start = _clock(first, "am")
        return (start, end) if start is not None else None
    start = _clock(first, hint)
    if start is None:
        return None
    if _has_meridiem(second):
        end = _clock(second, None)
    else:
        options = [c for c in (_clock(second, "am"), _clock(second, "pm")) if c is not None]
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
    low_time = _clock(after[1], hint) if after else None
    high_time = _clock(before[1], hint) if before else None
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
        at = _clock(m[1] or m[2], hint)
        if at is not None:
            return _shift(at, -1), _shift(at, 1), True, [*spans, m.span()]
    if m := _AT.search(t):
        at = _clock(m[1] or m[2] or m[3], hint)
        if at is not None:
            return at, at, True, [*spans, m.span()]
    return earliest, latest, matched, spans


def parse_when(text: str, now: datetime) -> DateWindow | None:
    """The date range and time window a customer asked for, or None if they named none.

    `now` must be tz-aware; dates are taken in its zone. See the module docstring for
    the rules chosen for "next tuesday", "this weekend" and bare clock hours.
    """
    lowered = _lower(text)
    today = now.date()
    date_from, date_to, date_spans = _find_dates(lowered, today)
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
    return DateWindow(date_from, date_to, earliest, latest, phrase)


# ---------------------------------------------------------------- parse_amount

_NUM: Final = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?(?!\d|[.,]\d)"
_MULT: Final = r"(?:\s*(k|hundred|thousand|grand)\b)?"
_CUE_BEFORE = re.compile(rf"(?:\$|\busd\s*|\bus\$)\s*({_NUM}){_MULT}")
_CUE_AFTER = re.compile(rf"\b({_NUM}){_MULT}\s*(?:dollars?|bucks?|usd)\b")
_CENTS_ONLY = re.compile(r"\b(\d{1,2})\s*cents?\b")
_AND_CENTS = re.compile(r"\s*(?:and\s+)?(\d{1,2}|[a-z]+(?:[\s-][a-z]+)?)\s*cents?\b")
_WORD_RUN = re.compile(
    rf"\b(?:(?:a|an)\s+)?(?:{_NUM_WORD_RE})(?:(?:\s+|-)(?:and\s+)?(?:{_NUM_WORD_RE}))*\b"
)
_WORD_CUE = re.compile(r"\s*(?:dollars?|bucks?|usd)\b")
_FULL_RE = re.compile(
    r"\b(?:(?:the\s+)?(?:full|whole|entire|total|complete)\s+(?:amount|balance|thing|bill|sum|total)"
    r"|in\s+full|the\s+full\s+(?:one|thing)|the\s+total|everything|all\s+of\s+it|all\s+of\s+the\s+balance"
    r"|pay\s+(?:it|(?:it\s+)?all|everything|the\s+(?:whole\s+|entire\s+|full\s+)?balance|that)\s+off"
    r"|pay\s+off\s+(?:the|my)\s+(?:whole\s+|entire\s+|full\s+)?balance|what\s+i\s+owe"
    r"|all\s+(?:of\s+)?what\s+i\s+owe)\b"
    r"|^\s*(?:all|full|the\s+full\s+amount|all\s+of\s+it)\s*[.!]*\s*$"
)
_NOT_MONEY = re.compile(
    rf"\b(?:unit|apt|apartment|suite|ste|no\.?|number|invoice|inv|bill|statement|account|acct"
    rf"|building|bldg|floor|room|option|lot|ref(?:erence)?|order|ticket)\s*(?:number|no\.?)?\s*#?\s*\w+"
    rf"|#\s*\w+"
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b|(?<![\d/])\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d/])"
    rf"|\b{_MONTH_RE}\s+\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)\b"
    r"|(?:\b(?:at|after|before|by)\s+)?\b\d{1,2}(?::[0-5]\d)?\s*(?:am|pm|a\.m\.?|p\.m\.?)(?![a-z])"
    r"|\b\d{1,2}:[0-5]\d\b|\b(?:at|after|before|by)\s+\d{1,2}\b(?![.,]\d)"
    r"|\b\d+\s*(?:%|percent|days?|weeks?|months?|years?|hours?|minutes?)"
)
_BARE_NUM = re.compile(rf"(?<![\w.,])({_NUM}){_MULT}(?![\w%])")
_MULTIPLIERS: Final[dict[str, int]] = {"k": 1000, "thousand": 1000, "grand": 1000, "hundred": 100}


def _dollars_to_cents(raw: str, multiplier: str | None) -> int:
    """Cents from "1,234.5", times "k"/"hundred"/"thousand" when one followed the digits."""
    value = Decimal(raw.replace(",", ""))
    return to_cents(value * _MULTIPLIERS.get(multiplier or "", 1))


def _trailing_cents(t: str, end: int) -> int:
    """The "and 50 cents" that may follow a dollar amount."""
    m = _AND_CENTS.match(t, end)
    if m is None:
        return 0
    raw = m[1]
    value = int(raw) if raw.isdigit() else _words_value(raw.replace("-", " ").split())
    return value if value is not None and value < 100 else 0


def _word_amounts(t: str, need_cue: bool) -> tuple[int, int] | None:
    """(position, cents) of the first number said in words, e.g. "two hundred and fifty"."""
    for m in _WORD_RUN.finditer(t):
        words = m[0].replace("-", " ").split()
        value = _words_value(words)
        if value is None:
            continue
        cue = _WORD_CUE.match(t, m.end())
        if cue:
            return m.start(), value * 100 + _trailing_cents(t, cue.end())
        if not need_cue and words != ["one"]:
            return m.start(), value * 100
    return None


def parse_amount(text: str, *, expect_amount: bool = False) -> int | Literal["full"] | None:
    """An amount of money in integer cents, FULL for "the whole balance", else None.

    Only numbers with a currency cue count unless `expect_amount` is set (the flow just
    asked "how much?"); even then dates, times, unit and invoice numbers are skipped.
    "half" and other fractions return None: the flow knows the balance, this does not.
    """
    t = _lower(text)
    found: list[tuple[int, int]] = []
    for pattern in (_CUE_BEFORE, _CUE_AFTER):
        if m := pattern.search(t):
            cents = _dollars_to_cents(m[1], m[2])
            found.append((m.start(), cents + _trailing_cents(t, m.end())))
    if words := _word_amounts(t, need_cue=True):
        found.append(words)
    if found:
        return min(found)[1]
    if _FULL_RE.search(t):
        return FULL
    if m := _CENTS_ONLY.search(t):
        return int(m[1])
    if not expect_amount:
        return None
    masked = _NOT_MONEY.sub(lambda m: " " * len(m[0]), t)
    if m := _BARE_NUM.search(masked):
        return _dollars_to_cents(m[1], m[2])
    if words := _word_amounts(masked, need_cue=False):
        return words[1]
    return None


# ---------------------------------------------------------------- yes / no / cancel / correction

_BENIGN = re.compile(
    r"\b(?:no\s+(?:problem|problemo|worries|rush|doubt|question)|not\s+a\s+problem|why\s+not"
    r"|don'?t\s+mind|do\s+not\s+mind|not\s+at\s+all\s+a\s+problem)\b"
)
_UNSURE = re.compile(r"\b(?:not\s+sure|don'?t\s+know|do\s+not\s+know|no\s+idea|not\s+certain)\b")
_AFFIRM_START = re.compile(
    r"^(?:(?:oh|well|um+|uh+|hmm+|ah)[\s,]+)?(?:yes|yeah|yea|yep|yup|ya|yah|yess+|sure|ok|okay|k|kk"
    r"|alright|all\s+right|absolutely|definitely|certainly|affirmative|of\s+course|totally"
    r"|let'?s\s+do\s+(?:it|that)|lets\s+do\s+it)\b"
)
_AFFIRM_ANY = re.compile(
    r"\b(?:sounds\s+(?:good|great|perfect|fine|right)|book\s+(?:it|that|me)|go\s+ahead|go\s+for\s+it"
    r"|please\s+do|do\s+it|that\s+works|works\s+for\s+me|that\s+would\s+work|that\s+will\s+work"
    r"|that'?s\s+(?:fine|good|great|perfect|right|correct|it)|that\s+is\s+(?:fine|good|great|perfect|right"
    r"|correct)|why\s+not|don'?t\s+mind|yes\s+please|confirm(?:ed)?|i\s+confirm|please\s+confirm"
    r"|i\s+(?:guess|think)\s+so|(?:fine|ok|okay|good)\s+(?:by|with)\s+me)\b|\U0001f44d"
)
_AFFIRM_WHOLE = re.compile(
    r"^(?:correct|right|exactly|perfect|great|fine|good|cool|deal|please|yes|thanks|thank\s+you"
    r"|that\s+one|works|done|agreed|indeed|very\s+well|ok(?:ay)?)(?:[\s,.!]+(?:correct|right|exactly|perfect"
    r"|great|fine|good|cool|please|thanks|thank\s+you|yes))*[\s.!]*$"
)
_NEG_START = re.compile(
    r"^(?:(?:oh|well|um+|uh+|hmm+|ah)[\s,]+)?(?:no|nope|nah|naw|nay|negative|not\s+really"
    r"|not\s+that|not\s+(?:today|now|yet|anymore)|never|of\s+course\s+not|absolutely\s+not|definitely\s+not)\b"
    r"|\b(?:yeah|yes|well)[\s,]+no\b|\bno[.!]*$"
)
_NEG_ANY = re.compile(
    r"\b(?:don'?t|do\s+not|doesn'?t\s+work|does\s+not\s+work|won'?t\s+work|will\s+not\s+work"
    r"|can'?t\s+(?:make|do)\s+(?:it|that)|cannot\s+(?:make|do)\s+(?:it|that)|not\s+that\s+one"
    r"|none\s+of\s+(?:those|them|these)|neither|wrong|incorrect|not\s+(?:right|correct|good|ok|okay|great)"
    r"|no\s+thanks?|no\s+thank\s+you|rather\s+not|not\s+interested|not\s+(?:for|to)\s+me|no\s+way"
    r"|that'?s\s+not|that\s+is\s+not|isn'?t\s+(?:right|correct))\b"
)


def is_negative(text: str) -> bool:
    """A refusal or "no": "no", "nope", "not that one", "don't", "that doesn't work".

    Not "no problem"/"no worries"/"why not", and not uncertainty ("not sure", "I don't
    know"). "No, make it wednesday" is also a correction; flows check is_correction first.
    """
    t = _BENIGN.sub(" ", _UNSURE.sub(" ", _lower(text))).strip()
    return bool(_NEG_START.search(t) or _NEG_ANY.search(t))


def is_affirmative(text: str) -> bool:
    """A yes: "yes", "sure", "sounds good", "book it", "go ahead", "that works", "ok".

    Anything negative or unsure ("not sure", "yes but not that one") is not a yes.
    """
    t = _lower(text)
    if _UNSURE.search(t) or is_negative(t):
        return False
    return bool(_AFFIRM_START.search(t) or _AFFIRM_ANY.search(t) or _AFFIRM_WHOLE.search(t))


_CANCEL = re.compile(
    r"\b(?:never\s*mind|nvm|forget\s+(?:it|about\s+it|that|the\s+whole\s+thing)|(?:i'?ve\s+|i\s+have\s+|i\s+)?"
    r"changed\s+my\s+mind|don'?t\s+bother|let'?s\s+not|scratch\s+(?:that|this)\s+whole\s+thing"
    r"|i\s+don'?t\s+want\s+to\s+(?:do\s+(?:this|that|it)|continue|go\s+on|book|pay)(?:\s+any\s*more)?\b"
    r"|cancel\s+(?:that|this|it|the\s+whole\s+thing)(?=\s*(?:[.!,]|$|please|then|for\s+now|thanks))"
    r"|forget\s+i\s+asked)"
    r"|^(?:please\s+|just\s+|ok(?:ay)?\s+|oh\s+)?(?:stop|cancel|abort|quit|exit|halt)"
    r"(?:\s+(?:it|that|this|please|now|thanks))*[\s.!]*$"
)


def is_cancel(text: str) -> bool:
    """The customer wants to abandon the current flow ("never mind", "forget it", "stop").

    "cancel my appointment" is a request, not an abandonment, so "cancel" only counts
    alone or as "cancel that/this/it" at the end of the phrase.
    """
    return bool(_CANCEL.search(_lower(text)))


_CORRECTION = re.compile(
    r"^(?:(?:oh|um+|uh+|sorry|oops|no|wait|hold\s+on|hang\s+on)[\s,.!]+)*"
    r"(?:actually|wait|hold\s+on|hang\s+on|oops|correction|scratch\s+that|i\s+meant|i\s+mean"
    r"|make\s+(?:it|that)|change\s+(?:it|that)\s+to|rather|instead|my\s+(?:mistake|bad))\b"
    r"|^no[\s,.!]+(?:(?:it'?s|its|it\s+is|it\s+should\s+be|not)\b|\w+\s+(?:instead|not)\b)"
    r"|\b(?:i\s+meant|i\s+mean\s+to\s+say|instead\s+of|rather\s+than|not\s+\w+[\s,]+but)\b"
    r"|\b(?:instead|i\s+meant)[\s.!]*$"
)


def is_correction(text: str) -> bool:
    """The customer revises what they just said: "actually...", "no, make it wednesday",
    "I meant ...", "wait, ..."."""
    return bool(_CORRECTION.search(_lower(text)))


# ---------------------------------------------------------------- pick_choice

_CHOICE_MARKER = re.compile(
    rf"(?:\b(?:option|choice|number|no\.|slot|item|num)\s*#?\s*|#\s*)(\d{{1,2}}|{_WORD_HOUR})\b"
)
_BARE_CHOICE = re.compile(
    rf"^(?:the\s+|number\s+|option\s+)?(\d{{1,2}}|{_WORD_HOUR})(?:\s+(?:one|please|thanks|thank\s+you))*[\s.!]*$"
)
_WORD_ORDINAL = re.compile(
    r"(?<!\ba\s)(?<!\bone\s)(?<!\bjust\sa\s)\b(second[\s-]+to[\s-]+last|first|second|third|fourth|fifth|sixth"
    r"|seventh|eighth|ninth|tenth|last|final|earliest|latest|penultimate)\b"
    r"(?!\s+thing)(?!\s+available\s+(?:day|date|week))"
)
_DIGIT_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_NONE_OF = re.compile(r"\b(?:none|neither|no\s+one|not\s+any)\b")
_LABEL_TIME = re.compile(r"\b(\d{1,2})(?::([0-5]\d))?\s*(am|pm|a\.m\.?|p\.m\.?)(?![a-z])|\b(\d{1,2}):([0-5]\d)\b")
_TEXT_TIME = re.compile(
    rf"\b(\d{{1,2}})(?::([0-5]\d))?\s*(am|pm|a\.m\.?|p\.m\.?)(?![a-z])|\b(\d{{1,2}}):([0-5]\d)\b"
    rf"|(?:\bat|\bthe|\baround|@)\s*(\d{{1,2}}|{_WORD_HOUR})\b(?!\s*(?:st|nd|rd|th|:))"
    rf"(?:\s*o'?clock)?(?=\s*(?:one|slot|o'?clock|$|[,.!?]|please|works|is|would|sounds|on))"
    rf"|\b(\d{{1,2}}|{_WORD_HOUR})\s*o'?clock\b|\b(noon|midday)\b"
)
_MONTH_DAY_LOOSE = re.compile(
    rf"\b{_MONTH_RE}\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b|\b(\d{{1,2}})(?:st|nd|rd|th)\b"
)
_WEEKDAY_LOOSE = re.compile(_WEEKDAY_RE)
_REL_DAY = re.compile(r"\b(today|tomorrow)\b")
_PART_WORD = re.compile(r"\b(morning|afternoon|evening)s?\b")


@dataclass(frozen=True, slots=True)
class _Features:
    weekdays: frozenset[int]
    days: frozenset[int]
    exact_times: frozenset[tuple[int, int]]
    loose_times: frozenset[tuple[int, int]]  # (hour % 12, minute): am/pm unknown
    relative: frozenset[str]
    parts: frozenset[str]  # morning / afternoon / evening


def _hour_word(raw: str) -> int:
    return int(raw) if raw.isdigit() else _SMALL[raw]


def _features(t: str, is_label: bool) -> _Features:
    weekdays = frozenset(_WEEKDAYS[m[1][:3]] for m in _WEEKDAY_LOOSE.finditer(t))
    days = frozenset(int(m[2] or m[3]) for m in _MONTH_DAY_LOOSE.finditer(t))
    exact: set[tuple[int, int]] = set()
    loose: set[tuple[int, int]] = set()
    pattern = _LABEL_TIME if is_label else _TEXT_TIME
    for m in pattern.finditer(t):
        if m[1]:
            at = _clock(f"{m[1]}:{m[2] or '00'} {m[3]}", None)
            if at is not None:
                exact.add((at.hour, at.minute))
        elif m[4]:
            hour, minute = int(m[4]), int(m[5])
            (exact if hour > 12 or is_label else loose).add((hour % 12 if not is_label else hour, minute))
        elif m.lastindex is not None and m.lastindex >= 6:
            raw = m[6] or m[7]
            if raw:
                loose.add((_hour_word(raw) % 12, 0))
            elif m[8]:
                exact.add((12, 0))
    relative = frozenset(m[1] for m in _REL_DAY.finditer(t))
    if is_label:
        parts = frozenset(_part_of_day(hour) for hour, _ in exact)
    else:
        parts = frozenset(m[1] for m in _PART_WORD.finditer(t))
    return _Features(weekdays, days, frozenset(exact), frozenset(loose), relative, parts)


def _part_of_day(hour: int) -> str:
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


@lru_cache(maxsize=1024)
def _label_features(label: str) -> _Features:
    """Labels repeat across turns (the same offered slots), so their parse is cached."""
    return _features(_lower(label), is_label=True)


def _label_matches(text: _Features, label: _Features) -> bool:
    if text.weekdays and not text.weekdays & label.weekdays:
        return False
    if text.days and not text.days & label.days:
        return False
    if text.relative and not text.relative & label.relative:
        return False
    if text.parts and not text.parts & label.parts:
        return False
    if text.exact_times and not text.exact_times & label.exact_times:
        return False
    label_loose = {(h % 12, m) for h, m in label.exact_times}
    return not (text.loose_times and not text.loose_times & label_loose)


def _match_labels(t: str, labels: Sequence[str]) -> int | None:
    wanted = _features(t, is_label=False)
    if not (wanted.weekdays or wanted.days or wanted.exact_times or wanted.loose_times or wanted.relative
            or wanted.parts):
        return None
    hits = [i for i, label in enumerate(labels) if _label_matches(wanted, _label_features(label))]
    return hits[0] if len(hits) == 1 else None


def pick_choice(text: str, n_options: int, labels: Sequence[str] = ()) -> int | None:
    """Which of `n_options` presented options the customer chose (0-based), or None.

    Understands positions ("the second one", "option 2", "#3", "2", "the last one") and,
    when `labels` are given, references to their content ("the 3pm one", "thursday"
    against "Thu Dec 3, 3:00 PM"). A bare number is always a position; "earliest"/"latest"
    assume options are listed in time order. Ambiguous or out-of-range picks are None.
    """
    if n_options <= 0:
        return None
    t = _lower(text)
    index = _pick(t, n_options, labels)
    return index if index is not None and 0 <= index < n_options else None


def _pick(t: str, n_options: int, labels: Sequence[str]) -> int | None:
    if _NONE_OF.search(t):
        return None
    if m := _CHOICE_MARKER.search(t):
        return _hour_word(m[1]) - 1
    if m := _BARE_CHOICE.match(t):
        return _hour_word(m[1]) - 1
    if m := _WORD_ORDINAL.search(t):
        word = " ".join(m[1].replace("-", " ").split())
        if word in ("last", "final", "latest"):
            return n_options - 1
        if word in ("second to last", "penultimate"):
            return n_options - 2
        return 0 if word == "earliest" else _ORDINALS[word] - 1
    if labels:
        found = _match_labels(t, labels)
        if found is not None:
            return found
    if m := _DIGIT_ORDINAL.search(t):
        return int(m[1]) - 1
    core = re.sub(r"\b(?:the|one|please|i'?ll\s+take|let'?s\s+do|i\s+want|how\s+about)\b|[^\w\s:]", " ", t)
    core = " ".join(core.split())
    if len(core) >= 3 and labels:
        hits = [i for i, label in enumerate(labels) if core in _lower(label)]
        if len(hits) == 1:
            return hits[0]
    return None


# ---------------------------------------------------------------- issue / reference detection

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
        ("appliance", r"\b(?:fridge|refrigerator|freezer|ice\s*maker)\b", "fridge"),
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
        ("general", r"\b(?:cabinets?|drawers?|closet|blinds?|floor(?:ing)?|carpet|walls?)\b", "fixture"),
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
        (r"\bstuck\b|\bjammed\b|\bwon'?t\s+(?:open|close|shut)\b", "stuck"),
        (r"\bnois(?:e|y)\b|\brattl(?:e|ing)\b|\bbang(?:s|ing)\b", "noisy"),
        (r"\bbroken\b|\bbroke\b|\bbust(?:ed)?\b|\bcracked\b", "broken"),
        (r"\b(?:not|isn'?t|aren'?t|won'?t|doesn'?t|don'?t|stopped)\s+(?:work(?:ing)?|turn(?:ing)?\s+on"
         r"|start(?:ing)?|run(?:ning)?)\b|\bdead\b|\bout\b", "not working"),
    )
)
# Whole-phrase issues that have no separate object word.
_PHRASES: Final[tuple[tuple[re.Pattern[str], str, str], ...]] = tuple(
    (re.compile(pattern), category, name)
    for pattern, category, name in (
        (r"\bno\s+hot\s+water\b|\bhot\s+water\s+(?:is\s+)?(?:out|not\s+working)\b|\bwater\s+(?:is\s+)?cold\b",
         "plumbing", "no hot water"),
        (r"\bno\s+water\b|\bwater\s+(?:is\s+)?(?:off|shut\s+off)\b", "plumbing", "no water"),
        (r"\bflood(?:ed|ing)?\b|\bwater\s+everywhere\b", "plumbing", "flooding"),
        (r"\bsewage\b|\bsewer\s+smell\b", "plumbing", "sewage backup"),
        (r"\bno\s+(?:power|electricity)\b|\bpower\s+(?:is\s+)?(?:out|off)\b|\bpower\s+outage\b",
         "electrical", "no power"),
        (r"\bno\s+heat\b|\bheat\s+(?:is\s+)?(?:out|off)\b|\bfreezing\s+in\s+here\b", "hvac", "no heat"),
        (r"\bno\s+(?:ac|a/c|air\s+conditioning|cold\s+air)\b|\bnot\s+cooling\b", "hvac", "AC not cooling"),
        (r"\bgas\s+(?:leak|smell)\b|\bsmell(?:s)?\s+(?:of\s+|like\s+)?gas\b", "general", "gas smell"),
        (r"\blocked\s+out\b", "general", "locked out"),
        (r"\bmold\b|\bmould\b|\bmildew\b", "general", "mold"),
        (r"\b(?:roach(?:es)?|cockroach(?:es)?|mice|mouse|rats?|pests?|bed\s*bugs|ants|termites)\b",
         "general", "pests"),
        (r"\bleak(?:s|ing|ed|y)?\b|\bdrip(?:s|ping)?\b", "plumbing", "leak"),
    )
)


def detect_issue(text: str) -> tuple[str, str] | None:
    """(category, short description) of a maintenance problem, or None.

    Categories: plumbing, electrical, hvac, appliance, general. The object named decides
    the category (a leaking dishwasher is an appliance job); whole-phrase symptoms like
    "no hot water" or "no power" stand on their own.
    """
    t = _lower(text)
    # The last phrase (a bare "leak") only applies when no object names the leak.
    for pattern, category, name in _PHRASES[:-1]:
        if pattern.search(t):
            return category, name
    for category, pattern, name in _OBJECTS:
        if m := pattern.search(t):
            if name == "heater" and re.search(r"\bheat\b", m[0]) and not any(p.search(t) for p, _ in _PROBLEMS):
                continue  # "the heat" with no symptom is weather talk, not an issue
            problem = next((label for p, label in _PROBLEMS if p.search(t)), None)
            if name == "ceiling" and problem == "leak":
                return "plumbing", "ceiling leak"
            if problem is None and name in ("fixture", "door", "key", "ceiling", "HVAC"):
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
    t = _lower(text)
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
    m = _INVOICE.search(_lower(text))
    return int(m[1]) if m else None


_CHARGE_KINDS: Final[tuple[tuple[Literal["rent", "fee", "utility"], re.Pattern[str]], ...]] = (
    ("fee", re.compile(r"\b(?:fees?|penalt(?:y|ies)|nsf|late\s+charge|returned\s+(?:payment|check))\b")),
    ("utility", re.compile(
        r"\b(?:utility|utilities|water|electric(?:ity|al)?|gas|sewer|trash|garbage|power)\s*(?:bill|charge|usage)?"
        r"\b|\butilit(?:y|ies)\b"
    )),
    ("rent", re.compile(r"\brent(?:al\s+payment)?\b")),
)


def detect_charge_kind(text: str) -> Literal["rent", "fee", "utility"] | None:
    """Which kind of charge a billing question is about; the most specific wins
    ("the late fee on my rent" is about the fee)."""
    t = _lower(text)
    for kind, pattern in _CHARGE_KINDS:
        if pattern.search(t):
            return kind
    return None

"""Text normalisation and number/calendar vocabulary shared by the extract modules.

Only what more than one of `when`, `amount` and `intent` needs lives here; everything
else stays next to the one parser that uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

SMALL_NUMBERS: Final[dict[str, int]] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS: Final[dict[str, int]] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
WEEKDAYS: Final[dict[str, int]] = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}

MONTH_RE: Final = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
WEEKDAY_RE: Final = (
    r"\b(monday|mon|tuesday|tues?|wednesday|weds?|thursday|thu(?:rs?)?|friday|fri|saturday"
    r"|(?<!\bi )(?<!\bwe )(?<!\bhe )(?<!\bshe )(?<!\bthey )(?<!\byou )sat|sunday|(?<!the )sun)s?\b\.?"
)
MONTHS: Final[dict[str, int]] = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

WORD_HOUR: Final = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"


def lower(text: str) -> str:
    """Lower-case with typographic apostrophes folded and whitespace collapsed."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").lower().split())


def words_value(words: Sequence[str]) -> int | None:
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
        if word in SMALL_NUMBERS or word in TENS:
            value = SMALL_NUMBERS.get(word, TENS.get(word, 0))
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


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)

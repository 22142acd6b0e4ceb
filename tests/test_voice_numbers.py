"""Amounts, dates, times and references as a caller hears them (pure functions, no server)."""

from __future__ import annotations

from datetime import date

import pytest

from callcenter.channels.voice_numbers import ordinal, speak_numbers
from callcenter.channels.voice_protocol import speakable

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Your appointment number is #22.", "Your appointment number is 22."),
        ("Appointment number #22.", "Appointment number 22."),
        ("Booked (appointment #22).", "Booked (appointment 22)."),
        ("I've logged it as ticket #40.", "I've logged it as ticket 40."),
        ("Shall I request a waiver of invoice #7?", "Shall I request a waiver of invoice 7?"),
        ("Plumbing visit on Tue Dec 1, 3:00 PM (#22)", "Plumbing visit on Tuesday, December 1st, at 3 PM (number 22)"),
        ("Your balance is $1,234.50", "Your balance is 1,234 dollars and 50 cents"),
        ("Your balance is $0.00.", "Your balance is 0 dollars."),
        ("Pay $1.00 now?", "Pay 1 dollar now?"),
        ("a fee of $0.01", "a fee of 1 cent"),
        ("a credit of -$25.00", "a credit of minus 25 dollars"),
        ("Next due: $1,850.00 on 2026-12-01", "Next due: 1,850 dollars on Tuesday, December 1st"),
        ("due date 2027-01-01", "due date Friday, January 1st, 2027"),
        ("Mon 9:00 AM or Mon 11:30 AM", "Monday 9 AM or Monday 11:30 AM"),
        ("at 12:00 PM", "at noon"),
        ("Wed Jan 13, 12:00 PM", "Wednesday, January 13th, at noon"),
        ("not a date 2026-13-45", "not a date 2026-13-45"),
        ("room 101 and 3 * 4", "room 101 and 3 * 4"),
    ],
)
def test_screen_text_is_said_naturally(written: str, said: str) -> None:
    assert speak_numbers(written, today=TODAY) == said


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "31st",
        "101st",
        "111th",
    ]


@pytest.mark.parametrize("cents", [0, 1, 5, 10, 99, 100, 101, 12_345, 100_000, 123_456_789])
def test_every_amount_keeps_its_value(cents: int) -> None:
    """Generated amounts: the words say exactly the dollars and cents written."""
    written = f"${cents // 100:,}.{cents % 100:02d}"
    said = speak_numbers(f"It is {written}.", today=TODAY)
    assert "$" not in said
    dollars = f"{cents // 100:,} dollar" if cents // 100 or not cents % 100 else ""
    assert (dollars in said) if dollars else "dollar" not in said
    if cents % 100:
        assert f"{cents % 100} cent" in said


def test_every_date_of_a_year_is_spoken_with_weekday_and_ordinal() -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        said = speak_numbers(day.isoformat(), today=TODAY)
        assert said == f"{day:%A}, {day:%B} {ordinal(day.day)}"
        day = date.fromordinal(day.toordinal() + 1)


def test_speakable_replies_read_numbers_naturally() -> None:
    reply = "Booked: Tue Dec 1, 3:00 PM with Sam. Your appointment number is #22."
    assert speakable(reply) == "Booked: Tuesday, December 1st, at 3 PM with Sam. Your appointment number is 22."
    assert "number is number" not in speakable("Your appointment number is #22.")

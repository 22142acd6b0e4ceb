"""Table-driven tests for callcenter_agents.extract: slot extraction from natural phrasing."""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from callcenter_agents.extract import (
    FULL,
    DateWindow,
    detect_appointment_ref,
    detect_charge_kind,
    detect_invoice_ref,
    detect_issue,
    is_affirmative,
    is_cancel,
    is_correction,
    is_negative,
    parse_amount,
    parse_when,
    pick_choice,
)

NY = ZoneInfo("America/New_York")
SAT = datetime(2026, 11, 28, 10, 0, tzinfo=NY)  # Saturday
WED = datetime(2026, 12, 2, 9, 30, tzinfo=NY)  # Wednesday
MON = datetime(2026, 11, 30, 9, 0, tzinfo=NY)  # Monday
D = date


def t(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


# (text, now, date_from, date_to, earliest, latest)
WHEN_CASES = [
    ("today", SAT, D(2026, 11, 28), D(2026, 11, 28), None, None),
    ("tomorrow", SAT, D(2026, 11, 29), D(2026, 11, 29), None, None),
    ("tonight", SAT, D(2026, 11, 28), D(2026, 11, 28), t(17), None),
    ("the day after tomorrow", SAT, D(2026, 11, 30), D(2026, 11, 30), None, None),
    ("day after tmrw works", WED, D(2026, 12, 4), D(2026, 12, 4), None, None),
    # bare weekday: next occurrence, today excluded
    ("tuesday", SAT, D(2026, 12, 1), D(2026, 12, 1), None, None),
    ("saturday", SAT, D(2026, 12, 5), D(2026, 12, 5), None, None),
    ("wednesday", WED, D(2026, 12, 9), D(2026, 12, 9), None, None),
    ("thursday", WED, D(2026, 12, 3), D(2026, 12, 3), None, None),
    ("how about thu", WED, D(2026, 12, 3), D(2026, 12, 3), None, None),
    # next <weekday>: first one >= 1 day ahead, +7 when still in this (Mon-Sun) week
    ("next tuesday", SAT, D(2026, 12, 1), D(2026, 12, 1), None, None),
    ("next sunday", SAT, D(2026, 12, 6), D(2026, 12, 6), None, None),
    ("next friday", WED, D(2026, 12, 11), D(2026, 12, 11), None, None),
    ("next tuesday", WED, D(2026, 12, 8), D(2026, 12, 8), None, None),
    ("next tuesday", MON, D(2026, 12, 8), D(2026, 12, 8), None, None),
    # this <weekday>: first on or after today
    ("this friday", WED, D(2026, 12, 4), D(2026, 12, 4), None, None),
    ("this wednesday", WED, D(2026, 12, 2), D(2026, 12, 2), None, None),
    ("this friday", SAT, D(2026, 12, 4), D(2026, 12, 4), None, None),
    ("this coming monday", SAT, D(2026, 11, 30), D(2026, 11, 30), None, None),
    # ranges
    ("this week", WED, D(2026, 12, 2), D(2026, 12, 6), None, None),
    ("next week", WED, D(2026, 12, 7), D(2026, 12, 13), None, None),
    ("next week", SAT, D(2026, 11, 30), D(2026, 12, 6), None, None),
    ("early next week", WED, D(2026, 12, 7), D(2026, 12, 9), None, None),
    ("tuesday next week", SAT, D(2026, 12, 1), D(2026, 12, 1), None, None),
    ("next week on thursday", MON, D(2026, 12, 10), D(2026, 12, 10), None, None),
    ("this weekend", WED, D(2026, 12, 5), D(2026, 12, 6), None, None),
    ("this weekend", SAT, D(2026, 11, 28), D(2026, 11, 29), None, None),
    ("on the weekend", WED, D(2026, 12, 5), D(2026, 12, 6), None, None),
    ("next weekend", WED, D(2026, 12, 12), D(2026, 12, 13), None, None),
    ("next month", SAT, D(2026, 12, 1), D(2026, 12, 31), None, None),
    ("next month", WED, D(2027, 1, 1), D(2027, 1, 31), None, None),
    ("sometime this month", SAT, D(2026, 11, 28), D(2026, 11, 30), None, None),
    ("in 3 days", SAT, D(2026, 12, 1), D(2026, 12, 1), None, None),
    ("in two days", SAT, D(2026, 11, 30), D(2026, 11, 30), None, None),
    ("in a week", SAT, D(2026, 12, 5), D(2026, 12, 5), None, None),
    ("in a couple of days", SAT, D(2026, 11, 30), D(2026, 11, 30), None, None),
    ("within 3 days", SAT, D(2026, 11, 28), D(2026, 12, 1), None, None),
    # explicit dates
    ("on the 14th", SAT, D(2026, 12, 14), D(2026, 12, 14), None, None),
    ("the 30th", SAT, D(2026, 11, 30), D(2026, 11, 30), None, None),
    ("the 31st", SAT, D(2026, 12, 31), D(2026, 12, 31), None, None),
    ("on the 28th", SAT, D(2026, 11, 28), D(2026, 11, 28), None, None),
    ("dec 3", SAT, D(2026, 12, 3), D(2026, 12, 3), None, None),
    ("December 3rd", SAT, D(2026, 12, 3), D(2026, 12, 3), None, None),
    ("3rd of december", SAT, D(2026, 12, 3), D(2026, 12, 3), None, None),
    ("nov 1", SAT, D(2027, 11, 1), D(2027, 11, 1), None, None),
    ("jan 5", SAT, D(2027, 1, 5), D(2027, 1, 5), None, None),
    ("12/3", SAT, D(2026, 12, 3), D(2026, 12, 3), None, None),
    ("1/4/2027", SAT, D(2027, 1, 4), D(2027, 1, 4), None, None),
    ("2026-12-03", SAT, D(2026, 12, 3), D(2026, 12, 3), None, None),
    ("2025-01-02", SAT, D(2025, 1, 2), D(2025, 1, 2), None, None),  # explicit year kept
    ("thursday dec 10", SAT, D(2026, 12, 10), D(2026, 12, 10), None, None),  # date wins
    # times
    ("after 3", SAT, None, None, t(15), None),
    ("after 3pm", SAT, None, None, t(15), None),
    ("after 9", SAT, None, None, t(9), None),
    ("after 12", SAT, None, None, t(12), None),
    ("before noon", SAT, None, None, None, t(12)),
    ("before 10am", SAT, None, None, None, t(10)),
    ("by 5", SAT, None, None, None, t(17)),
    ("not before 10", SAT, None, None, t(10), None),
    ("at 10", SAT, None, None, t(10), t(10)),
    ("at 10:30", SAT, None, None, t(10, 30), t(10, 30)),
    ("at 2", SAT, None, None, t(14), t(14)),
    ("3:30 pm", SAT, None, None, t(15, 30), t(15, 30)),
    ("at noon", SAT, None, None, t(12), t(12)),
    ("around 2", SAT, None, None, t(13), t(15)),
    ("2ish", SAT, None, None, t(13), t(15)),
    ("between 1 and 4", SAT, None, None, t(13), t(16)),
    ("between 10 and 2", SAT, None, None, t(10), t(14)),
    ("between 9 and 11am", SAT, None, None, t(9), t(11)),
    ("between 10 and 2pm", SAT, None, None, t(10), t(14)),
    ("from 8am to noon", SAT, None, None, t(8), t(12)),
    ("1-3pm", SAT, None, None, t(13), t(15)),
    ("after 1 but before 4", SAT, None, None, t(13), t(16)),
    ("at three", SAT, None, None, t(15), t(15)),
    ("morning", SAT, None, None, t(8), t(12)),
    ("in the afternoon", SAT, None, None, t(12), t(17)),
    ("evening", SAT, None, None, t(17), t(20)),
    ("first thing", SAT, None, None, t(8), t(10)),
    ("first thing in the morning", SAT, None, None, t(8), t(10)),
    ("late afternoon", SAT, None, None, t(15), t(17)),
    ("noon", SAT, None, None, t(12), t(12)),
    ("anytime", SAT, None, None, None, None),
    ("any time tomorrow", SAT, D(2026, 11, 29), D(2026, 11, 29), None, None),
    # combined
    ("next tuesday after 3", SAT, D(2026, 12, 1), D(2026, 12, 1), t(15), None),
    ("tomorrow morning", SAT, D(2026, 11, 29), D(2026, 11, 29), t(8), t(12)),
    ("friday between 1 and 3pm", WED, D(2026, 12, 4), D(2026, 12, 4), t(13), t(15)),
    ("this afternoon", SAT, D(2026, 11, 28), D(2026, 11, 28), t(12), t(17)),
    ("tomorrow afternoon after 3", SAT, D(2026, 11, 29), D(2026, 11, 29), t(15), t(17)),
    ("monday morning at 7", SAT, D(2026, 11, 30), D(2026, 11, 30), t(7), t(7)),
    ("tuesday evening before 7", SAT, D(2026, 12, 1), D(2026, 12, 1), t(17), t(19)),
    ("on the 14th at 10:30am", SAT, D(2026, 12, 14), D(2026, 12, 14), t(10, 30), t(10, 30)),
    ("Can someone come Tuesday after 3pm please?", SAT, D(2026, 12, 1), D(2026, 12, 1), t(15), None),
    ("in 3 days around noon", SAT, D(2026, 12, 1), D(2026, 12, 1), t(11), t(13)),
    ("no later than 4:30", SAT, None, None, None, t(16, 30)),
    ("later than 4", SAT, None, None, t(16), None),
    ("3 o'clock", SAT, None, None, t(15), t(15)),
    ("three o'clock tomorrow", SAT, D(2026, 11, 29), D(2026, 11, 29), t(15), t(15)),
    ("asap", SAT, D(2026, 11, 28), None, None, None),
    ("earliest available after 3", SAT, D(2026, 11, 28), None, t(15), None),
    ("wed 12/9 at 4", SAT, D(2026, 12, 9), D(2026, 12, 9), t(16), t(16)),
    ("tues. 3pm", SAT, D(2026, 12, 1), D(2026, 12, 1), t(15), t(15)),
    ("12am", SAT, None, None, t(0), t(0)),
    # a problem's history beside the day asked: the day asked (issue 13's outsider trial)
    ("no heat since monday, can someone come friday", WED, D(2026, 12, 4), D(2026, 12, 4), None, None),
    ("it stopped working on tuesday. thursday morning?", WED, D(2026, 12, 3), D(2026, 12, 3), t(8), t(12)),
    ("the drain cloggged on monday, come wednesday", SAT, D(2026, 12, 2), D(2026, 12, 2), None, None),
    # "march" and "april" with two letters swapped
    ("the eighteenth of marhc", SAT, D(2027, 3, 18), D(2027, 3, 18), None, None),
    ("apirl 2", SAT, D(2027, 4, 2), D(2027, 4, 2), None, None),
]


@pytest.mark.parametrize(("text", "now", "date_from", "date_to", "earliest", "latest"), WHEN_CASES)
def test_parse_when(
    text: str,
    now: datetime,
    date_from: date | None,
    date_to: date | None,
    earliest: time | None,
    latest: time | None,
) -> None:
    window = parse_when(text, now)
    assert window is not None, text
    assert (window.date_from, window.date_to, window.earliest, window.latest) == (
        date_from,
        date_to,
        earliest,
        latest,
    ), text


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("can you do next tuesday after 3 please", "next tuesday after 3"),
        ("Tomorrow Morning would be great", "tomorrow morning"),
        ("friday, between 1 and 3pm", "friday between 1 and 3pm"),
    ],
)
def test_parse_when_echoes_the_phrase(text: str, phrase: str) -> None:
    window = parse_when(text, SAT)
    assert window is not None
    assert window.text == phrase


@pytest.mark.parametrize(
    "text",
    [
        "",
        "my kitchen sink is leaking",
        "I want to pay $500",
        "unit 4B",
        "invoice 12",
        "yes",
        "the sun is out",
        "i sat down",
        "3 bedrooms",
        "it has been leaking for 3 days",
        # how long a problem has lasted is not a day asked for
        "no hot water since monday",
        "my toilet has been running ever since monday morning",
        "the heat has been out for the last 3 days",
        "the fridge stopped working on sunday",
        "it broke down on tuesday night",
        "been leaking since 6am",
        "since last monday the fridge is warm",
        "no heat sinse the weekend",
        "a match",
        "24/7 support",
        "2/30",
    ],
)
def test_parse_when_none(text: str) -> None:
    assert parse_when(text, SAT) is None


def test_parse_when_never_reads_the_clock() -> None:
    earlier = datetime(2020, 2, 28, 8, 0, tzinfo=NY)
    assert parse_when("tomorrow", earlier) == DateWindow(D(2020, 2, 29), D(2020, 2, 29), None, None, "tomorrow")
    assert parse_when("feb 29", SAT) == DateWindow(D(2028, 2, 29), D(2028, 2, 29), None, None, "feb 29")


@pytest.mark.parametrize(
    ("window", "start", "fits"),
    [
        (DateWindow(None, None, None, t(12), "before noon"), datetime(2026, 12, 1, 11, 30), True),
        (DateWindow(None, None, None, t(12), "before noon"), datetime(2026, 12, 1, 12, 0), False),
        (DateWindow(None, None, t(10), t(10), "at 10"), datetime(2026, 12, 1, 10, 0), True),
        (DateWindow(None, None, t(10), t(10), "at 10"), datetime(2026, 12, 1, 10, 30), False),
        (DateWindow(D(2026, 12, 1), D(2026, 12, 1), t(15), None, "x"), datetime(2026, 12, 1, 15, 0), True),
        (DateWindow(D(2026, 12, 1), D(2026, 12, 1), t(15), None, "x"), datetime(2026, 12, 2, 15, 0), False),
        (DateWindow(D(2026, 12, 1), None, None, None, "x"), datetime(2026, 11, 30, 9, 0), False),
    ],
)
def test_window_admits(window: DateWindow, start: datetime, fits: bool) -> None:
    assert window.admits(start) is fits


AMOUNT_CASES: list[tuple[str, bool, int | str | None]] = [
    ("$500", False, 50000),
    ("I'll pay $ 75 today", False, 7500),
    ("500 dollars", False, 50000),
    ("$1,234.56", False, 123456),
    ("1234.5", True, 123450),
    ("500 bucks", False, 50000),
    ("500 USD", False, 50000),
    ("$1.5k", False, 150000),
    ("five hundred", True, 50000),
    ("five hundred dollars", False, 50000),
    ("two hundred and fifty dollars", False, 25000),
    ("a hundred bucks", False, 10000),
    ("one thousand two hundred dollars", False, 120000),
    ("twenty-five dollars and 50 cents", False, 2550),
    ("50 cents", False, 50),
    ("the full amount", False, FULL),
    ("everything", False, FULL),
    ("all of it", False, FULL),
    ("the whole balance", False, FULL),
    ("I want to pay it off", False, FULL),
    ("pay in full please", False, FULL),
    ("all", True, FULL),
    ("I can't do everything, just $200", False, 20000),
    ("half", True, None),
    ("half of it", False, None),
    ("500", False, None),
    ("500", True, 50000),
    ("I can pay 300 on the 14th", True, 30000),
    ("on the 14th", True, None),
    ("12/3", True, None),
    ("unit 4B", True, None),
    ("unit 12", True, None),
    ("invoice 12", True, None),
    ("invoice #12", True, None),
    ("at 3", True, None),
    ("at 3pm", True, None),
    ("10:30", True, None),
    ("in 3 days", True, None),
    ("dec 3", True, None),
    ("invoice 12 for $80", False, 8000),
    ("I want to pay invoice 12", False, None),
    ("the second one", True, None),
    ("twelve fifty", True, None),
    ("$12.345", False, None),
    ("5 hundred", True, 50000),
    ("100k", True, 10000000),
    ("$2 thousand", False, 200000),
    ("sixty", True, 6000),
    ("sixty", False, None),
    ("how much do I owe", True, None),
]


@pytest.mark.parametrize(("text", "expect", "cents"), AMOUNT_CASES)
def test_parse_amount(text: str, expect: bool, cents: int | str | None) -> None:
    assert parse_amount(text, expect_amount=expect) == cents


YES = [
    "yes",
    "Yep!",
    "sure",
    "sounds good",
    "book it",
    "go ahead",
    "please do",
    "that works",
    "correct",
    "ok",
    "okay that's fine",
    "Yeah, that works for me",
    "why not",
    "perfect",
    "yes please",
    "alright",
    "absolutely",
    "let's do it",
    "great, thanks",
    "I guess so",
    "fine by me",
    "\U0001f44d",
]
NO = [
    "no",
    "nope",
    "not that one",
    "don't",
    "nah, that doesn't work",
    "that's wrong",
    "no thanks",
    "none of those",
    "I'd rather not",
    "that won't work for me",
    "yeah no",
    "not today",
    "I said no",
]
NEITHER = [
    "no problem",
    "no worries",
    "not sure",
    "I don't know",
    "what times do you have?",
    "right now the sink is leaking",
    "please send me my invoice",
    "my kitchen sink leaks",
    "sure, no problem",
]


@pytest.mark.parametrize("text", YES)
def test_affirmative(text: str) -> None:
    assert is_affirmative(text)
    assert not is_negative(text)


@pytest.mark.parametrize("text", NO)
def test_negative(text: str) -> None:
    assert is_negative(text)
    assert not is_affirmative(text)


@pytest.mark.parametrize("text", NEITHER)
def test_neither_yes_nor_no(text: str) -> None:
    assert not is_negative(text), text
    if text != "sure, no problem":
        assert not is_affirmative(text), text
    else:
        assert is_affirmative(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("never mind", True),
        ("nevermind", True),
        ("forget it", True),
        ("cancel that", True),
        ("Stop", True),
        ("stop please", True),
        ("I changed my mind", True),
        ("cancel", True),
        ("ok cancel it", True),
        ("don't bother", True),
        ("forget about it.", True),
        ("cancel my appointment", False),
        ("cancel that appointment on friday", False),
        ("the water won't stop running", False),
        ("stop the leak", False),
        ("yes", False),
        ("can I cancel the viewing?", False),
    ],
)
def test_is_cancel(text: str, expected: bool) -> None:
    assert is_cancel(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("actually make it wednesday", True),
        ("no, make it wednesday", True),
        ("I meant thursday", True),
        ("wait, the 3pm one", True),
        ("sorry, I meant 4", True),
        ("make it 4pm instead", True),
        ("no, it's unit 5", True),
        ("thursday instead", True),
        ("oops, friday", True),
        ("change it to friday", True),
        ("yes", False),
        ("no", False),
        ("tuesday after 3", False),
        ("no problem", False),
        ("I actually need a plumber", False),
    ],
)
def test_is_correction(text: str, expected: bool) -> None:
    assert is_correction(text) is expected


SLOTS = ["Tue Dec 1, 9:00 AM", "Tue Dec 1, 3:00 PM", "Thu Dec 3, 3:00 PM", "Fri Dec 4, 10:30 AM"]


@pytest.mark.parametrize(
    ("text", "labels", "index"),
    [
        ("the second one", (), 1),
        ("option 2", (), 1),
        ("2", (), 1),
        ("#3", (), 2),
        ("number three please", (), 2),
        ("the last one", (), 3),
        ("the first", (), 0),
        ("second to last", (), 2),
        ("the 3rd", (), 2),
        ("two", (), 1),
        ("the 3pm one", SLOTS, None),  # two slots at 3pm: ambiguous
        ("thursday", SLOTS, 2),
        ("thursday at 3", SLOTS, 2),
        ("the 10:30 one", SLOTS, 3),
        ("tuesday at 9", SLOTS, 0),
        ("tuesday 3pm", SLOTS, 1),
        ("friday", SLOTS, 3),
        ("the 4th", SLOTS, 3),  # a day of month in the labels beats position
        ("dec 3", SLOTS, 2),
        ("the 9am slot", SLOTS, 0),
        ("the thursday one", SLOTS, 2),
        ("tuesday afternoon", SLOTS, 1),
        ("the morning one", SLOTS, None),  # two morning slots
        ("I'll take the friday slot", SLOTS, 3),
        ("2", SLOTS, 1),  # a bare number is a position
        ("option 7", SLOTS, None),
        ("monday", SLOTS, None),
        ("none of them", SLOTS, None),
        ("hmm", SLOTS, None),
        ("wait a second", SLOTS, None),
        ("the first thing tomorrow", (), None),
    ],
)
def test_pick_choice(text: str, labels: tuple[str, ...], index: int | None) -> None:
    assert pick_choice(text, 4, labels) == index


def test_pick_choice_label_text() -> None:
    assert pick_choice("the one with Maria", 2, ["Viewing with Maria", "Viewing with Tom"]) == 0
    assert pick_choice("the 3pm one", 2, ["Thu Dec 3, 3:00 PM", "Fri Dec 4, 9:00 AM"]) == 0
    assert pick_choice("anything", 0) is None


ISSUES = [
    ("my kitchen sink leaks", ("plumbing", "kitchen sink leak")),
    ("the bathroom faucet is dripping", ("plumbing", "bathroom faucet leak")),
    ("there's no hot water", ("plumbing", "no hot water")),
    ("toilet clogged", ("plumbing", "clogged toilet")),
    ("the outlet is sparking", ("electrical", "outlet sparking")),
    ("power is out in my unit", ("electrical", "no power")),
    ("lights flickering in the hallway", ("electrical", "lights flickering")),
    ("AC not cooling", ("hvac", "AC not cooling")),
    ("the AC isn't working", ("hvac", "AC not working")),
    ("heater broken", ("hvac", "heater broken")),
    ("no heat since yesterday", ("hvac", "no heat")),
    ("water heater is leaking", ("plumbing", "water heater leak")),
    ("dishwasher won't drain", ("appliance", "dishwasher not draining")),
    ("the fridge is leaking water", ("appliance", "fridge leak")),
    ("oven doesn't turn on", ("appliance", "oven not working")),
    ("washer is broken", ("appliance", "washer broken")),
    ("door lock broken", ("general", "door lock broken")),
    ("bedroom window stuck", ("general", "window stuck")),
    ("I smell gas", ("general", "gas smell")),
    ("there's a leak", ("plumbing", "leak")),
    ("the ceiling is leaking", ("plumbing", "ceiling leak")),
    ("the smoke detector keeps beeping", ("electrical", "smoke detector beeping")),
    ("toilet keeps running", ("plumbing", "toilet running")),
    ("breaker keeps tripping", ("electrical", "breaker tripping")),
    ("I'm locked out", ("general", "locked out")),
    ("there are roaches", ("general", "pests")),
]


@pytest.mark.parametrize(("text", "issue"), ISSUES)
def test_detect_issue(text: str, issue: tuple[str, str]) -> None:
    assert detect_issue(text) == issue


@pytest.mark.parametrize(
    "text", ["I want to pay my rent", "book a viewing", "yes", "the heat today is unbearable outside", ""]
)
def test_detect_issue_none(text: str) -> None:
    assert detect_issue(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I'd like to reschedule my viewing", "viewing"),
        ("can I tour the unit?", "viewing"),
        ("I want to see the apartment again", "viewing"),
        ("move my maintenance appointment", "maintenance"),
        ("when is the plumber coming", "maintenance"),
        ("the appointment for my leaking sink", "maintenance"),
        ("pay my rent", None),
    ],
)
def test_detect_appointment_ref(text: str, kind: str | None) -> None:
    assert detect_appointment_ref(text) == kind


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("invoice 12", 12),
        ("Invoice #12", 12),
        ("bill number 12", 12),
        ("INV-0042", 42),
        ("about invoice no. 7 please", 7),
        ("my bill", None),
        ("the bill for 3 months", None),
        ("unit 12", None),
        ("$12", None),
    ],
)
def test_detect_invoice_ref(text: str, number: int | None) -> None:
    assert detect_invoice_ref(text) == number


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("why is there a late fee", "fee"),
        ("the late fee on my rent", "fee"),
        ("my water bill", "utility"),
        ("utility charge", "utility"),
        ("pay rent", "rent"),
        ("electric bill is high", "utility"),
        ("hello", None),
        ("current balance", None),
    ],
)
def test_detect_charge_kind(text: str, kind: str | None) -> None:
    assert detect_charge_kind(text) == kind


def test_speed_is_printed() -> None:
    """Not asserted (machines vary); the flows call these per turn, so report microseconds."""
    samples = [
        "can you do next tuesday after 3 please",
        "friday between 1 and 3pm",
        "$1,234.56",
        "the 3pm one",
        "my kitchen sink leaks",
    ]
    rounds = 300
    start = clock.perf_counter()
    for _ in range(rounds):
        parse_when(samples[0], SAT)
        parse_when(samples[1], SAT)
        parse_amount(samples[2])
        pick_choice(samples[3], 4, SLOTS)
        detect_issue(samples[4])
        is_affirmative("sounds good")
    per_call = (clock.perf_counter() - start) / (rounds * 6) * 1e6
    print(f"\nextract: {per_call:.1f} us per call (mean of 6 functions)")
    assert parse_when(samples[0], SAT) is not None

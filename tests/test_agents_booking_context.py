"""Booking keeps what the resident already said: whole conversations against the real tools
and database, in generated wordings (objects, typos, greetings, corrections).

Found by an outsider's trial: a correction of only the time lost the day, a closet door or a
"frige" got "What needs fixing?" (twice), "Good afternoon" became a time preference, and "any
morning that week" meant this week. Each test books in its own far-future week.
"""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import pytest
from callcenter_agents.booking import AGENT
from callcenter_agents.extract import detect_issue, parse_when
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo
from own_weeks import OwnWeeks
from test_agents_booking import at, booked, resident, slots

# Each test takes the next four weeks of its own (its slots reach three weeks ahead), so no two
# of these tests ever see each other's slots in a search.
_WEEKS = OwnWeeks(datetime(2030, 1, 7, 9, 0, tzinfo=BUSINESS_TZ), datetime(2045, 1, 2, tzinfo=BUSINESS_TZ), apart=4)


def a_monday_morning() -> datetime:
    """9:00 on a Monday of 2030-2043: years of their own, before test_agents_booking's (2045 on),
    whose "soonest openings" searches look at every later slot of the run's database."""
    return _WEEKS.next_monday()


def ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def local(row: asyncpg.Record) -> datetime:
    start: datetime = row["starts_at"]
    return start.astimezone(BUSINESS_TZ)


# -- a correction of only the time keeps the day, and of only the day keeps the time -----------

OPENERS = [
    "need a repair, the bedroom outlet stopped working. {day} at 10am works",
    "the lights in the kitchen keep flickering, can someone come {day} at 10",
    "my outet sparks when I plug things in, {day} 10am please",
]
TIME_FIXES = ["no wait, 2pm not 10", "actually make it 2pm", "sorry, 2 pm instead", "can it be at 2 instead?"]


@pytest.mark.parametrize(("opener", "fix"), list(zip(OPENERS * 2, TIME_FIXES + TIME_FIXES[:2], strict=True)))
async def test_time_only_correction_keeps_the_day(pool: asyncpg.Pool, opener: str, fix: str) -> None:
    now = a_monday_morning()
    # Tuesday is wide open (what the old flow fell back to); Wednesday has 10 am and 2 pm.
    tue8, tue10, tue13, wed10, wed14 = await slots(
        pool,
        "electrical",
        "maintenance",
        [at(now, 1, 8), at(now, 1, 10), at(now, 1, 13), at(now, 2, 10), at(now, 2, 14)],
    )
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say(opener.format(day="wednesday"))
    assert c.state["stage"] == "confirm" and c.state["chosen"]["slot_id"] == wed10, r.text
    r = await c.say(fix)
    assert c.state["stage"] == "confirm", r.text
    assert c.state["chosen"]["slot_id"] == wed14, r.text
    assert "widened" not in r.text and "Wed" in r.text
    r = await c.say("yes")
    assert r.done
    assert [row["slot_id"] for row in await booked(pool, cid)] == [wed14]
    assert {tue8, tue10, tue13}.isdisjoint(o["slot_id"] for o in c.state.get("options", []))


@pytest.mark.parametrize("fix", ["actually friday", "wait, make it friday instead", "no, friday would be better"])
async def test_day_only_correction_keeps_the_time(pool: asyncpg.Pool, fix: str) -> None:
    now = a_monday_morning()
    thu10, fri9, fri10, fri14 = await slots(
        pool, "plumbing", "maintenance", [at(now, 3, 10), at(now, 4, 9), at(now, 4, 10), at(now, 4, 14)]
    )
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say("the bathroom sink is clogged, thursday at 10am?")
    assert c.state["chosen"]["slot_id"] == thu10, r.text
    r = await c.say(fix)
    assert c.state["stage"] == "confirm" and c.state["chosen"]["slot_id"] == fri10, r.text
    await c.say("yes")
    assert [row["slot_id"] for row in await booked(pool, cid)] == [fri10]
    assert fri9 != fri10 != fri14


async def test_later_time_after_tomorrow_afternoon_stays_tomorrow(pool: asyncpg.Pool) -> None:
    now = a_monday_morning()
    tue13, tue16, wed8 = await slots(pool, "general", "maintenance", [at(now, 1, 13), at(now, 1, 16), at(now, 2, 8)])
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say("can someone fix my closet door it's off the track")
    assert "What needs fixing" not in r.text and c.state["category"] == "general"
    r = await c.say("tomorrow afternoon")
    assert [o["slot_id"] for o in c.state["options"]] == [tue13, tue16], r.text
    r = await c.say("after 4")
    assert c.state["stage"] == "confirm" and c.state["chosen"]["slot_id"] == tue16, r.text
    await c.say("yes")
    assert [row["slot_id"] for row in await booked(pool, cid)] == [tue16]
    assert wed8 not in {o["slot_id"] for o in c.state.get("options", [])}


# -- the repair is recognised from everyday object words and typos -----------------------------

OBJECT_MESSAGES = [
    ("can someone fix my closet door it's off the track", "general"),
    ("the frige is leeking water all over teh floor can sombody come", "appliance"),
    ("my dishwsher is broken", "appliance"),
    ("the refridgerator is making a weird noise", "appliance"),
    ("the outet in the bedroom sparks", "electrical"),
    ("the bedroom window is drafty", "general"),
    ("the toliet is clogged again", "plumbing"),
    ("a cabinet door is hanging off in the kitchen", "general"),
    ("the washing machine wont start", "appliance"),
    ("the sliding door wont lock", "general"),
    ("my closet door fell off, can someone come fix it", "general"),
    ("the radiater is banging all night", "hvac"),
]


@pytest.mark.parametrize(("message", "category"), OBJECT_MESSAGES)
async def test_everyday_object_words_and_typos_book_the_right_trade(
    pool: asyncpg.Pool, message: str, category: str
) -> None:
    now = a_monday_morning()
    starts = [at(now, 1, 9), at(now, 1, 13), at(now, 1, 15), at(now, 2, 9)]
    ids = await slots(pool, category, "maintenance", starts)
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say(message)
    assert "What needs fixing" not in r.text and c.state.get("category") == category, r.text
    r = await c.say("tomorrow afternoon")
    assert "needs fixing" not in r.text
    assert [o["slot_id"] for o in c.state["options"]] == ids[1:3], r.text
    await c.say("the first one")
    r = await c.say("yes")
    [row] = await booked(pool, cid)
    assert row["slot_id"] == ids[1] and row["category"] == category and r.done


@pytest.mark.parametrize(
    ("opener", "answer"),
    [
        ("I need someone to come by", "tomorrow afternoon"),
        ("can I get a maintenance visit", "friday morning please"),
        ("I'd like to book a repair", "whenever works, the thing on the wall is wobbly"),
        ("need a handyman", "the grout in the shower area"),
    ],
)
async def test_what_needs_fixing_is_asked_once_then_a_general_visit(
    pool: asyncpg.Pool, opener: str, answer: str
) -> None:
    now = a_monday_morning()
    await slots(pool, "general", "maintenance", [at(now, 1, 14), at(now, 4, 9), at(now, 4, 10)])
    await slots(pool, "plumbing", "maintenance", [at(now, 1, 15), at(now, 4, 11)])
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say(opener)
    assert "What needs fixing?" in r.text
    r = await c.say(answer)
    assert "needs fixing" not in r.text and c.state["stage"] in ("offer", "confirm"), r.text
    assert c.state["category"] in ("general", "plumbing")
    assert c.state["description"]
    if c.state["stage"] == "offer":
        await c.say("1")
    await c.say("yes")
    [row] = await booked(pool, cid)
    assert row["status"] == "booked"


# -- greetings are not time windows --------------------------------------------------------------

GREETINGS = ["Good afternoon", "Good morning!", "good evening, hope you're well.", "Hi, good afternoon"]


@pytest.mark.parametrize("greeting", GREETINGS)
async def test_greeting_is_not_a_time_preference(pool: asyncpg.Pool, greeting: str) -> None:
    now = a_monday_morning()
    morning, afternoon, evening = await slots(
        pool, "general", "maintenance", [at(now, 1, 8), at(now, 1, 13), at(now, 1, 18)]
    )  # another test's slots may come first: the soonest openings are not all these
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say(f"{greeting} I'm so sorry to bother you, the window in my bedroom is drafty")
    assert c.state.get("window") is None, r.text
    assert "soonest openings" in r.text and c.state["category"] == "general"
    offered = {o["slot_id"] for o in c.state["options"]}
    assert offered <= {morning, afternoon, evening} or len(offered) == 3


def test_greeting_words_as_answers_still_count() -> None:
    now = datetime(2026, 12, 1, 10, tzinfo=BUSINESS_TZ)
    assert parse_when("good morning, I'm sorry to call", now) is None
    when = parse_when("good morning! tomorrow afternoon please", now)
    assert when is not None and when.earliest is not None and when.earliest.hour == 12
    assert parse_when("a good morning works for me", now) is not None


# -- "that week" is the week talked about ----------------------------------------------------------


async def test_any_morning_that_week_is_the_week_of_the_visit(pool: asyncpg.Pool) -> None:
    now = a_monday_morning()
    visit = at(now, 14, 10)
    booked_slot, this_week, tue_am, wed_pm, thu_am, next_week = await slots(
        pool,
        "plumbing",
        "maintenance",
        [visit, at(now, 1, 9), at(now, 15, 9), at(now, 16, 14), at(now, 17, 11), at(now, 21, 9)],
    )
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    await c.say(f"my sink is leaking, {visit:%B} {visit.day} at 10am")
    await c.say("yes")
    assert [row["slot_id"] for row in await booked(pool, cid)] == [booked_slot]

    c2 = await Convo(pool, AGENT, cid, now).open()
    r = await c2.say(f"i won't be home for the visit on the {ordinal(visit.day)}, can we reschedule")
    assert "Let's move your plumbing visit" in r.text and "Nothing is free" not in r.text
    assert c2.state.get("window") is None  # the 14th is the visit being moved, not the time wanted
    r = await c2.say("any morning that week")
    assert [o["slot_id"] for o in c2.state["options"]] == [tue_am, thu_am], r.text
    await c2.say("the second one")
    await c2.say("yes")
    [row] = await booked(pool, cid)
    assert row["slot_id"] == thu_am and {this_week, wed_pm, next_week}.isdisjoint({row["slot_id"]})


def test_that_week_without_a_day_before_is_this_week() -> None:
    now = datetime(2026, 12, 1, 10, tzinfo=BUSINESS_TZ)  # a Tuesday
    when = parse_when("any morning that week", now)
    assert when is not None and when.date_from == now.date() and when.date_to == date(2026, 12, 6)
    anchored = parse_when("sometime that same week", now, date(2026, 12, 16))
    assert anchored is not None and (anchored.date_from, anchored.date_to) == (date(2026, 12, 14), date(2026, 12, 20))


def test_typo_mending_leaves_real_words_and_nothing_named() -> None:
    for text in (
        "last night I called about my lease",
        "the store is closed today",
        "I don't want to lose it",
        "it's in my pocket",
        "leave it by the door",
    ):
        assert detect_issue(text) is None, text
    assert detect_issue("the window in my bedroom is drafty") == ("general", "window drafty")
    assert detect_issue("teh frige is leeking") == ("appliance", "fridge leak")

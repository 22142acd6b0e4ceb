"""Booking classes an outsider's trial found (classes D and E), as generated variations.

Each test draws wordings × slips × courtesy for one class and checks what a resident would check
afterwards: which appointment exists or moved, its trade, its day and time, and that nothing was
written before the resident's yes. The wordings are not the trial's sentences: the trial found
the class, these find its next instance ("the day after" -> "and the following day?", "the day
afer"; "plumber" -> "plumbing repair", "plumer").
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import asyncpg
import pytest
from callcenter_agents.booking import AGENT
from callcenter_agents.extract import parse_when
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo
from own_weeks import OwnWeeks
from test_agents_booking import at, booked, resident, slots

from callcenter.evals.paraphrase import typo

# 2090-2139: after test_agents_booking's years, before test_booking_changes_of_mind's 2140.
_WEEKS = OwnWeeks(datetime(2090, 1, 2, 9, 0, tzinfo=BUSINESS_TZ), datetime(2140, 1, 2, tzinfo=BUSINESS_TZ), apart=2)


def a_monday_morning() -> datetime:
    """9:00 on a Monday of weeks the other booking tests never use: these tests create many weeks of
    slots, which another test's widened search must not find; a week (and the next) of its own."""
    return _WEEKS.next_monday()


COURTESY = ("", "hi, ", "um ", "ok so ", "hey there. ")
THANKS = ("", " please", " thx", ", thanks")


def rough(text: str, rng: random.Random) -> str:
    """The wording as a resident types it: courtesy around it, sometimes one slip in a longer word."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if long_words and rng.random() < 0.4:
        i = rng.choice(long_words)
        words[i] = typo(words[i], rng)
    return f"{rng.choice(COURTESY)}{' '.join(words)}{rng.choice(THANKS)}"


async def week_of_visits(pool: asyncpg.Pool, now: datetime, skill: str) -> None:
    """Mon-Fri of this week and next at 8, 10, 13 and 15 (now is a Monday 9:00)."""
    starts = [at(now, d, h) for d in (1, 2, 3, 4, 7, 8, 9, 10, 11) for h in (8, 10, 13, 15)]
    await slots(pool, skill, "maintenance", starts)


TRADES = {
    "plumbing": ["I need a plumber", "can you send a plumber", "book a plumbing visit", "i need a plumbing repair"],
    "electrical": ["I need an electrician", "book an electrician", "i need electrical work done"],
    "hvac": ["can the HVAC tech come by", "book the heating guy for me", "send an AC repair guy"],
}


@pytest.mark.parametrize("trade", sorted(TRADES))
async def test_a_named_trade_is_kept_through_the_question_and_booked(pool: asyncpg.Pool, trade: str) -> None:
    rng = random.Random(trade)
    for opener in TRADES[trade]:
        now = a_monday_morning()
        await week_of_visits(pool, now, trade)
        cid = await resident(pool)
        c = await Convo(pool, AGENT, cid, now).open()
        when = rng.choice(["", " for wednesday", " tomorrow"])
        r = await c.say(rough(opener + when, rng))
        assert "maintenance visit" not in r.text, (opener, r.text)
        if "What needs fixing?" in r.text:  # asked once, the trade kept ("the heating guy" names the heater)
            r = await c.say(rng.choice(["not sure, just have a look", "it's hard to explain"]))
        assert c.state.get("options"), r.text
        if c.state["stage"] == "offer":
            await c.say("1")
        assert await booked(pool, cid) == []  # nothing before the yes
        await c.say("yes")
        [row] = await booked(pool, cid)
        assert row["category"] == trade and row["status"] == "booked", opener
        local = row["starts_at"].astimezone(BUSINESS_TZ)
        if "wednesday" in when:
            assert local.weekday() == 2
        if "tomorrow" in when:
            assert local.date() == (now + timedelta(days=1)).date()


DAY_AFTER = ["what about the day after", "the day after?", "how about the next day", "and the following day?",
             "what about the day after that", "the day afer"]  # fmt: skip
LATER = ["anything later that day?", "do you have something later?", "anything later in the day",
         "is there anything a bit later", "got anything later?"]  # fmt: skip


async def test_follow_ups_are_read_against_the_day_just_offered(pool: asyncpg.Pool) -> None:
    rng = random.Random(7)
    for follow_up, kind in [*((f, "after") for f in DAY_AFTER), *((f, "later") for f in LATER)]:
        now = a_monday_morning()
        await week_of_visits(pool, now, "plumbing")
        cid = await resident(pool)
        c = await Convo(pool, AGENT, cid, now).open()
        await c.say(rough("my kitchen sink leaks", rng))
        await c.say(rng.choice(["wednesday?", "what do you have wednesday", "how about wednesday"]))
        wednesday = (now + timedelta(days=2)).date()
        offered = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state["options"]]
        assert {s.date() for s in offered} == {wednesday}
        r = await c.say(rough(follow_up, rng))
        assert "didn't catch" not in r.text, (follow_up, r.text)
        options = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state["options"]]
        if kind == "after":
            assert {s.date() for s in options} == {wednesday + timedelta(days=1)}, (follow_up, r.text)
        else:
            assert {s.date() for s in options} == {wednesday} and min(options) > max(offered), (follow_up, r.text)
        if c.state["stage"] == "offer":
            await c.say("1")
        assert await booked(pool, cid) == []
        await c.say("yes")
        [row] = await booked(pool, cid)
        assert row["starts_at"].astimezone(BUSINESS_TZ) == options[0]


async def test_a_bare_hour_to_a_short_list_is_a_time_on_the_offered_day(pool: asyncpg.Pool) -> None:
    for said, hour in (("10", 10), ("how about 10", 10), ("what about 3", 15), ("3", 3)):
        now = a_monday_morning()
        await week_of_visits(pool, now, "plumbing")
        cid = await resident(pool)
        c = await Convo(pool, AGENT, cid, now).open()
        await c.say("my toilet is clogged")
        await c.say("thursday after 12")  # two openings on offer: 1 PM and 3 PM
        assert len(c.state["options"]) == 2
        await c.say(said)
        if said == "3":  # there is no third option: an hour, but 3 means 3 PM (bare 1-7 is pm)
            hour = 15
        chosen = c.state.get("chosen") or c.state["options"][0]
        start = datetime.fromisoformat(chosen["starts_at"]).astimezone(BUSINESS_TZ)
        assert start.date() == (now + timedelta(days=3)).date() and start.hour == hour, said
        assert await booked(pool, cid) == []


WEEKENDS = ["and on weekends?", "do you do saturdays?", "what about the weekend", "can someone come sundy",
            "anything on saturday?"]  # fmt: skip
EVENINGS = ["none of those work, do you have evenings", "any evening slots?", "can they come after work?",
            "something after 6pm?"]  # fmt: skip


async def test_weekends_and_evenings_get_a_reason_and_what_exists(pool: asyncpg.Pool) -> None:
    rng = random.Random(3)
    for said in WEEKENDS + EVENINGS:
        now = a_monday_morning()
        await week_of_visits(pool, now, "appliance")
        cid = await resident(pool)
        c = await Convo(pool, AGENT, cid, now).open()
        first = await c.say("my oven won't turn on")
        rejected = {o["slot_id"] for o in c.state["options"]}
        r = await c.say(rough(said, rng))
        assert "Nothing is free" in r.text or " are on " in r.text, (said, r.text)
        starts = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state["options"]]
        assert starts and all(s.weekday() < 5 for s in starts), (said, r.text)
        if said in EVENINGS:
            assert all(s.hour >= 15 for s in starts), (said, r.text)
            if "none of those" in said:  # turned down: not offered again
                assert not rejected & {o["slot_id"] for o in c.state["options"]}, (said, first.text, r.text)
        assert await booked(pool, cid) == []


MOVES = ["move my {thing} to {day}", "can you move my {thing} to {day}", "i need to push my {thing} to {day}",
         "please change my {thing} to {day}", "can we switch my {thing} to {day}"]  # fmt: skip
THINGS = ["plumbing thing", "plumber", "plumbing visit", "plumbing appointment", "sink repair"]


async def test_moving_the_visit_named_by_its_trade_moves_that_one(pool: asyncpg.Pool) -> None:
    rng = random.Random(11)
    for template in MOVES:
        now = a_monday_morning()
        plumbing = await slots(pool, "plumbing", "maintenance", [at(now, 1, 10), at(now, 3, 10), at(now, 3, 13)])
        hvac = await slots(pool, "hvac", "maintenance", [at(now, 2, 10), at(now, 3, 8)])
        cid = await resident(pool)
        for slot, category in ((plumbing[0], "plumbing"), (hvac[0], "hvac")):
            await pool.execute(
                "INSERT INTO appointments (customer_id, slot_id, kind, category) VALUES ($1, $2, 'maintenance', $3)",
                cid,
                slot,
                category,
            )
        thursday = now + timedelta(days=3)
        day = rng.choice([f"{thursday:%A}".lower(), f"the {thursday.day}th", f"{thursday:%B} {thursday.day}"])
        c = await Convo(pool, AGENT, cid, now).open()
        said = rough(template.format(thing=rng.choice(THINGS), day=day), rng)
        r = await c.say(said)
        assert "What needs fixing" not in r.text and "plumbing visit" in r.text, (template, r.text)
        if c.state.get("stage") == "offer":
            await c.say("1")
        rows = {row["category"]: row for row in await booked(pool, cid)}
        assert rows["plumbing"]["slot_id"] == plumbing[0]  # not moved before the yes
        await c.say("yes")
        rows_after = await booked(pool, cid)
        assert len(rows_after) == 2, (said, r.text)  # moved, nothing new
        moved = {row["category"]: row for row in rows_after}
        # The plumbing visit is now on the Thursday asked, with a plumber; the heating visit is untouched.
        assert moved["plumbing"]["starts_at"].astimezone(BUSINESS_TZ).date() == thursday.date(), (said, r.text)
        skill = await pool.fetchval(
            "SELECT t.skill FROM slots s JOIN technicians t ON t.id = s.technician_id WHERE s.id = $1",
            moved["plumbing"]["slot_id"],
        )
        assert skill == "plumbing" and moved["plumbing"]["slot_id"] in plumbing[1:], (said, r.text)
        assert moved["hvac"]["slot_id"] == hvac[0]


CLOCKS = [(9, 0), (17, 30), (23, 30), (0, 15)]


@pytest.mark.parametrize(("hour", "minute"), CLOCKS)
def test_calendar_phrases_whatever_the_hour(hour: int, minute: int) -> None:
    now = datetime(2026, 3, 10, hour, minute, tzinfo=BUSINESS_TZ)
    today = now.date()
    rng = random.Random(hour)
    for phrase in ["at the end of the month", "end of month", "towards the end of this month", "late this month",
                   "for the end of the month please"]:  # fmt: skip
        w = parse_when(rough(phrase, rng), now)
        assert w is not None and w.date_from == date(2026, 3, 25) and w.date_to == date(2026, 3, 31), phrase
    for phrase in ["same as last month", "it broke a week ago", "every month", "like last tuesday", "last week"]:
        assert parse_when(phrase, now) is None, phrase
    anchor = today + timedelta(days=2)
    for phrase in DAY_AFTER:
        w = parse_when(phrase, now, anchor)
        assert w is not None and w.date_from == w.date_to == anchor + timedelta(days=1), phrase
    for phrase, day in [("the third of april", date(2026, 4, 3)), ("april third", date(2026, 4, 3)),
                        ("on the twenty-first", date(2026, 3, 21))]:  # fmt: skip
        w = parse_when(phrase, now)
        assert w is not None and w.date_from == day, phrase
    assert parse_when("the third one", now) is None  # a choice of option, not a date
    # The last two days of a month: "the end of the month" is next month's.
    late = datetime(2026, 3, 30, 23, 30, tzinfo=BUSINESS_TZ)
    w = parse_when("end of the month", late)
    assert w is not None and w.date_from == date(2026, 4, 24) and w.date_to == date(2026, 4, 30)

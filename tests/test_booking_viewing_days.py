"""A viewing's day changed after openings were offered (trial5 #22): "saturday is better".

When the leasing team shows units on Saturdays, the resident gets Saturday's openings and the
viewing booked is on that Saturday; when it doesn't, the reply says nothing is free on Saturday and
offers the nearest day after it, and nothing is booked without a yes. Generated wordings (a first
request for a weekday or the weekend, then the change said several ways, typed with slips), each on
a leasing schedule of its own in a week no other test uses; the appointments table is checked.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import asyncpg
from callcenter_agents.booking import AGENT
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo
from own_weeks import OwnWeeks
from test_agents_booking import at, booked, resident, slots
from test_booking_trial_classes import rough

FIRST = [
    "hi, my friend is looking to rent in your building, can she come see a 2 bedroom this weekend?",
    "can i book a viewing of a 1 bedroom for monday",
    "i'd like to tour an apartment",
    "my sister wants to see a unit, is tuesday ok?",
]
SATURDAY = ["saturday is better", "saturday would be better for her", "can we do saturday instead",
            "what about saturday", "sat works better", "does saturday work?"]  # fmt: skip


_WEEKS = OwnWeeks(datetime(2500, 1, 4, 9, 0, tzinfo=BUSINESS_TZ), datetime(2540, 1, 1, tzinfo=BUSINESS_TZ), apart=3)


def a_monday_morning() -> datetime:
    """9:00 on a Monday of years no other test uses, a different one each call (tests/own_weeks.py)."""
    return _WEEKS.next_monday()


def offered_days(state: dict[str, object]) -> list[date]:
    options = state.get("options") or []
    assert isinstance(options, list)
    return [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ).date() for o in options]


async def leasing_week(pool: asyncpg.Pool, now: datetime, saturdays: bool) -> None:
    days = (1, 2, 3, 4, 5, 7, 8, 9, 12) if saturdays else (1, 2, 3, 4, 7, 8, 9, 10, 11)
    await slots(pool, "leasing", "viewing", [at(now, d, h) for d in days for h in (10, 11, 14)])


async def test_saturday_is_better_offers_saturdays_viewings_and_books_one(pool: asyncpg.Pool) -> None:
    rng = random.Random(97)
    for first in FIRST:
        for change in rng.sample(SATURDAY, 3):
            now = a_monday_morning()
            await leasing_week(pool, now, saturdays=True)
            cid = await resident(pool)
            c = await Convo(pool, AGENT, cid, now).open()
            await c.say(rough(first, rng))
            said = rough(change, rng)
            r = await c.say(said)
            saturday = (now + timedelta(days=5)).date()
            assert offered_days(c.state) and set(offered_days(c.state)) == {saturday}, (first, said, r.text)
            await c.say(rng.choice(["1", "the first one", "2"]))
            assert await booked(pool, cid) == []  # nothing before the yes
            await c.say(rng.choice(["yes", "yep", "sure"]))
            [row] = await booked(pool, cid)
            assert row["kind"] == "viewing" and row["starts_at"].astimezone(BUSINESS_TZ).date() == saturday


async def test_no_saturday_viewings_is_said_and_the_nearest_day_offered(pool: asyncpg.Pool) -> None:
    rng = random.Random(101)
    for first in FIRST:
        for change in rng.sample(SATURDAY, 3):
            now = a_monday_morning()
            await leasing_week(pool, now, saturdays=False)
            cid = await resident(pool)
            c = await Convo(pool, AGENT, cid, now).open()
            await c.say(rough(first, rng))
            said = rough(change, rng)
            r = await c.say(said)
            days = offered_days(c.state)
            monday_after = (now + timedelta(days=7)).date()
            assert "nothing is free" in r.text.lower(), (first, said, r.text)
            assert days and days[0] == monday_after, (first, said, r.text)
            assert await booked(pool, cid) == []

"""'not too early please' (trial5 #5): an elderly resident home all day asked for a visit "whenever
they can come … not too early", and 8:00 AM was still offered first. Now "not too early" keeps the
openings at 10:00 or later (and "not too late" before 3 PM), with or without a day, and the visit
booked after the resident's pick and yes is one of those. Generated wordings, roughened, each on a
schedule of its own in a week no other test uses; the appointments table is checked.
"""

from __future__ import annotations

import random
from datetime import datetime

import asyncpg
from callcenter_agents.booking import AGENT
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo
from own_weeks import OwnWeeks
from test_agents_booking import at, booked, resident, slots
from test_booking_trial_classes import rough

WHEN = {  # what the resident says -> (first hour allowed, hour before which it must start)
    "well whenever they can come, im home all day. not too early please": (10, 17),
    "whenever, just not too early": (10, 17),
    "any day is fine but not so early": (10, 17),
    "friday but not super early": (10, 17),
    "monday, not too late please": (8, 15),
}


_WEEKS = OwnWeeks(datetime(2400, 1, 3, 9, 0, tzinfo=BUSINESS_TZ), datetime(2440, 1, 1, tzinfo=BUSINESS_TZ), apart=3)


def a_monday_morning() -> datetime:
    """9:00 on a Monday of years no other test uses, a different one each call (tests/own_weeks.py)."""
    return _WEEKS.next_monday()


async def test_not_too_early_offers_and_books_only_later_openings(pool: asyncpg.Pool) -> None:
    rng = random.Random(103)
    for said, (low, high) in list(WHEN.items()) * 2:
        now = a_monday_morning()
        await slots(pool, "plumbing", "maintenance", [at(now, d, h) for d in (1, 2, 3, 4, 7) for h in (8, 10, 13, 15)])
        cid = await resident(pool)
        c = await Convo(pool, AGENT, cid, now).open()
        await c.say(rough("the bathroom fan or maybe the pipes make a whirr noise all night", rng))
        typed = rough(said, rng)
        r = await c.say(typed)
        starts = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state.get("options", [])]
        assert starts and all(low <= s.hour < high for s in starts), (typed, r.text)
        await c.say(rng.choice(["1", "the first one", "the second"]))
        await c.say(rng.choice(["yes", "yes dear", "ok yes"]))
        [row] = await booked(pool, cid)
        hour = row["starts_at"].astimezone(BUSINESS_TZ).hour
        assert low <= hour < high, (typed, hour)

"""Booking classes of the fifth outsider trial, as generated variations: a change of time said as
"make it thursday instead" moves the visit already booked (never a second booking), slots chosen
by position in English and Spanish, and a cancellation taken back.

Each test drives the booking flow over the real tools and database the way a resident types
(courtesy, one-letter slips, casing) and checks the appointments table afterwards: how many live
visits the resident has, and when. The clock is fixed: a Monday 9:00 in a week of its own.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import asyncpg
from callcenter_agents.booking import AGENT
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo
from test_agents_booking import at, booked, resident, slots
from test_booking_trial_classes import rough as courteous


def a_monday_morning() -> datetime:
    """9:00 on a random Monday of years no other booking test uses (theirs end before 2130)."""
    base = datetime(2140, 1, 4, 9, 0, tzinfo=BUSINESS_TZ)  # a Monday
    return base + timedelta(weeks=random.randrange(0, 2000))


def rough(text: str, rng: random.Random) -> str:
    """The wording as a resident types it (test_booking_trial_classes.rough), sometimes all in one case."""
    said = courteous(text, rng)
    return said.upper() if rng.random() < 0.1 else said.lower() if rng.random() < 0.5 else said


async def live(pool: asyncpg.Pool, cid: int) -> list[asyncpg.Record]:
    return [r for r in await booked(pool, cid) if r["status"] == "booked"]


async def a_resident_with_a_visit(pool: asyncpg.Pool, now: datetime) -> tuple[int, int]:
    """A resident with one plumbing visit on Wednesday 8:00, and plumbing openings all week."""
    starts = [at(now, d, h) for d in (1, 2, 3, 4, 7, 8, 9, 10, 11) for h in (8, 10, 13, 15)]
    ids = await slots(pool, "plumbing", "maintenance", starts)
    cid = await resident(pool)
    wednesday8 = ids[starts.index(at(now, 2, 8))]
    appt: int = await pool.fetchval(
        "INSERT INTO appointments (customer_id, slot_id, kind, category, description)"
        " VALUES ($1, $2, 'maintenance', 'plumbing', 'kitchen sink leaks') RETURNING id",
        cid,
        wednesday8,
    )
    return cid, appt


# -- "make it thursday instead" moves the visit booked -------------------------------------------

CHANGES = [
    "make it {day} instead", "can you make it {day} {part} instead", "actually can we do {day} instead",
    "change it to {day} {part}", "{day} {part} works better for me", "actually {day} would be better",
    "could you switch it to {day}", "i'd rather have it {day} {part}", "can we move it to {day}",
    "i prefer {day} {part} if thats possible", "put it on {day} instead",
]  # fmt: skip
BEFORE = [
    "",  # straight away, in a new conversation
    "will they call first? i work nights",  # a question the flow read as a new booking ("What needs fixing?")
    "is the plumber still coming?",
]
PARTS = {"": (8, 17), "morning": (8, 12), "afternoon": (12, 17)}


async def test_a_change_of_time_moves_the_visit_booked_never_a_second_one(pool: asyncpg.Pool) -> None:
    rng = random.Random(2)
    for i, frame in enumerate(CHANGES * 2):
        now = a_monday_morning()
        cid, appt = await a_resident_with_a_visit(pool, now)
        day_offset = rng.choice([3, 4, 8])  # thursday, friday, next tuesday
        target = (now + timedelta(days=day_offset)).date()
        day = f"{target:%A}".lower() if day_offset < 7 else f"next {target:%A}".lower()
        part = rng.choice(sorted(PARTS)) if "{part}" in frame else ""
        said = rough(" ".join(frame.format(day=day, part=part).split()), rng)
        c = await Convo(pool, AGENT, cid, now).open()
        before = BEFORE[i % len(BEFORE)]
        if before:
            await c.say(before)
        r = await c.say(said)
        assert "move" in r.text.lower() and c.state.get("intent") == "reschedule", (before, said, r.text)
        if c.state["stage"] == "offer":
            await c.say(rng.choice(["1", "the first one", "first", "1st one pls"]))
        assert c.state["stage"] == "confirm", (said, c.history)
        [row] = await live(pool, cid)
        assert row["starts_at"] == at(now, 2, 8)  # nothing moved before the yes
        await c.say(rng.choice(["yes", "yep", "sure go ahead"]))
        [row] = await live(pool, cid)  # one live visit: the same one, moved
        start = row["starts_at"].astimezone(BUSINESS_TZ)
        low, high = PARTS[part]
        assert row["id"] == appt and start.date() == target and low <= start.hour < high, (said, c.history)


async def test_a_new_repair_with_a_day_is_still_a_new_booking(pool: asyncpg.Pool) -> None:
    rng = random.Random(5)
    for said in [
        "my bathroom faucet drips, can someone come thursday instead of next week",
        "the toilet is clogged, thursday afternoon would be better",
        "outlet in the kitchen is dead, friday",
    ]:
        now = a_monday_morning()
        cid, appt = await a_resident_with_a_visit(pool, now)
        c = await Convo(pool, AGENT, cid, now).open()
        r = await c.say(rough(said, rng))
        assert "move" not in r.text and c.state.get("intent") in ("book", None), (said, r.text)
        [row] = await live(pool, cid)
        assert row["id"] == appt and row["starts_at"] == at(now, 2, 8)

"""'Move the upcoming one to next monday morning' moves the visit the resident has (outsider trial
class C, case c30): said while openings for a new visit were on the table, it was read as a change of
day for those openings, and after '1' and 'yes' the resident had two live visits, nothing moved.

Driven through the real orchestrator (routing, the glue, the booking flow, the tools) on a seeded
database, as a resident types it: paraphrases (the upcoming one, the next one, my next appointment,
the visit), courtesy and one-letter slips, said straight away or after a new booking's openings, and
in Spanish. Each conversation has its own resident and its own technician's slots in a week of its
own (years no other test books in), so the end state is read from the appointments table by day:
one live visit, the same appointment, on the day asked; never two.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import pytest
from callcenter_tools.booking import BUSINESS_TZ
from own_weeks import OwnWeeks
from seeded import clocked, converse, seeded_runtime
from test_agents_booking import at, booked, resident, slots
from test_booking_trial_classes import rough

from callcenter.runtime import Runtime
from callcenter.settings import Settings

_WEEKS = OwnWeeks(datetime(2200, 1, 6, 9, 0, tzinfo=BUSINESS_TZ), datetime(2260, 1, 1, tzinfo=BUSINESS_TZ), apart=3)

MOVES = [
    "move the upcoming one to {day} {part}",
    "move the next one to {day} {part}",
    "can you move my next appointment to {day} {part}",
    "reschedule the upcoming visit to {day} {part}",
    "please reschedule my appointment for {day} {part}",
    "i need to move the visit to {day} {part}",
    "could you push my upcoming appointment to {day} {part}",
    "change my next visit to {day} {part}",
]
BEFORE = [
    [],  # straight away
    ["is my appointment still on", "and the one before, what was that for?"],  # c30 as typed
    ["my kitchen sink is leaking"],  # a new visit's openings on the table
]
DAYS = {"next monday": 7, "monday": 7, "next tuesday": 8, "thursday": 3}
PARTS = {"": (8, 17), "morning": (8, 12), "afternoon": (12, 17)}


@pytest.fixture(scope="module")
async def runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=datetime(2026, 12, 1).date()) as rt:
        yield rt


async def a_resident_with_visits(pool: asyncpg.Pool, monday: datetime, days: tuple[int, ...]) -> tuple[int, list[int]]:
    """A resident of their own with a plumbing visit at 10:00 on each of `days` (from `monday`), and a
    technician of their own free all this week and next."""
    starts = [at(monday, d, h) for d in (1, 2, 3, 4, 7, 8, 9, 10, 11) for h in (8, 10, 13, 15)]
    ids = await slots(pool, "plumbing", "maintenance", starts)
    cid = await resident(pool)
    appts = [
        await pool.fetchval(
            "INSERT INTO appointments (customer_id, slot_id, kind, category, description)"
            " VALUES ($1, $2, 'maintenance', 'plumbing', 'kitchen sink drips') RETURNING id",
            cid,
            ids[starts.index(at(monday, d, 10))],
        )
        for d in days
    ]
    return cid, appts


async def live(pool: asyncpg.Pool, cid: int) -> list[asyncpg.Record]:
    return [r for r in await booked(pool, cid) if r["status"] == "booked"]


async def move_and_check(
    rt: Runtime, said: str, before: list[str], target_offset: int, hours: tuple[int, int], pick: str, yes: str
) -> None:
    monday = _WEEKS.next_monday()
    now = monday + timedelta(days=2)  # a Wednesday morning; the visit is on Friday
    cid, [appt] = await a_resident_with_visits(rt.pool, monday, (4,))
    orch = clocked(rt, now)
    session = await orch.open_session(channel="test", customer_id=cid)
    history = []
    for line in before:
        history.append((line, (await orch.handle_turn(session.id, line)).text))
    reply = (await orch.handle_turn(session.id, said)).text
    history.append((said, reply))
    for answer in (pick, yes) if "1)" in reply else (yes,):  # openings offered, or one asked about
        [row] = await live(rt.pool, cid)  # nothing moved, nothing added before the yes
        assert row["id"] == appt and row["starts_at"] == at(monday, 4, 10), history
        history.append((answer, (await orch.handle_turn(session.id, answer)).text))
    rows = await live(rt.pool, cid)
    assert len(rows) == 1, ("two live visits", history, rows)
    [row] = rows
    start = row["starts_at"].astimezone(BUSINESS_TZ)
    assert row["id"] == appt, history  # the product's move keeps the appointment's number
    assert start.date() == (monday + timedelta(days=target_offset)).date(), history
    assert hours[0] <= start.hour < hours[1], history


async def test_move_the_upcoming_one_moves_it_never_a_second_visit(runtime: Runtime) -> None:
    rng = random.Random(30)
    for i, frame in enumerate(MOVES * 2):
        day = rng.choice(sorted(DAYS))
        part = rng.choice(sorted(PARTS))
        said = rough(" ".join(frame.format(day=day, part=part).split()), rng)
        before = BEFORE[i % len(BEFORE)]
        pick = rng.choice(["1", "the first one", "1st one pls"])
        await move_and_check(runtime, said, before, DAYS[day], PARTS[part], pick, rng.choice(["yes", "yep", "sure"]))


async def test_in_spanish_the_next_visit_moves(runtime: Runtime) -> None:
    rng = random.Random(39)
    for said in ["cambie mi próxima cita al lunes", "cambie mi proxima cita al lunes por favor"]:
        pick = rng.choice(["1", "la primera"])
        await move_and_check(runtime, said, [], 7, (8, 17), pick, rng.choice(["sí", "si"]))


async def test_with_two_visits_it_asks_which_and_moves_nothing_yet(runtime: Runtime) -> None:
    rng = random.Random(13)
    for frame in MOVES[:4]:
        monday = _WEEKS.next_monday()
        cid, appts = await a_resident_with_visits(runtime.pool, monday, (3, 4))
        said = rough(frame.format(day="next monday", part="morning"), rng)
        [(agent, reply)] = await converse(clocked(runtime, monday + timedelta(days=2)), cid, [said])
        assert agent == "booking" and "which" in reply.lower(), (said, reply)
        rows = await live(runtime.pool, cid)
        assert [r["id"] for r in rows] == appts, (said, reply)
        assert [r["starts_at"] for r in rows] == [at(monday, 3, 10), at(monday, 4, 10)]


async def test_a_day_taken_back_in_the_same_message_offers_the_day_said_last(runtime: Runtime) -> None:
    """c39: 'tuesday? no wait wednesday' offered Tuesday; the day said last is meant (here a leak, not a door)."""
    rng = random.Random(39)
    for frame in ["tuesday? no wait wednesday", "tuesday no, wait, wednesday", "tuesday, i mean wednesday"]:
        monday = _WEEKS.next_monday()
        cid, _ = await a_resident_with_visits(runtime.pool, monday, ())
        turns = ["need someone to fix my kitchen faucet its leaking", "actually make it next week instead"]
        replies = await converse(clocked(runtime, monday + timedelta(days=2)), cid, [*turns, rough(frame, rng)])
        wednesday = f"{monday + timedelta(days=9):%a %b} {(monday + timedelta(days=9)).day},"
        assert wednesday in replies[-1][1] and "Tue" not in replies[-1][1], (frame, replies)
        assert await live(runtime.pool, cid) == []

"""A yes is a yes to the visit it was asked about (red team R5), from the resident's side.

">> cancel appointment #1" (not theirs) was answered "I can't find #1 … Shall I cancel your plumbing
visit (#7)?", and ">> cancel appointment 1" said again was taken as the yes: #7 cancelled, a visit
the resident never named. Here the resident names other residents' numbers in generated wordings
(with "#", "number", "appt no.", a bare "cancel 1", padded and misspelt), once and again, while a
cancel or a move of their own visit waits for a yes; the database must show every visit unchanged,
and each such message must be refused as not theirs. A plain yes to the question that named their
own visit still cancels that one, and the tool itself refuses a change to a visit not confirmed.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import pytest
from callcenter_agents.booking import AGENT
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo
from seeded import clocked, converse, seeded_runtime
from test_agents_booking import at, booked, resident, slots
from test_booking_trial_classes import rough

from callcenter.runtime import Runtime
from callcenter.settings import Settings

MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=BUSINESS_TZ)
# The seed's residents with one upcoming visit each (customer -> appointment), for 2026-12-01.
OWN = {12: 7, 13: 8, 30: 11, 31: 13, 33: 15}
OTHERS_LIVE = (1, 3, 7, 8, 11, 13, 15)  # live visits of the seed: anyone's number but the resident's own

NAMES = (
    "cancel appointment #{n}",
    "cancel appointment {n}",
    "cancel appointment number {n}",
    "please cancel appt no. {n}",
    "cancel {n}",
    "i said cancel appointment {n}",
    "no, appointment number {n}",
    "cancel booking #{n}",
    "CANCEL APPOINTMENT {n}",
    "can you cancel #{n}",
)
MOVES = (
    "move appointment #{n} to next week",
    "reschedule appointment {n}",
    "move appointment number {n}",
    "no, appointment {n}",
)


@pytest.fixture(scope="module")
async def morning_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=MORNING.date()) as rt:
        yield rt


async def statuses(rt: Runtime) -> dict[int, tuple[str, int]]:
    async with rt.pool.acquire() as conn:
        rows = await conn.fetch("SELECT a.id, a.status, a.slot_id FROM appointments a ORDER BY a.id")
    return {r["id"]: (r["status"], r["slot_id"]) for r in rows}


async def test_another_residents_number_never_confirms_the_pending_cancel(morning_runtime: Runtime) -> None:
    orch = clocked(morning_runtime, MORNING)
    rng = random.Random(5)
    before = await statuses(morning_runtime)
    tried = 0
    for customer, own in OWN.items():
        for i, first in enumerate(n for n in NAMES if not n.startswith("no,")):  # an opening line
            again = NAMES[(i + 3) % len(NAMES)]
            theirs = rng.choice([a for a in OTHERS_LIVE if a != own])
            other = rng.choice([a for a in (*OTHERS_LIVE, 2, 99, 100000) if a != own])
            turns = [rough(first.format(n=theirs), rng), rough(again.format(n=other), rng)]
            replies = await converse(orch, customer, [*turns, rough(again.format(n=theirs), rng)])
            assert all(agent == "booking" for agent, _ in replies), (turns, replies)
            for (_, text), n in zip(replies, (theirs, other, theirs), strict=True):
                assert f"can't find appointment #{n}" in text, (turns, text)
                assert "Cancelled" not in text, (turns, text)
            assert await statuses(morning_runtime) == before, turns
            tried += 1
    assert tried == len(OWN) * (len(NAMES) - 1)


async def test_a_yes_to_the_question_naming_their_own_visit_cancels_only_that_one(morning_runtime: Runtime) -> None:
    orch = clocked(morning_runtime, MORNING)
    rng = random.Random(6)
    for customer, own in OWN.items():
        before = await statuses(morning_runtime)
        theirs = rng.choice([a for a in OTHERS_LIVE if a != own])
        said = rough(rng.choice(NAMES[:4]).format(n=theirs), rng)
        replies = await converse(orch, customer, [said, rough("yes", rng)])
        assert f"(#{own})" in replies[0][1] and "Shall I cancel" in replies[0][1], replies
        assert f"#{own}" in replies[1][1] and "Cancelled" in replies[1][1], replies
        after = await statuses(morning_runtime)
        assert after[own][0] == "cancelled"
        assert {k: v for k, v in after.items() if k != own} == {k: v for k, v in before.items() if k != own}
        async with morning_runtime.pool.acquire() as conn:  # put it back for the next resident's turn
            await conn.execute("UPDATE appointments SET status = 'booked' WHERE id = $1", own)


async def test_another_number_while_a_move_waits_moves_nothing(morning_runtime: Runtime) -> None:
    orch = clocked(morning_runtime, MORNING)
    rng = random.Random(7)
    before = await statuses(morning_runtime)
    for customer, own in OWN.items():
        for frame in MOVES:
            theirs = rng.choice([a for a in OTHERS_LIVE if a != own])
            # their own visit's move is on offer, then (at "Shall I move…?") another number is named
            replies = await converse(
                orch, customer, ["can i move my appointment", "1", rough(frame.format(n=theirs), rng)]
            )
            assert "Shall I move" in replies[1][1], replies
            assert f"can't find appointment #{theirs}" in replies[2][1], replies
            assert "moved" not in replies[2][1], replies
    assert await statuses(morning_runtime) == before


# -- the flow alone, with two visits of one's own ------------------------------------------------------


async def test_a_number_picks_that_visit_from_the_list_and_a_strange_number_picks_none(pool: asyncpg.Pool) -> None:
    now = datetime(2150, 3, 4, 9, 0, tzinfo=BUSINESS_TZ)  # a Monday no other test books in
    ids = await slots(pool, "plumbing", "maintenance", [at(now, 1, 10), at(now, 2, 10), at(now, 3, 10)])
    cid, other = await resident(pool), await resident(pool)
    insert = (
        "INSERT INTO appointments (customer_id, slot_id, kind, category, description)"
        " VALUES ($1, $2, 'maintenance', 'plumbing', 'leak') RETURNING id"
    )
    first, second = [await pool.fetchval(insert, cid, s) for s in ids[:2]]
    theirs = await pool.fetchval(insert, other, ids[2])
    rng = random.Random(8)
    for frame in ("appointment #{n}", "the appointment number {n}", "cancel appt {n}", "booking #{n}"):
        c = await Convo(pool, AGENT, cid, now).open()
        r = await c.say("cancel my appointment")
        assert c.state.get("stage") == "pick_appt", r.text
        r = await c.say(rough(frame.format(n=theirs), rng))
        assert f"can't find appointment #{theirs}" in r.text and "Cancelled" not in r.text, r.text
        r = await c.say(rough(frame.format(n=second), rng))  # their own, by number (not the list's line)
        assert c.state.get("appointment", {}).get("appointment_id") == second, r.text
        r = await c.say("no")
        assert "cancel_appointment" not in c.calls
    assert {r["id"]: r["status"] for r in await booked(pool, cid)} == {first: "booked", second: "booked"}
    assert {r["id"]: r["status"] for r in await booked(pool, other)} == {theirs: "booked"}

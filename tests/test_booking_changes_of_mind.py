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
from own_weeks import OwnWeeks
from seeded import clocked, seeded_runtime
from test_agents_booking import at, booked, resident, slots
from test_booking_trial_classes import rough as courteous

from callcenter.settings import Settings

# 2140-2149: after test_booking_trial_classes' years, before test_booking_confirmations' 2150.
_WEEKS = OwnWeeks(datetime(2140, 1, 4, 9, 0, tzinfo=BUSINESS_TZ), datetime(2150, 1, 6, tzinfo=BUSINESS_TZ), apart=2)


def a_monday_morning() -> datetime:
    """9:00 on a Monday of years no other booking test uses: a week (and the next) of its own."""
    return _WEEKS.next_monday()


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


# -- which slot: positions in English and Spanish, a Spanish yes ---------------------------------

POSITIONS = {
    0: ["1st", "the 1st one", "first", "the first one pls", "el primero", "la primera", "primero por favor",
        "option 1", "la opción 1", "el 1"],
    1: ["2nd", "the 2nd one", "second", "the second please", "la segunda", "el segundo", "opcion 2", "number 2"],
    2: ["the last one", "last", "el último", "la ultima", "the 1pm one", "3rd one"],
}  # fmt: skip
YES = ["yes", "ye", "yep pls", "si", "sí", "sí, por favor", "claro", "dale", "de acuerdo", "ok"]


async def test_a_position_or_a_spanish_yes_books_that_slot(pool: asyncpg.Pool) -> None:
    rng = random.Random(17)
    for position, answers in POSITIONS.items():
        for answer in answers:
            now = a_monday_morning()
            cid, _ = await a_resident_with_a_visit(pool, now)
            c = await Convo(pool, AGENT, cid, now).open()
            await c.say(
                rough(rng.choice(["my toilet is clogged", "the bathroom sink drips", "kitchen sink leaks"]), rng)
            )
            await c.say("friday")  # 8, 10, 1 and 3 are free: the first three are offered
            offered = [o["slot_id"] for o in c.state["options"]]
            assert len(offered) == 3, c.history
            r = await c.say(answer)
            assert c.state.get("stage") == "confirm", (answer, r.text)
            assert c.state["chosen"]["slot_id"] == offered[position], answer
            await c.say(rng.choice(YES))
            rows = await live(pool, cid)
            assert len(rows) == 2 and rows[-1]["slot_id"] == offered[position], (answer, c.history)


# -- days: "tmrw am", "X or Y", "the wednesday one", "from friday to monday" ----------------------


async def test_tomorrow_morning_texted_stays_the_same_morning(pool: asyncpg.Pool) -> None:
    rng = random.Random(23)
    for first, again in [
        ("cn sum1 come tmrw am", "nah tmrw morning i said"),
        ("tomorrow am pls", "no, tomorrow morning"),
        ("can someone come tomorow morning", "nope i said tmrw am"),
    ]:
        now = a_monday_morning()
        cid, _ = await a_resident_with_a_visit(pool, now)
        c = await Convo(pool, AGENT, cid, now).open()
        await c.say(rough(f"the kitchen sink is leaking again, {first}", rng))
        tomorrow = (now + timedelta(days=1)).date()
        starts = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state["options"]]
        assert starts and all(s.date() == tomorrow and s.hour < 12 for s in starts), (first, c.history)
        r = await c.say(rough(again, rng))
        again_starts = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state["options"]]
        assert again_starts == starts and "Nothing is free" not in r.text, (again, r.text)


EITHER = [
    "next week sometime, {a} or {b} morning",
    "{a} or {b} next week, mornings",
    "next week {a} or {b} in the morning",
]


async def test_either_of_two_days_next_week_and_the_one_picked_by_its_day(pool: asyncpg.Pool) -> None:
    rng = random.Random(29)
    for frame in EITHER:
        now = a_monday_morning()
        cid, appt = await a_resident_with_a_visit(pool, now)
        c = await Convo(pool, AGENT, cid, now).open()
        await c.say(rough("I need to move my appointment, something came up", rng))
        r = await c.say(rough(frame.format(a="tuesday", b="wednesday"), rng))
        starts = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state["options"]]
        next_tue, next_wed = (now + timedelta(days=8)).date(), (now + timedelta(days=9)).date()
        assert {s.date() for s in starts} == {next_tue, next_wed}, (frame, r.text)
        await c.say(rng.choice(["the wednesday one", "wednesday", "the wed one pls"]))
        chosen = datetime.fromisoformat(c.state["chosen"]["starts_at"]).astimezone(BUSINESS_TZ)
        assert chosen.date() == next_wed, "\n".join(f"{a}: {b}" for a, b in c.history)
        await c.say("yes")
        [row] = await live(pool, cid)
        assert row["id"] == appt and row["starts_at"].astimezone(BUSINESS_TZ) == chosen


FROM_TO = ["can i move my plumbing appointment on {old} to {new}?", "move my visit from {old} to {new}",
           "can you change the {old} appointment to {new}", "i need to push my {old} visit to {new}",
           "reschedule {old}'s plumber to {new} please"]  # fmt: skip


async def test_a_move_from_one_day_to_another_offers_the_new_day(pool: asyncpg.Pool) -> None:
    rng = random.Random(31)
    for frame in FROM_TO:
        now = a_monday_morning()
        cid, appt = await a_resident_with_a_visit(pool, now)  # on wednesday
        new_day = rng.choice([4, 7])  # friday, next monday
        target = (now + timedelta(days=new_day)).date()
        said = frame.format(old=rng.choice(["wednesday", "wed", "weds"]), new=f"{target:%A}".lower())
        c = await Convo(pool, AGENT, cid, now).open()
        r = await c.say(rough(said, rng))
        starts = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state["options"]]
        assert starts and {s.date() for s in starts} == {target}, (said, r.text)
        await c.say("1")
        await c.say("yes")
        [row] = await live(pool, cid)
        assert row["id"] == appt and row["starts_at"].astimezone(BUSINESS_TZ).date() == target, c.history


# -- a cancellation taken back -------------------------------------------------------------------

UNDO_RIGHT_AFTER = ["wait no, sorry, i meant to keep it. can you put it back?", "undo that", "wait, don't cancel it",
                    "i changed my mind, keep it", "oh no can you uncancel it", "can you bring it back",
                    "sorry i didnt mean to cancel that", "actually i want to keep it"]  # fmt: skip
UNDO_LATER = ["please don't cancel my appointment after all", "can you restore the appointment i cancelled",
              "i want to keep my visit, undo the cancellation"]  # fmt: skip


async def test_a_cancellation_taken_back_books_the_same_time_again(pool: asyncpg.Pool) -> None:
    rng = random.Random(37)
    for i, undo in enumerate(UNDO_RIGHT_AFTER + UNDO_LATER):
        now = a_monday_morning()
        cid, appt = await a_resident_with_a_visit(pool, now)
        c = await Convo(pool, AGENT, cid, now).open()
        await c.say(rough(rng.choice(["cancel my appointment", "i need to cancel my plumber visit"]), rng))
        r = await c.say(rng.choice(["yes", "yes cancel it", "yep"]))
        assert r.done and await live(pool, cid) == [], c.history
        taken = i % 4 == 3  # someone else books that time meanwhile
        if taken:
            other = await resident(pool)
            slot_id = await pool.fetchval("SELECT slot_id FROM appointments WHERE id = $1", appt)
            await pool.execute(
                "INSERT INTO appointments (customer_id, slot_id, kind, category)"
                " VALUES ($1, $2, 'maintenance', 'plumbing')",
                other,
                slot_id,
            )
        if undo in UNDO_RIGHT_AFTER:
            c.state = {"finished": r.state}  # the glue's closing note (callcenter.conversation), next turn
        r = await c.say(rough(undo, rng))
        assert await live(pool, cid) == [], (undo, r.text)  # nothing before the yes
        if not taken:
            assert "again?" in r.text and c.state.get("stage") == "confirm", (undo, r.text)
            await c.say("yes")
            [row] = await live(pool, cid)
            assert row["starts_at"] == at(now, 2, 8) and row["category"] == "plumbing", (undo, c.history)
        else:
            starts = [datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ) for o in c.state["options"]]
            assert "taken" in r.text and starts and all(s.date() == at(now, 2, 8).date() for s in starts), r.text
            assert at(now, 2, 8) not in starts


# -- the same, through the orchestrator on the seeded business (the trial's clock) ----------------


async def test_through_the_orchestrator_one_visit_moved_and_a_cancellation_taken_back(
    server_dsn: str, test_settings: Settings
) -> None:
    night = datetime(2026, 12, 1, 3, 15, tzinfo=BUSINESS_TZ)  # resident 1: plumbing Wed 8 AM; 13: Fri Dec 11
    async with seeded_runtime(server_dsn, test_settings, today=night.date()) as rt:
        orch = clocked(rt, night)
        rng = random.Random(41)
        for customer, turns, undo in (
            (1, ["when is the plumber coming", "will they call first? i work nights"], False),
            (13, ["cancel my appointment", "yeah the one on the 11th", "yes cancel it"], True),
        ):
            session = await orch.open_session(channel="test", customer_id=customer)
            for said in turns:
                await orch.handle_turn(session.id, said)
            last = rough(
                rng.choice(UNDO_RIGHT_AFTER) if undo else "actually can you make it thursday afternoon instead", rng
            )
            result = await orch.handle_turn(session.id, last)
            assert result.agent == "booking" and ("again?" in result.text or "move" in result.text), (last, result.text)
            if "Which one" in result.text:
                await orch.handle_turn(session.id, "the 2nd one")
            await orch.handle_turn(session.id, "yes")
            async with rt.pool.acquire() as conn:
                rows = await conn.fetch(
                    "SELECT a.id, s.starts_at FROM appointments a JOIN slots s ON s.id = a.slot_id"
                    " WHERE a.customer_id = $1 AND a.status = 'booked' AND s.starts_at > $2",
                    customer,
                    night,
                )
            [row] = rows  # exactly one live visit
            local = row["starts_at"].astimezone(BUSINESS_TZ)
            if undo:
                assert (local.day, local.hour) == (11, 13), local
            else:
                assert row["id"] == 1 and local.weekday() == 3 and local.hour >= 12, local


async def test_a_move_given_up_leaves_the_visit_and_reads_it_back(pool: asyncpg.Pool) -> None:
    rng = random.Random(43)
    for give_up, check in [("hmm actually never mind, keep it on wednesday", "is it still on wednesday right?"),
                           ("forget it", "so it's still wednesday?"), ("nvm leave it", "my visit is still on for wed?"),
                           ("never mind, i changed my mind", "is the appointment still at 8?")]:  # fmt: skip
        now = a_monday_morning()
        cid, appt = await a_resident_with_a_visit(pool, now)
        c = await Convo(pool, AGENT, cid, now).open()
        await c.say(rough("can i move my plumbing appointment on wednesday to friday?", rng))
        await c.say("the afternoon one")
        r = await c.say(rough(give_up, rng))
        assert r.done and "haven't booked or changed anything" in r.text, (give_up, r.text)
        c.state = {"finished": r.state}  # the glue's closing note, next turn
        r = await c.say(rough(check, rng))
        assert f"(#{appt})" in r.text and "8:00 AM" in r.text, (check, r.text)
        [row] = await live(pool, cid)
        assert row["id"] == appt and row["starts_at"] == at(now, 2, 8)

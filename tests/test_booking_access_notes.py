"""Access notes on a resident's own visit (trial5 #15, #22, #34, #36), as the resident says them.

"the tech can use the spare key with the concierge", "my dog is home, please knock", "code for the
gate is 4821", "can you add a note that they should call me 30 min before": each, typed with
courtesy and slips, lands on that resident's upcoming visit (its description) and is read back; a
visit of another resident is never touched, even when its number is named. A question about access
gets the handbook's answer; messages that only mention a key or a dog are not notes.

Flow tests run on the shared database with residents, technicians and slots of their own, in a week
no other test books in; the orchestrator tests replay the trial's conversations on a seeded database
of their own at the trial's clock, and compare every other appointment row before and after.
"""

from __future__ import annotations

import random
from datetime import datetime

import asyncpg
from callcenter_agents.booking import AGENT
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo
from own_weeks import OwnWeeks
from seeded import clocked, seeded_runtime
from test_agents_booking import at, resident, slots
from test_booking_trial_classes import rough

from callcenter.settings import Settings

_WEEKS = OwnWeeks(datetime(2300, 1, 1, 9, 0, tzinfo=BUSINESS_TZ), datetime(2340, 1, 1, tzinfo=BUSINESS_TZ), apart=3)


def a_monday_morning() -> datetime:
    """9:00 on a Monday of years no other test uses, a different one each call (tests/own_weeks.py)."""
    return _WEEKS.next_monday()


async def a_visit(pool: asyncpg.Pool, cid: int, now: datetime, day: int, hour: int, kind: str = "maintenance") -> int:
    skill = "leasing" if kind == "viewing" else "plumbing"
    [slot] = await slots(pool, skill, kind, [at(now, day, hour)])
    appt: int = await pool.fetchval(
        "INSERT INTO appointments (customer_id, slot_id, kind, category, description)"
        " VALUES ($1, $2, $3, $4, 'Kitchen sink leaks.') RETURNING id",
        cid,
        slot,
        kind,
        "plumbing" if kind == "maintenance" else "general",
    )
    return appt


async def description(pool: asyncpg.Pool, appt: int) -> str:
    text: str = await pool.fetchval("SELECT description FROM appointments WHERE id = $1", appt)
    return text


# The words of each note that must reach the visit, whatever courtesy and slips surround them.
NOTES = {
    "the tech can use the spare key with the concierge": "spare key",
    "my dog is home, please knock": "knock",
    "code for the gate is 4821": "4821",
    "can you add a note that they should call me 30 min before": "30 min",
    "ok can the tech use the spare key, i wont be home. i have a dog but she's friendly": "spare key",
    "the spare key is under the mat": "mat",
    "please add a note: buzzer code is 7730": "7730",
    "let the technician know the gate code is 1199": "1199",
    "fyi the tech can let himself in with the lockbox, code 5512": "5512",
    "could you tell the plumber to call me 20 minutes before": "me 20",
    "please note the cat is shy, she hides under the bed": "shy",
    "i wont be home when the tech comes, nobody is home, use the spare key with the front desk": "front desk",
}  # the marker words are short: slips in longer words are stored as the resident typed them


async def test_each_note_lands_on_the_residents_only_visit_and_no_one_elses(pool: asyncpg.Pool) -> None:
    rng = random.Random(61)
    for said, must in list(NOTES.items()) * 2:
        now = a_monday_morning()
        cid, other = await resident(pool), await resident(pool)
        own = await a_visit(pool, cid, now, 3, 10)
        theirs = await a_visit(pool, other, now, 3, 13)
        typed = rough(said, rng)
        c = await Convo(pool, AGENT, cid, now).open()
        r = await c.say(typed)
        assert r.done and "Noted" in r.text and f"(#{own})" in r.text, (typed, r.text)
        stored = await description(pool, own)
        assert stored.startswith("Kitchen sink leaks.") and must in stored.lower(), (typed, stored)
        assert await description(pool, theirs) == "Kitchen sink leaks.", typed


async def test_a_note_after_the_visit_is_read_back_goes_on_that_visit(pool: asyncpg.Pool) -> None:
    rng = random.Random(67)
    for said, must in [("my dog is home, please knock", "knock"), ("the spare key is with the front desk", "front"),
                       ("call me 30 min before", "30 min")]:  # fmt: skip
        now = a_monday_morning()
        cid = await resident(pool)
        first, second = await a_visit(pool, cid, now, 2, 8), await a_visit(pool, cid, now, 4, 15)
        c = await Convo(pool, AGENT, cid, now).open()
        listed = await c.say(rough("what do i have booked", rng))
        assert f"#{first}" in listed.text and f"#{second}" in listed.text
        c.state = {"finished": listed.state}  # what the orchestrator hands the next turn (turn_glue)
        r = await c.say(rough(said, rng))  # two visits, none named: which one
        assert "Which appointment" in r.text and await description(pool, second) == "Kitchen sink leaks.", r.text
        r = await c.say(rng.choice(["2", "the second one", f"#{second}", f"appointment {second}"]))
        assert f"(#{second})" in r.text, (said, r.text)
        c.state = {"finished": r.state}
        assert must in (await description(pool, second)).lower()
        assert await description(pool, first) == "Kitchen sink leaks."
        r = await c.say(rough("what was the appointment about again", rng))
        assert "Kitchen sink leaks." in r.text and must in r.text.lower(), r.text


async def test_another_residents_appointment_number_gets_no_note(pool: asyncpg.Pool) -> None:
    rng = random.Random(71)
    for frame in [
        "add a note to appointment #{n}: the gate code is 4821",
        "for appointment {n}, the tech can use the spare key with the concierge",
        "please note on visit #{n} that my dog is home, please knock",
    ]:
        now = a_monday_morning()
        cid, other = await resident(pool), await resident(pool)
        own = await a_visit(pool, cid, now, 1, 10)
        theirs = await a_visit(pool, other, now, 1, 13)
        c = await Convo(pool, AGENT, cid, now).open()
        r = await c.say(rough(frame.format(n=theirs), rng))
        assert "can't find appointment" in r.text and "Noted" not in r.text, r.text
        assert await description(pool, theirs) == "Kitchen sink leaks."
        assert await description(pool, own) == "Kitchen sink leaks."


async def test_a_question_about_access_is_answered_and_what_it_tells_is_noted(pool: asyncpg.Pool) -> None:
    rng = random.Random(73)
    for said, noted in [
        ("whats the access situation, do i need to be home? i have a cat", "cat"),
        ("do i need to be home for the appointment?", None),
        ("how will the tech get in? i have a dog", "dog"),
    ]:
        now = a_monday_morning()
        cid = await resident(pool)
        own = await a_visit(pool, cid, now, 2, 10)
        c = await Convo(pool, AGENT, cid, now).open()
        listed = await c.say("when is my appointment")
        c.state = {"finished": listed.state}  # asked right after the visit was read back (trial5 #15)
        r = await c.say(rough(said, rng))
        assert "permission to enter" in r.text, (said, r.text)
        stored = await description(pool, own)
        if noted:
            assert "Noted" in r.text and noted in stored.lower(), (said, stored)
        else:
            assert "Noted" not in r.text and stored == "Kitchen sink leaks.", (said, r.text)


async def test_a_visitors_name_goes_on_the_viewing_with_what_to_bring(pool: asyncpg.Pool) -> None:
    rng = random.Random(79)
    for said in ["her name is Maria, does she need to bring anything", "the visitor's name is Maria Lopez"]:
        now = a_monday_morning()
        cid = await resident(pool)
        viewing = await a_visit(pool, cid, now, 1, 10, kind="viewing")
        c = await Convo(pool, AGENT, cid, now).open()
        listed = await c.say("what's booked for me")
        c.state = {"finished": listed.state}  # the one visit read back is the one talked about
        r = await c.say(rough(said, rng))
        assert "maria" in (await description(pool, viewing)).lower(), (said, r.text)
        assert ("photo ID" in r.text) == ("bring" in said), r.text


# -- through the product: the trial's conversations, routed as a resident meets them --------------

NIGHT = datetime(2026, 12, 1, 3, 15, tzinfo=BUSINESS_TZ)  # the trial's clock, a Tuesday
NOT_NOTES = [
    "i lost my spare key",
    "can i get a spare key made",
    "someone keeps knocking on my door at night",
    "i have a dog, is there pet rent?",
    "what is the gate code for the garage?",
]


async def _rows(conn: asyncpg.Connection) -> dict[int, tuple[int, str, str]]:
    rows = await conn.fetch("SELECT id, customer_id, description, status FROM appointments")
    return {r["id"]: (r["customer_id"], r["description"], r["status"]) for r in rows}


async def test_through_the_orchestrator_the_trials_notes_land_on_the_residents_visit(
    server_dsn: str, test_settings: Settings
) -> None:
    async with seeded_runtime(server_dsn, test_settings, today=NIGHT.date()) as rt:
        orch = clocked(rt, NIGHT)
        rng = random.Random(83)
        conversations = [  # (customer, turns; the last one is the note, what must be noted)
            (31, ["what's booked for me", "ok can the tech use the spare key, i wont be home. i have a dog but she's friendly"], "spare key"),  # noqa: E501
            (12, ["my dog is home, please knock"], "knock"),
            (12, ["code for the gate is 4821"], "4821"),
            (31, ["the tech can use the spare key with the concierge"], "concierge"),
            (27, ["I'd like to book an appointment for someone to fix my closet door, it came off the track", "friday",
                  "the 10am", "yes", "wait, can you add a note that they should call me 30 min before"], "30 min"),
        ]  # fmt: skip
        for customer, turns, must in conversations:
            async with rt.pool.acquire() as conn:
                before = await _rows(conn)
            session = await orch.open_session(channel="test", customer_id=customer)
            for said in turns[:-1]:
                await orch.handle_turn(session.id, said)
            note = rough(turns[-1], rng)
            result = await orch.handle_turn(session.id, note)
            assert result.agent == "booking" and "Noted" in result.text, (note, result.text)
            async with rt.pool.acquire() as conn:
                after = await _rows(conn)
            changed = {i for i in after if after[i] != before.get(i)}
            noted = [i for i in changed if must in after[i][1].lower()]
            assert len(noted) == 1 and after[noted[0]][0] == customer, (note, changed)
            assert all(after[i][0] == customer for i in changed), changed  # nobody else's row moved
            read = await orch.handle_turn(session.id, "what was the appointment about again")
            assert must in read.text.lower(), read.text
        for customer, said in ((31, s) for s in NOT_NOTES):
            async with rt.pool.acquire() as conn:
                before = await _rows(conn)
            session = await orch.open_session(channel="test", customer_id=customer)
            result = await orch.handle_turn(session.id, rough(said, rng))
            async with rt.pool.acquire() as conn:
                assert await _rows(conn) == before and "Noted" not in result.text, (said, result.text)


CALL_FIRST = ["will they call first? i work nights", "will the tech call before coming?", "do they call ahead?",
              "will they call me first? im asleep in the morning", "can the plumber call me beforehand?"]  # fmt: skip


async def test_will_they_call_first_offers_a_call_ahead_note_written_after_a_yes(pool: asyncpg.Pool) -> None:
    rng = random.Random(89)
    for i, asked in enumerate(CALL_FIRST * 3):
        now = a_monday_morning()
        cid = await resident(pool)
        own = await a_visit(pool, cid, now, 2, 8)
        c = await Convo(pool, AGENT, cid, now).open()
        listed = await c.say(rough("when is the plumber coming", rng))
        c.state = {"finished": listed.state}
        r = await c.say(rough(asked, rng))
        assert "Please call before arriving." in r.text and f"(#{own})" in r.text, (asked, r.text)
        assert await description(pool, own) == "Kitchen sink leaks."  # offered, not yet written
        answer = ["yes", "yes please", "no thanks", "never mind"][i % 4]
        r = await c.say(rough(answer, rng))
        stored = await description(pool, own)
        if answer.startswith("yes"):
            assert "Noted" in r.text and stored.endswith("Please call before arriving."), (answer, r.text)
        else:
            assert "Noted" not in r.text and stored == "Kitchen sink leaks.", (answer, r.text)

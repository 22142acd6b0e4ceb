"""Follow-ups that lean on the turn before, from the resident's side (outsider trial, classes E and F).

Whole conversations through the orchestrator on a seeded runtime of their own, each class in several
wordings and each wording roughened by the eval generator (courtesy, hesitation, casing, one-letter
slips), checking the reply and the database end state (tickets, handoffs, appointments):

- small talk is small talk ("how are you today?"), and an off-topic question after it is declined,
  never answered with a handbook section that shares one stray word ("like" in the subletting rules);
- after a handbook answer, "and if he moves in for good", "what about two cats instead", "who do I
  talk to about that", "how much is it a month" (the resident's own building) and "sign me up" (a
  ticket for the office) are about that answer; "thx" is a thank-you;
- two questions in one message get two answers;
- "can you do something about it?" right after a noise complaint was logged points to that ticket,
  and files nothing new;
- "no wait dont cancel it, can i just move it an hour later?" to "Shall I cancel…?" cancels nothing
  and offers that day's later openings; the move is made after the yes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import pytest
from own_weeks import OwnWeeks
from seeded import TZ, clocked, seeded_runtime, session_turns, variants

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime
from callcenter.settings import Settings

NIGHT = datetime(2026, 12, 2, 1, 45, tzinfo=TZ)  # when the outsider talked to it
# This module's booking weeks (NOTES/TEAM.md: era 2800-2900), on its own database.
_WEEKS = OwnWeeks(datetime(2800, 1, 3, 9, 0, tzinfo=TZ), datetime(2900, 1, 1, tzinfo=TZ), apart=2)
MAPLE, CEDAR = 1, 3  # seeded residents: the first of each building in turn (Maple Court, Harbor View, Cedar Lofts)
DECLINE = "outside what I can help with"


@pytest.fixture(scope="module")
async def rt(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=NIGHT.date()) as runtime:
        yield runtime


async def tickets(pool: asyncpg.Pool, session: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT id, category, status FROM tickets WHERE session_id = $1 ORDER BY id", session
    )
    return rows


async def human_handoffs(pool: asyncpg.Pool, session: uuid.UUID) -> list[str]:
    rows = await pool.fetch("SELECT queue FROM handoffs WHERE session_id = $1 AND kind = 'human'", session)
    return [str(r["queue"]) for r in rows]


# --- E1: small talk, then an off-topic question -------------------------------------------------------------

_HOW_ARE_YOU = ("how are you today?", "how's it going", "how r u", "hows your day going?", "hey how are you doing")
_OFF_TOPIC = ("whats the weather like tomorrow", "will it rain this weekend", "who won the game last night")


async def test_small_talk_is_small_talk_and_the_weather_is_declined(rt: Runtime, spec: Spec) -> None:
    orch = clocked(rt, NIGHT)
    for i, how in enumerate(_HOW_ARE_YOU):
        for said in variants(spec, how, 2, seed=21):
            off = variants(spec, _OFF_TOPIC[i % len(_OFF_TOPIC)], 2, seed=i)[-1]
            session, [_, hello, weather] = await session_turns(orch, MAPLE, ["hi", said, off])
            assert "doing well" in hello.text and "handbook" not in hello.text, (said, hello.text)
            assert DECLINE in weather.text, (off, weather.text)
            assert "Subletting" not in weather.text and not await tickets(rt.store.pool, session)


async def test_after_a_handbook_miss_yes_takes_the_offer_and_anything_else_is_routed_afresh(rt: Runtime) -> None:
    orch = clocked(rt, NIGHT)
    unknown = "is there a sauna in the building"  # a building question the handbook does not answer
    session, [miss, yes] = await session_turns(orch, MAPLE, [unknown, "yes please"])
    assert "couldn't find" in miss.text and yes.human_handoff, (miss.text, yes.text)
    assert await human_handoffs(rt.store.pool, session) == ["general"]
    session, [miss, weather] = await session_turns(orch, MAPLE, [unknown, "whats the weather like tomorrow"])
    assert "couldn't find" in miss.text and DECLINE in weather.text, weather.text
    assert not await human_handoffs(rt.store.pool, session)


# --- E2: a follow-up that leans on the handbook answer just given ------------------------------------------

_LEANING = (
    (
        "can my boyfriend stay with me for like 3 weeks",
        ("and if he moves in for good what do we do", "what if he moves in permanently", "and if he moves in?"),
        "occupant",
    ),
    (
        "can i get a dog? like a 60 lb lab",
        ("what about two cats instead", "how about a cat instead", "and what about cats?"),
        "Cats and dogs are welcome",
    ),
    (
        "Im going abroad for 4 months, can I sublet my place?",
        (
            "ok who do I talk to about that",
            "who should i contact",
            "who do i ask about this",
            "how do i reach them",
            "how do i apply for that",
        ),
        "555-0199",
    ),
    (
        "can I bring a guest to the gym",
        ("what about the pool?", "and the pool?"),
        "swimming pool",
    ),
)


@pytest.mark.parametrize(("first", "follow_ups", "expected"), _LEANING, ids=["occupant", "cats", "who", "pool"])
async def test_a_follow_up_is_about_the_answer_before_it(
    rt: Runtime, spec: Spec, first: str, follow_ups: tuple[str, ...], expected: str
) -> None:
    orch = clocked(rt, NIGHT)
    for follow_up in follow_ups:
        for said in variants(spec, follow_up, 3, seed=16):
            session, [answer, reply] = await session_turns(orch, MAPLE, [first, said])
            assert answer.agent == "general", answer.text
            assert reply.agent == "general" and expected in reply.text, (said, reply.text)
            assert DECLINE not in reply.text and "Give written notice" not in reply.text, (said, reply.text)
            assert not await tickets(rt.store.pool, session) and not reply.human_handoff


@pytest.mark.parametrize("thanks", ["thx", "ty", "thanks!", "thank you so much", "lol ok thanks", "gracias"])
async def test_thanks_after_an_answer_is_a_thank_you(rt: Runtime, thanks: str) -> None:
    _, [_, _, reply] = await session_turns(
        clocked(rt, NIGHT), MAPLE, ["can i get a dog? like a 60 lb lab", "what about two cats instead", thanks]
    )
    assert "welcome" in reply.text.lower() and DECLINE not in reply.text, (thanks, reply.text)


async def test_the_price_is_the_residents_own_building_and_sign_me_up_asks_the_office(rt: Runtime, spec: Spec) -> None:
    orch = clocked(rt, NIGHT)
    building = await rt.store.pool.fetchval("SELECT building FROM customers WHERE id = $1", CEDAR)
    assert building == "Cedar Lofts"
    cedar = iter(range(CEDAR, 41, 3))  # a resident of their own each time: an open ticket is not filed twice
    for sign_up in ("sign me up", "ok sign me up then", "i'll take one", "can you set that up for me"):
        for said in variants(spec, sign_up, 2, seed=18):
            session, [_, price, signed] = await session_turns(
                orch, next(cedar), ["whats the parking situation, i just got a car", "how much is it a month", said]
            )
            assert "$95 per month" in price.text and "$60" not in price.text, price.text
            assert "complaint" not in signed.text and "ticket #" in signed.text, (said, signed.text)
            rows = await tickets(rt.store.pool, session)
            assert [(r["category"], r["status"]) for r in rows] == [("parking", "open")], (said, rows)
            assert f"#{rows[0]['id']}" in signed.text


# --- E3: two questions in one message ------------------------------------------------------------------------

_TWO = (
    ("is the gym open 24/7? and is there a pool", ("24 hours", "swimming pool")),
    ("when is the office open? and where do i pick up packages", ("9:00 AM", "package room")),
    ("is there a gym? what about a pool", ("fitness center", "swimming pool")),
)


@pytest.mark.parametrize(("question", "expected"), _TWO)
async def test_two_questions_get_two_answers(rt: Runtime, spec: Spec, question: str, expected: tuple[str, str]) -> None:
    for said in variants(spec, question, 3, seed=33):
        _, [reply] = await session_turns(clocked(rt, NIGHT), MAPLE, [said])
        assert all(e.lower() in reply.text.lower() for e in expected), (said, reply.text)


# --- F1: "can you do something about it?" right after the complaint was logged ------------------------------

_PUSHES = (
    "can you do something about it? I have work at 6",
    "what are you going to do about it",
    "so what now",
    "is anyone going to deal with this",
)


async def test_pressing_after_a_noise_complaint_points_to_its_ticket(rt: Runtime, spec: Spec) -> None:
    orch = clocked(rt, NIGHT)
    noise = "the upstairs neighbors are stomping and blasting music every night past 1am"
    residents = iter(range(2, 41))  # a resident of their own each time: an open ticket is not filed twice
    for push in _PUSHES:
        for said in variants(spec, push, 2, seed=13):
            session, [logged, pressed] = await session_turns(orch, next(residents), [noise, said])
            rows = await tickets(rt.store.pool, session)
            assert [r["category"] for r in rows] == ["noise"], (said, rows)
            assert f"#{rows[0]['id']}" in logged.text and f"already logged as ticket #{rows[0]['id']}" in pressed.text
            assert "log it as a complaint" not in pressed.text and "courtesy patrol" in pressed.text, pressed.text


# --- F2: "don't cancel it, move it an hour later" -----------------------------------------------------------

_MOVE_INSTEAD = (
    "no wait dont cancel it, can i just move it an hour later?",
    "actually don't cancel, push it an hour later",
    "no keep it but move it an hour later",
)


async def test_dont_cancel_move_it_an_hour_later_moves_it_after_the_yes(rt: Runtime, spec: Spec) -> None:
    pool = rt.store.pool
    for wording in _MOVE_INSTEAD:
        for said in variants(spec, wording, 2, seed=40):
            monday = _WEEKS.next_monday()
            tuesday = monday + timedelta(days=1)
            customer = await pool.fetchval(
                "INSERT INTO customers (full_name, email, building, unit) VALUES ('Test Mover', $1, 'Maple Court', "
                "'9Z') RETURNING id",
                f"{uuid.uuid4().hex}@example.com",
            )
            tech = await pool.fetchval(
                "INSERT INTO technicians (name, skill) VALUES ($1, 'appliance') RETURNING id",
                f"T{uuid.uuid4().hex[:6]}",
            )
            ids = {}
            for hour in (8, 10, 13, 15):  # the business's two-hour windows (tools/seed.py)
                start = tuesday.replace(hour=hour)
                ids[hour] = await pool.fetchval(
                    "INSERT INTO slots (technician_id, kind, starts_at, ends_at) VALUES ($1, 'maintenance', $2, $3) "
                    "RETURNING id",
                    tech,
                    start,
                    start + timedelta(hours=2),
                )
            appt = await pool.fetchval(
                "INSERT INTO appointments (customer_id, slot_id, kind, category, description) "
                "VALUES ($1, $2, 'maintenance', 'appliance', 'dishwasher') RETURNING id",
                customer,
                ids[13],
            )
            orch = clocked(rt, monday)
            _, [ask, moved, yes] = await session_turns(
                orch, customer, ["cancel my repair visit tomorrow pls", said, "yes"]
            )
            assert "Shall I cancel" in ask.text, ask.text
            assert "Cancelled" not in moved.text and "3:00 PM" in moved.text and "10:00 AM" not in moved.text, (
                said,
                moved.text,
            )
            row = await pool.fetchrow("SELECT a.status, a.slot_id FROM appointments a WHERE a.id = $1", appt)
            count = await pool.fetchval("SELECT count(*) FROM appointments WHERE customer_id = $1", customer)
            assert (row["status"], row["slot_id"], count) == ("booked", ids[15], 1), (said, moved.text, yes.text)
            assert "moved" in yes.text and "3:00 PM" in yes.text

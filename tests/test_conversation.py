"""Conversation glue from the resident's side: whole conversations through the orchestrator.

Every conversation runs on the offline backend against a database of its own, seeded for a fixed
day (Tuesday 2026-03-10), and every resident line is tried in generated variations (the eval
generator's courtesy, hesitation, casing and typo roughening, evals/generated/templates.yaml), so
the tests hold for the class, not for the one sentence written here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from seeded import clocked, seeded_runtime, variants

from callcenter.conversation.memory import KEY, GlueMemory
from callcenter.evals.paraphrase import Spec, load_spec
from callcenter.orchestrator import Orchestrator
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
MORNING = datetime(2026, 3, 10, 11, 0, tzinfo=TZ)  # office open
NIGHT = datetime(2026, 3, 10, 22, 30, tzinfo=TZ)  # office closed
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
OWES_75 = (18, 32)  # the seed's residents who owe $75.00 with a saved method
OWES_NOTHING = (2, 5, 7, 20)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def glue_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    """A database of this module's own, seeded for 2026-03-10 (payments and bookings change it)."""
    async with seeded_runtime(server_dsn, test_settings, today=MORNING.date()) as rt:
        yield rt


def orchestrator(rt: Runtime, now: datetime) -> Orchestrator:
    return clocked(rt, now)


async def converse(orch: Orchestrator, customer: int | None, turns: list[str]) -> tuple[str, list[str]]:
    session = await orch.open_session(channel="test", customer_id=customer)
    replies = [(await orch.handle_turn(session.id, said)).text for said in turns]
    return session.id, replies


def appointment_number(reply: str) -> int:
    return int(reply.rsplit("#", 1)[1].rstrip("."))


async def glue_state(pool: asyncpg.Pool, session_id: str) -> GlueMemory:
    state = await pool.fetchval("SELECT state FROM sessions WHERE id=$1", uuid.UUID(session_id))
    return GlueMemory.load(state or {})


# --- a bare yes / ok / no with nothing pending --------------------------------------------------------


@pytest.mark.parametrize("said", ["yes", "ok", "okay", "sure", "yeah", "yep", "alright", "no", "nope", "Yes."])
async def test_bare_acknowledgement_with_nothing_pending_gets_what_can_i_help(
    glue_runtime: Runtime, spec: Spec, said: str
) -> None:
    orch = orchestrator(glue_runtime, MORNING)
    for text in variants(spec, said, 3, seed=1):
        _, [reply] = await converse(orch, 3, [text])
        assert "What can I help with?" in reply, (text, reply)
        assert "outside what I can help" not in reply and len(reply) < 60, (text, reply)


async def test_no_after_anything_else_is_a_goodbye(glue_runtime: Runtime) -> None:
    orch = orchestrator(glue_runtime, MORNING)
    _, replies = await converse(orch, 3, ["what are the quiet hours?", "no"])
    assert "Anything else" in replies[0] and "Have a good day" in replies[1]


# --- an answer wrapped in courtesy stays with the open question ---------------------------------------


async def test_wrapped_answers_finish_a_booking(glue_runtime: Runtime, spec: Spec) -> None:
    orch = orchestrator(glue_runtime, MORNING)
    picks = variants(spec, "the first one", 4, seed=2) + ["excuse me, 1 pls", "hi, 1, thank you"]
    yeses = variants(spec, "yes please", 6, seed=3) + ["hi there. yes plesae, thanks", "good morning, yes, thank you"]
    for i, (pick, yes) in enumerate(zip(picks, yeses, strict=False)):
        customer = OWES_NOTHING[i % len(OWES_NOTHING)]
        _, replies = await converse(orch, customer, ["my kitchen sink leaks", pick, yes])
        assert "Shall I book" in replies[1], (pick, replies)
        assert "You're booked" in replies[2], (yes, replies)


# --- slot filling never loops -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer", ["yes", "all of it", "the full amount", "everything", "the whole balance", "pay it all", "yes please"]
)
async def test_asked_how_much_the_whole_balance_is_understood(glue_runtime: Runtime, spec: Spec, answer: str) -> None:
    orch = orchestrator(glue_runtime, MORNING)
    for text in variants(spec, answer, 3, seed=4):
        _, replies = await converse(orch, OWES_75[0], ["I want to pay", text])
        assert "How much would you like to pay?" in replies[0]
        assert "Pay $75.00 with" in replies[1], (text, replies)
        assert not any("didn't catch an amount" in r for r in replies)


async def test_an_amount_question_is_never_asked_twice(glue_runtime: Runtime) -> None:
    orch = orchestrator(glue_runtime, MORNING)
    _, replies = await converse(orch, OWES_75[0], ["pay my balance", "hmm let me think", "yes"])
    assert "How much" in replies[0] and "How much" not in replies[1]
    assert "full balance of $75.00" in replies[1] and "Pay $75.00 with" in replies[2]


# --- legal threats and lockouts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "threat",
    [
        "my lawyer will be contacting you about the mold",
        "I'm going to sue you over the leak",
        "I'll take you to small claims court over the broken window",
        "expect a lawsuit about the rats",
        "I'm reporting you to the housing authority about the heat",
    ],
)
async def test_legal_threat_is_escalated_with_a_ticket_never_booked(
    glue_runtime: Runtime, spec: Spec, threat: str
) -> None:
    orch = orchestrator(glue_runtime, MORNING)
    for text in variants(spec, threat, 2, seed=5):
        session_id, [reply] = await converse(orch, 10, [text])
        assert "What needs fixing" not in reply and "soonest" not in reply, (text, reply)
        rows = await glue_runtime.pool.fetch("SELECT priority FROM tickets WHERE session_id=$1", uuid.UUID(session_id))
        assert [r["priority"] for r in rows] == ["high"], (text, reply)
        assert "ticket #" in reply


@pytest.mark.parametrize(
    "lockout",
    [
        "I'm locked out",
        "I locked myself out of my apartment",
        "I left my keys inside and the door locked",
        "my key fob stopped working and I can't get into my apartment",
    ],
)
async def test_lockout_gets_the_handbook_procedure_for_the_hour(
    glue_runtime: Runtime, spec: Spec, lockout: str
) -> None:
    for text in variants(spec, lockout, 3, seed=6):
        _, [night] = await converse(orchestrator(glue_runtime, NIGHT), 3, [text])
        assert "555-0100" in night and "$75" in night, (text, night)
        _, [day] = await converse(orchestrator(glue_runtime, MORNING), 3, [text])
        assert "photo ID" in day, (text, day)
        for reply in (night, day):
            assert "complaint" not in reply and "What needs fixing" not in reply


async def test_a_question_about_the_lockout_fee_is_not_a_lockout(glue_runtime: Runtime) -> None:
    _, [reply] = await converse(orchestrator(glue_runtime, NIGHT), 3, ["how much is a replacement key fob?"])
    assert "$25" in reply


# --- two requests in one message ------------------------------------------------------------------------


async def test_two_requests_are_both_done_one_after_the_other(glue_runtime: Runtime) -> None:
    first = orchestrator(glue_runtime, MORNING)
    second = orchestrator(glue_runtime, MORNING)  # another node, in effect: the queue lives in PostgreSQL
    session = await first.open_session(channel="test", customer_id=OWES_75[1])
    ask = await first.handle_turn(session.id, "can you pay my rent and get a plumber for my toilet?")
    assert "How much" in ask.text
    memory = await glue_state(glue_runtime.pool, session.id)
    assert [q.vertical for q in memory.queued] == ["booking"]
    await second.handle_turn(session.id, "$75")
    paid = await first.handle_turn(session.id, "yes")
    assert "Done: I've paid $75.00" in paid.text and "You also mentioned" in paid.text
    assert "plumber for your toilet" in paid.text or "plumber for my toilet" in paid.text
    slots = await second.handle_turn(session.id, "yes please")
    assert "plumbing visit" in slots.text and "1)" in slots.text
    await first.handle_turn(session.id, "1")
    booked = await second.handle_turn(session.id, "yes")
    assert "You're booked" in booked.text
    row = await glue_runtime.pool.fetchrow(
        "SELECT customer_id, category, status FROM appointments WHERE id=$1", appointment_number(booked.text)
    )
    assert row is not None and dict(row) == {"customer_id": OWES_75[1], "category": "plumbing", "status": "booked"}


async def test_a_declined_follow_up_is_dropped(glue_runtime: Runtime) -> None:
    orch = orchestrator(glue_runtime, MORNING)
    session_id, replies = await converse(
        orch, 22, ["I'd like to book a plumber for my leaking sink and also check my balance", "1", "yes", "no thanks"]
    )
    assert "You're booked" in replies[2] and "You also mentioned" in replies[2]
    assert "What can I help with?" in replies[3]
    assert (await glue_state(glue_runtime.pool, session_id)).queued == []


# --- a correction right after a booking ------------------------------------------------------------------


@pytest.mark.parametrize(
    "correction",
    [
        "actually make it friday",
        "actually can we do friday instead?",
        "wait, make it friday",
        "sorry, friday would be better",
        "can you move it to friday?",
    ],
)
async def test_correction_after_booking_moves_it(glue_runtime: Runtime, spec: Spec, correction: str) -> None:
    orch = orchestrator(glue_runtime, MORNING)
    for i, text in enumerate(variants(spec, correction, 2, seed=7)):
        customer = OWES_NOTHING[i % len(OWES_NOTHING)]
        session_id, replies = await converse(
            orch, customer, ["my toilet is clogged", "tomorrow morning", "1", "yes", text, "1", "yes"]
        )
        assert "You're booked" in replies[3], replies
        assert "What needs fixing" not in replies[4] and "Fri Mar 13" in replies[4], (text, replies[4])
        assert any("moved" in r for r in replies[5:]), (text, replies)
        row = await glue_runtime.pool.fetchrow(
            "SELECT a.status, s.starts_at FROM appointments a JOIN slots s ON s.id = a.slot_id WHERE a.id=$1",
            appointment_number(replies[3]),
        )
        assert row is not None and row["status"] == "booked"
        assert row["starts_at"].astimezone(TZ).date().isoformat() == "2026-03-13"
        state = await glue_runtime.pool.fetchval("SELECT state FROM sessions WHERE id=$1", uuid.UUID(session_id))
        assert KEY not in (state or {}) or "queued" not in state[KEY]

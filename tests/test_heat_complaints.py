"""A heat complaint phrased as a complaint keeps its category (outsider trial 2026-12-02, conv 8).

"this is the THIRD time im writing about the heat. its 55 degrees in my apartment and nobody has come.
unacceptable" got "What needs fixing?" and, after "I want a real person now", a normal-priority handoff to the
general desk (ticket other/normal). Now a reading inside the home at or below the no-heat cold line (55 °F /
10 °C, callcenter/routing/emergency.py) is the no-heat emergency; a repair reported before and still not
fixed goes to the maintenance team at high priority; "it's freezing in here" books a heating visit. Each
wording is generated (as typed, in capitals, with a slip), through the orchestrator, DB end state checked.
"""

from __future__ import annotations

import random
import uuid

import asyncpg
import pytest

from callcenter.orchestrator import Orchestrator, TurnResult
from callcenter.runtime import Runtime


def _roughened(text: str, seed: int) -> list[str]:
    """As typed, in capitals, and with two letters of one long word swapped."""
    rng = random.Random(seed)
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 7 and w.isalpha() and w not in ("degrees", "apartment")]
    if long:
        i = rng.choice(long)
        j = rng.randrange(1, len(words[i]) - 2)
        w = words[i]
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return [text, text.upper(), " ".join(words)]


async def _talk(orch: Orchestrator, *texts: str) -> tuple[str, list[TurnResult]]:
    session = await orch.open_session(channel="test", customer_id=14)
    return session.id, [await orch.handle_turn(session.id, t) for t in texts]


async def _state(pool: asyncpg.Pool, session_id: str) -> list[tuple[str, str, str, str]]:
    rows = await pool.fetch(
        """SELECT h.queue, h.priority, t.category, t.priority AS ticket_priority FROM handoffs h
           JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint
           WHERE h.session_id = $1 AND h.kind = 'human' ORDER BY h.id""",
        uuid.UUID(session_id),
    )
    return [(r["queue"], r["priority"], r["category"], r["ticket_priority"]) for r in rows]


COLD_INSIDE = [
    "this is the THIRD time im writing about the heat. its 55 degrees in my apartment and nobody has come. "
    "unacceptable",
    "its 55 degrees in my apartment and nobody has come about the heat",
    "its 50F inside and the heat does nothing",
    "the thermostat says 52 and the heating never comes on",
    "inside my apartment it is only 48 degrees, please help",
    "it is 9 C in my flat",
]


@pytest.mark.parametrize("seed", range(len(COLD_INSIDE)))
async def test_a_cold_reading_inside_is_the_no_heat_emergency(runtime: Runtime, seed: int) -> None:
    for said in _roughened(COLD_INSIDE[seed], seed):
        sid, [first, person] = await _talk(runtime.orchestrator, said, "I want a real person now")
        assert "warm layers" in first.text and first.human_handoff, (said, first.text)
        assert "What needs fixing" not in first.text
        assert "emergency" in person.text, (said, person.text)  # the emergency team is the person
        assert await _state(runtime.pool, sid) == [("emergency", "urgent", "emergency", "urgent")], said


REPEATS = [
    "this is the third time im writing about the heat and nobody has come. unacceptable",
    "i already reported my toilet leak twice and no one came",
    "my heater is still not fixed, 2nd time asking",
    "nobody has come about my broken dishwasher, this is ridiculous",
]


@pytest.mark.parametrize("seed", range(len(REPEATS)))
async def test_a_repair_reported_before_goes_to_maintenance_at_high_priority(runtime: Runtime, seed: int) -> None:
    for said in _roughened(REPEATS[seed], seed)[:2]:
        sid, [first, person] = await _talk(runtime.orchestrator, said, "I want a real person now")
        assert "maintenance team" in first.text and first.human_handoff, (said, first.text)
        assert "What needs fixing" not in first.text and "log it as a complaint" not in first.text
        assert "maintenance team" in person.text, (said, person.text)
        assert await _state(runtime.pool, sid) == [("maintenance", "high", "maintenance", "high")], said
        reason = await runtime.pool.fetchval(
            "SELECT context->>'reason' FROM handoffs WHERE session_id=$1 AND kind='human'", uuid.UUID(sid)
        )
        assert "repeat report" in reason and ("(hvac)" in reason) == ("heat" in said.lower()), reason


@pytest.mark.parametrize(
    "said",
    [
        "its 68 degrees in my apartment, can someone look at the heat",
        "I set the thermostat to 50 degrees in my apartment while I'm away, is that ok for the pipes?",
        "I live in unit 5C inside building B and the heat is weak",
        "it's freezing in here",
    ],
)
async def test_no_emergency_without_a_cold_reading_inside(runtime: Runtime, said: str) -> None:
    sid, [reply] = await _talk(runtime.orchestrator, said)
    assert all(queue != "emergency" for queue, *_ in await _state(runtime.pool, sid)), (said, reply.text)
    assert "warm layers" not in reply.text, (said, reply.text)


@pytest.mark.parametrize("said", ["it's freezing in here", "its cold inside my apartment, can you send someone"])
async def test_cold_inside_books_a_heating_visit(runtime: Runtime, said: str) -> None:
    _, [reply] = await _talk(runtime.orchestrator, said)
    assert reply.agent == "booking" and "heating/AC (HVAC) visit" in reply.text, (said, reply.text)

"""A neighbour's cigarette smoke is a complaint on a ticket, not a fire; smoke that burns stays an emergency.

Gap (2026-12-02): "my neighbour's cigarette smoke comes into my apartment" and "i can smell smoke from my
neighbors cigarettes" got "leave the building now" and an urgent emergency handoff. Now the resident gets a
smoke complaint ticket and the smoke-free rule; the same smoke with a sign of fire (filling the flat, a
burning smell, an alarm going off) is still dispatched. Wordings are generated (who x what is smoked x how it
reaches the home), each as typed, with a slip and roughened, through the orchestrator on a seeded database;
the end state is read from the tickets and handoffs tables.
"""

from __future__ import annotations

import itertools
import random
import re
import uuid
from datetime import datetime
from typing import Any

from seeded import TZ, clocked, variants
from test_emergency_smoke_and_typos import slipped

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime

EVENING = datetime(2026, 12, 1, 21, 10, tzinfo=TZ)
LEAVE = re.compile(r"leave (?:your home|the building) now|salga del edificio|salga de su casa", re.I)

WHOSE = ("my neighbour's", "my neighbors", "the guy next door's", "my downstairs neighbor's", "the upstairs tenant's")
SMOKED = ("cigarette", "weed", "cigar", "vape", "pot")
REACHES = (
    "smoke comes into my apartment",
    "smoke keeps coming into my bedroom",
    "smoke drifts in through the vents",
    "smoke gets into our unit every night",
    "smell is coming in under my door",
)
OTHERS = (
    "someone smokes in the hallway",
    "people keep smoking in the stairwell and it stinks",
    "my neighbor smokes on his balcony and it comes in my window",
    "weed smell from downstairs",
    "i can smell smoke from my neighbors cigarettes",
    "the smell of cigarette smoke is coming in from next door",
    "somebody in 4b is smoking weed, the whole hallway smells",
)
# Smoking and a sign of fire: dispatched whoever smokes.
STILL_FIRE = (
    "cigarette smoke is filling my apartment and i cant breathe",
    "my neighbour smokes and now i smell something burning",
    "the smoke alarm is going off, my neighbor was smoking in bed",
    "theres black smoke coming from next door, he smokes a lot",
)
SPANISH = (
    "el humo del cigarro de mi vecino se mete a mi departamento",
    "mi vecino fuma y el olor entra a mi casa",
    "huele a marihuana en el pasillo, alguien fuma ahi todas las noches",
)


def generated(n: int, seed: int) -> list[str]:
    """`n` complaints: generated (whose x smoked x reaches) and the hand-written kinds, shuffled."""
    rng = random.Random(seed)
    made = [f"{w} {s} {r}" for w, s, r in itertools.product(WHOSE, SMOKED, REACHES)]
    return rng.sample(made, n - len(OTHERS)) + list(OTHERS)


async def say(rt: Runtime, customer: int, said: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """The reply, the tickets it names (a repeat is added to the resident's open one) and the session's handoffs
    to a person."""
    session = await clocked(rt, EVENING).open_session(channel="test", customer_id=customer)
    reply = (await clocked(rt, EVENING).handle_turn(session.id, said)).text
    named = [int(n) for n in re.findall(r"ticket #(\d+)", reply)]
    async with rt.store.pool.acquire() as conn:
        sid = uuid.UUID(session.id)
        tickets = [
            dict(r)
            for r in await conn.fetch(
                "SELECT category, subject, body FROM tickets WHERE id = ANY($1::bigint[]) AND customer_id = $2",
                named,
                customer,
            )
        ]
        people = [
            dict(r)
            for r in await conn.fetch(
                "SELECT queue, priority FROM handoffs WHERE session_id = $1 AND kind = 'human'", sid
            )
        ]
    return reply, tickets, people


async def test_a_neighbours_smoking_is_a_complaint_ticket_with_the_smoke_free_rule(
    night_runtime: Runtime, spec: Spec
) -> None:
    rt = night_runtime
    tried = 0
    for n, wording in enumerate(generated(14, seed=7)):
        for said in dict.fromkeys([wording, slipped(wording, n), *variants(spec, wording, 2, seed=n)[1:]]):
            tried += 1
            reply, tickets, people = await say(rt, 20 + tried % 10, said)
            assert not people, (said, reply, people)  # no emergency handoff (nor any other)
            assert not LEAVE.search(reply), (said, reply)
            assert [t["category"] for t in tickets] == ["complaint"], (said, tickets)
            assert tickets[0]["subject"].startswith("Smoke complaint:") and said in tickets[0]["body"], (said, tickets)
            assert "smoke-free" in reply and "#" in reply, (said, reply)
    assert tried >= 30


async def test_smoking_with_a_sign_of_fire_is_still_an_emergency(night_runtime: Runtime, spec: Spec) -> None:
    rt = night_runtime
    for n, wording in enumerate(STILL_FIRE):
        for said in dict.fromkeys([wording, *variants(spec, wording, 2, seed=n)[1:]]):
            reply, _tickets, people = await say(rt, 31 + n, said)
            assert any(p["queue"] == "emergency" and p["priority"] == "urgent" for p in people), (said, reply)
            assert LEAVE.search(reply) and "555-0100" in reply, (said, reply)


async def test_a_neighbours_smoking_in_spanish_goes_to_spanish_speakers_not_the_emergency_team(
    night_runtime: Runtime, spec: Spec
) -> None:
    rt = night_runtime
    for n, wording in enumerate(SPANISH):
        for said in dict.fromkeys([wording, *variants(spec, wording, 2, seed=n, language="es")[1:]]):
            reply, _tickets, people = await say(rt, 35 + n, said)
            assert [(p["queue"], p["priority"]) for p in people] == [("spanish", "normal")], (said, reply, people)
            assert not LEAVE.search(reply) and "libres de humo" in reply, (said, reply)

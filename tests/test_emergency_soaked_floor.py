"""Water spread over a floor is the flood emergency, in English and Spanish (outsider trial 2, conv 15 and 16).

Before: "my water heater is leaking and the whole floor is soaked" got plumbing openings and no ticket; "se
está saliendo el agua del calentador y ya está mojado todo el piso" went to the Spanish desk at normal
priority. Now both are handled like "water pouring through my ceiling": the flood safety reply, an urgent
ticket and the emergency queue. Each wording is tried as typed and roughened through the orchestrator; the end
state is read from the handoffs table. A wet floor alone ("the floor is wet after mopping") is not.
"""

from __future__ import annotations

import uuid

import pytest
from seeded import NIGHT, clocked, variants

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime

_FLOODS = (
    ("my water heater is leaking and the whole floor is soaked", "en"),
    ("the dishwasher leaked and now water is all over the floor", "en"),
    ("water heater burst, the entire floor is flooded", "en"),
    ("the washer is leaking and the floor is soaked", "en"),
    ("se está saliendo el agua del calentador y ya está mojado todo el piso", "es"),
    ("el calentador gotea y todo el piso está empapado", "es"),
)
_NOT = ("the floor is wet after mopping, is that ok", "is the floor plan for 2b available", "my floors are creaky")


async def handoffs(rt: Runtime, said: str) -> tuple[str, list[tuple[str, str]]]:
    orch = clocked(rt, NIGHT)
    session = await orch.open_session(channel="test", customer_id=4)
    reply = (await orch.handle_turn(session.id, said)).text
    async with rt.store.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT queue, priority FROM handoffs WHERE session_id = $1 AND kind = 'human'", uuid.UUID(session.id)
        )
    return reply, [(r["queue"], r["priority"]) for r in rows]


@pytest.mark.parametrize(("wording", "language"), _FLOODS)
async def test_water_over_the_floor_reaches_the_emergency_team(
    night_runtime: Runtime, spec: Spec, wording: str, language: str
) -> None:
    for said in variants(spec, wording, 3, seed=16, language=language):
        reply, people = await handoffs(night_runtime, said)
        assert ("emergency", "urgent") in people, (said, reply)


@pytest.mark.parametrize("wording", _NOT)
async def test_a_floor_named_otherwise_is_no_emergency(night_runtime: Runtime, wording: str) -> None:
    reply, people = await handoffs(night_runtime, wording)
    assert ("emergency", "urgent") not in people, (wording, reply)

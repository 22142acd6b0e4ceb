"""After an emergency, what the resident did is a follow-up to it, never a booking (outsider trial 2, conv 9).

Before: after "theres water pouring through my ceiling from upstairs!!!", "i turned off the breaker in the
bathroom" got electrical-visit openings. Now each report of an action (as typed and roughened) stays with the
emergency team: no openings offered, no appointment booked, the emergency handoff still the session's.
"""

from __future__ import annotations

import pytest
from seeded import NIGHT, clocked, variants

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime

_ACTIONS = (
    "i turned off the breaker in the bathroom",
    "ok i shut off the valve under the sink",
    "we opened the windows and went out",
    "were out. fire dept is here",
    "i switched off the breakers",
)


@pytest.mark.parametrize("action", _ACTIONS)
async def test_an_action_after_a_flood_is_no_booking(night_runtime: Runtime, spec: Spec, action: str) -> None:
    """Each action, roughened, told after a ceiling flood: no openings, no new appointment."""
    for said in variants(spec, action, 2, seed=9):
        async with night_runtime.store.pool.acquire() as conn:
            before = await conn.fetchval("SELECT count(*) FROM appointments WHERE customer_id = 8")
        orch = clocked(night_runtime, NIGHT)
        session = await orch.open_session(channel="test", customer_id=8)
        await orch.handle_turn(session.id, "theres water pouring through my ceiling from upstairs!!! its everywhere")
        reply = (await orch.handle_turn(session.id, said)).text
        assert "openings" not in reply.lower() and "which one works" not in reply.lower(), (said, reply)
        async with night_runtime.store.pool.acquire() as conn:
            after = await conn.fetchval("SELECT count(*) FROM appointments WHERE customer_id = 8")
        assert after == before, (said, reply)

"""Locked out after hours: the handbook's way in, and the on-call team alerted at once (trial5 #12).

At 3 a.m. in the cold the trial's resident got the emergency line (right), then "can someone come let me
in? how long" was answered "What needs fixing?" and "how much does a lockout cost" with an 8 a.m. repair
slot. Tried as the resident through the orchestrator on a seeded database, in several wordings
roughened by the eval generator: at night the reply gives the line and the after-hours price and a
handoff to the maintenance team is made (a ticket of the resident's, high priority, no emergency hold),
the follow-ups are about that handoff and the price, never a booking; by day it is the office, no handoff.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from seeded import NIGHT, TZ, clocked, variants

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime

DAY = datetime(2026, 12, 1, 11, 0, tzinfo=TZ)
BOOKING = ("What needs fixing", "openings for", "Which one works")

_LOCKOUTS = (
    "hi im locked out of my apartment, i left my keys inside. its freezing out here",
    "I locked myself out of my unit",
    "my key fob stopped working and I can't get into my apartment",
)


async def test_a_lockout_at_night_reaches_the_on_call_team(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    for i, wording in enumerate(_LOCKOUTS):
        for said in variants(spec, wording, 3, seed=i):
            session = await orch.open_session(channel="test", customer_id=3)
            turns = [said, "can someone come let me in? how long", "how much does a lockout cost"]
            first, waiting, price = [await orch.handle_turn(session.id, t) for t in turns]
            assert first.human_handoff and "555-0100" in first.text and "$75" in first.text, (said, first.text)
            assert "ticket #" in waiting.text and "$75" in price.text, (waiting.text, price.text)
            for r in (first, waiting, price):
                assert not any(b in r.text for b in BOOKING), r.text
            rows = await night_runtime.store.pool.fetch(
                "SELECT h.queue, h.priority, t.customer_id FROM handoffs h"
                " JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint"
                " WHERE h.session_id = $1 AND h.kind = 'human'",
                uuid.UUID(session.id),
            )
            assert [tuple(r) for r in rows] == [("maintenance", "high", 3)], rows
            state = await night_runtime.store.pool.fetchval(
                "SELECT state FROM sessions WHERE id = $1", uuid.UUID(session.id)
            )
            assert "emergency" not in (state if isinstance(state, dict) else {})  # no emergency hold on the chat


async def test_a_lockout_by_day_is_the_office_with_no_handoff(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, DAY)
    for i, wording in enumerate(_LOCKOUTS):
        for said in variants(spec, wording, 2, seed=i):
            session = await orch.open_session(channel="test", customer_id=3)
            result = await orch.handle_turn(session.id, said)
            assert not result.human_handoff and "photo ID" in result.text, (said, result.text)

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
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from seeded import clocked, seeded_runtime, variants

from callcenter.evals.paraphrase import Spec, load_spec
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
NIGHT = datetime(2026, 12, 1, 3, 15, tzinfo=TZ)
DAY = datetime(2026, 12, 1, 11, 0, tzinfo=TZ)
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
BOOKING = ("What needs fixing", "openings for", "Which one works")

_LOCKOUTS = (
    "hi im locked out of my apartment, i left my keys inside. its freezing out here",
    "I locked myself out of my unit",
    "my key fob stopped working and I can't get into my apartment",
)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def lockout_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=NIGHT.date()) as rt:
        yield rt


async def test_a_lockout_at_night_reaches_the_on_call_team(lockout_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(lockout_runtime, NIGHT)
    for i, wording in enumerate(_LOCKOUTS):
        for said in variants(spec, wording, 3, seed=i):
            session = await orch.open_session(channel="test", customer_id=3)
            turns = [said, "can someone come let me in? how long", "how much does a lockout cost"]
            first, waiting, price = [await orch.handle_turn(session.id, t) for t in turns]
            assert first.human_handoff and "555-0100" in first.text and "$75" in first.text, (said, first.text)
            assert "ticket #" in waiting.text and "$75" in price.text, (waiting.text, price.text)
            for r in (first, waiting, price):
                assert not any(b in r.text for b in BOOKING), r.text
            rows = await lockout_runtime.store.pool.fetch(
                "SELECT h.queue, h.priority, t.customer_id FROM handoffs h"
                " JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint"
                " WHERE h.session_id = $1 AND h.kind = 'human'",
                uuid.UUID(session.id),
            )
            assert [tuple(r) for r in rows] == [("maintenance", "high", 3)], rows
            state = await lockout_runtime.store.pool.fetchval(
                "SELECT state FROM sessions WHERE id = $1", uuid.UUID(session.id)
            )
            assert "emergency" not in (state if isinstance(state, dict) else {})  # no emergency hold on the chat


async def test_a_lockout_by_day_is_the_office_with_no_handoff(lockout_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(lockout_runtime, DAY)
    for i, wording in enumerate(_LOCKOUTS):
        for said in variants(spec, wording, 2, seed=i):
            session = await orch.open_session(channel="test", customer_id=3)
            result = await orch.handle_turn(session.id, said)
            assert not result.human_handoff and "photo ID" in result.text, (said, result.text)

"""During an open emergency, a request for a manager and an ordinary question are heard, not dropped.

The outsider's trial: "get me a manager now" after a no-heat report (#23) and "ok. also can you tell me
when my water bill is due" after a fire alarm (#45) got the safety steps again and nothing else. Tried
as the resident through the orchestrator on a seeded database, roughened by the eval generator: the
manager request is said back and goes on the emergency report (the same ticket, no second handoff),
and the ordinary question is named in the reply with when it will be answered; the safety step stays.
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
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
REPORT = "the heat is out and its freezing in here, i have a newborn"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def aside_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=NIGHT.date()) as rt:
        yield rt


async def _emergency_rows(rt: Runtime, session_id: str) -> list[tuple[str, str]]:
    rows = await rt.store.pool.fetch(
        "SELECT h.queue, t.body FROM handoffs h JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint"
        " WHERE h.session_id = $1 AND h.kind = 'human'",
        uuid.UUID(session_id),
    )
    return [(r["queue"], r["body"]) for r in rows]


@pytest.mark.parametrize(
    "ask", ["get me a manager now", "i want to talk to a supervisor", "let me speak to the manager"]
)
async def test_a_manager_asked_for_goes_on_the_emergency_report(aside_runtime: Runtime, spec: Spec, ask: str) -> None:
    orch = clocked(aside_runtime, NIGHT)
    for said in variants(spec, ask, 3, seed=3):
        session = await orch.open_session(channel="test", customer_id=6)
        await orch.handle_turn(session.id, REPORT)
        reply = await orch.handle_turn(session.id, said)
        assert "manager" in reply.text and "warm layers" in reply.text, (said, reply.text)
        rows = await _emergency_rows(aside_runtime, session.id)
        assert len(rows) == 1 and rows[0][0] == "emergency", rows  # the same report, no second handoff
        assert said.strip()[:12].lower() in rows[0][1].lower(), rows[0][1]


@pytest.mark.parametrize(
    ("aside", "named"),
    [
        ("ok. also can you tell me when my water bill is due", "water bill"),
        ("btw can you book someone for my leaky faucet", "faucet"),
        ("ok thanks. also is my rent paid?", "rent"),
        ("ok but did the parking payment go through?", "parking payment"),  # #4: the whole follow-up
    ],
)
async def test_an_ordinary_question_is_named_not_dropped(
    aside_runtime: Runtime, spec: Spec, aside: str, named: str
) -> None:
    orch = clocked(aside_runtime, NIGHT)
    for said in variants(spec, aside, 3, seed=4):
        session = await orch.open_session(channel="test", customer_id=7)
        await orch.handle_turn(session.id, REPORT)
        reply = await orch.handle_turn(session.id, said)
        assert named in reply.text and "once you're safe" in reply.text, (said, reply.text)
        assert "warm layers" in reply.text or "555-0100" in reply.text, reply.text
        assert len(await _emergency_rows(aside_runtime, session.id)) == 1

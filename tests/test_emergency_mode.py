"""Emergency mode, from the resident's side: after an emergency handoff the conversation remembers it.

Whole conversations through the orchestrator on the offline backend and a real database: the
follow-ups (in several wordings, with the typos and pleasantries residents type) get the safety
steps, the ticket and the emergency line, never a new booking or a refusal; a repeated report
updates the same ticket; another process continues the mode from the database.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from callcenter import emergency_mode
from callcenter.app import load_app
from callcenter.orchestrator import Orchestrator
from callcenter.runtime import Runtime
from callcenter.specialists.flow import HumanHandoffRequest
from callcenter.types import Priority, RouteDecision

REPORTS = ("I smell gas in the kitchen", "my bathroom is flooding", "there's smoke coming from the hallway")
FOLLOW_UPS = (
    "what should I do now?",
    "is anyone coming?",
    "how long until someone gets here",
    "hello?? are you sending somebody",
    "ok now what",
    "should i leave the apartment",
    "is help on the way",
    "um when will someone be here, thanks",
    "what am I supposed to do",
    "when can I go back in",
    "who is handling this",
)
NEVER = ("What needs fixing", "outside what I can help", "couldn't find an answer", "Here are the soonest")


async def _tickets(runtime: Runtime, session_id: str) -> list[int]:
    rows = await runtime.pool.fetch(
        "SELECT id FROM tickets WHERE session_id = $1 AND priority = 'urgent'", uuid.UUID(session_id)
    )
    return [int(r["id"]) for r in rows]


@pytest.mark.parametrize("report", REPORTS)
async def test_follow_ups_after_an_emergency_get_safety_status_and_the_line(runtime: Runtime, report: str) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=3)
    first = await orch.handle_turn(session.id, report)
    assert first.human_handoff and "555-0100" in first.text
    [ticket] = await _tickets(runtime, session.id)
    for said in FOLLOW_UPS:
        out = await orch.handle_turn(session.id, said)
        assert not any(bad in out.text for bad in NEVER), (said, out.text)
        assert "555-0100" in out.text and f"ticket #{ticket}" in out.text, (said, out.text)
        assert re.search(r"911|shut-off valve|leave", out.text), (said, out.text)
        assert out.agent == "escalation"
    assert await _tickets(runtime, session.id) == [ticket]  # follow-ups open nothing new
    booked = await runtime.pool.fetchval(
        "SELECT count(*) FROM appointments a JOIN tool_calls c ON c.session_id = $1 WHERE c.tool = 'book_appointment'",
        uuid.UUID(session.id),
    )
    assert booked == 0


async def test_a_repeated_report_updates_the_same_ticket(runtime: Runtime) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=4)
    await orch.handle_turn(session.id, "water is pouring through my ceiling")
    [ticket] = await _tickets(runtime, session.id)
    again = await orch.handle_turn(session.id, "it's getting worse, the water is still rising")
    assert again.human_handoff and f"ticket #{ticket}" in again.text and "555-0100" in again.text
    await orch.handle_turn(session.id, "my kitchen is flooding now too")
    assert await _tickets(runtime, session.id) == [ticket]
    body = await runtime.pool.fetchval("SELECT body FROM tickets WHERE id = $1", ticket)
    assert "worse" in body and "kitchen" in body


async def test_another_process_continues_the_emergency(runtime: Runtime) -> None:
    first = runtime.orchestrator
    other = Orchestrator(
        app=first.app, store=first.store, router=first.router, backend=first.backend, settings=first.settings
    )
    session = await first.open_session(channel="test", customer_id=5)
    await first.handle_turn(session.id, "I smell gas")
    out = await other.handle_turn(session.id, "is someone coming?")
    assert "555-0100" in out.text and "ticket #" in out.text and "leave your home" in out.text


async def test_a_clear_other_request_leaves_emergency_mode(runtime: Runtime) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=6)
    await orch.handle_turn(session.id, "there's a fire in the laundry room")
    out = await orch.handle_turn(session.id, "what are the office hours for the leasing office")
    assert out.agent == "general", out.text
    out = await orch.handle_turn(session.id, "can you book a plumber for my kitchen sink")
    assert out.agent == "booking", out.text


def test_steer_keeps_follow_ups_and_lets_clear_requests_go() -> None:
    app = load_app()
    now = datetime.now(UTC)
    mode = emergency_mode.remember(
        None,
        HumanHandoffRequest("emergency", Priority.URGENT, "gas", "Emergency reported (gas): I smell gas"),
        {"ticket_id": 7},
        "I smell gas",
        now,
    )["emergency"]
    assert mode["ticket_id"] == 7 and emergency_mode.active({"emergency": mode}, now) == mode
    assert emergency_mode.active({"emergency": mode}, now + timedelta(days=1)) is None
    booking = RouteDecision(vertical="booking", confidence=0.95)
    assert emergency_mode.steer(app, mode, booking, "is anyone coming?", 0.75).vertical == "escalation"
    assert emergency_mode.steer(app, mode, booking, "book a viewing of a two bedroom", 0.75).vertical == "booking"
    unsure = RouteDecision(vertical="general", confidence=0.4)
    assert emergency_mode.steer(app, mode, unsure, "hmm", 0.75).vertical == "escalation"
    assert emergency_mode.steer(app, None, unsure, "hmm", 0.75) is unsure
    # Not an urgent handoff: no mode is opened, and an open one is kept as it was.
    normal = HumanHandoffRequest("billing", Priority.NORMAL, "s", "asked for a person")
    assert emergency_mode.remember(None, normal, {"ticket_id": 9}, "agent please", now) == {}
    assert emergency_mode.remember(mode, None, None, "ok", now) == {"emergency": mode}

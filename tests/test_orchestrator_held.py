"""The orchestrator while a person holds a session, and after they hand it back.

Held: the customer's words are stored for the person, no turn opens and no specialist runs.
Released: the specialist runs again and sees the person's messages (as our side of the
conversation) and the release note in its context.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from callcenter.orchestrator import Orchestrator
from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.specialists.seam import FlowBackend, OnDelta, SpecialistResult, SpecialistTurn
from callcenter.store.desk import DeskStore
from callcenter.store.operators import OperatorStore


class RecordingBackend:
    """The offline flows, remembering what each turn was given."""

    name = "recording-local"

    def __init__(self) -> None:
        self.turns: list[SpecialistTurn] = []

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult:
        self.turns.append(turn)
        return await FlowBackend().run(turn, on_delta)


@pytest.fixture(scope="module")
async def recorded(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[tuple[Runtime, RecordingBackend]]:
    backend = RecordingBackend()
    rt = await build_runtime(test_settings, dsn=seeded_dsn, backend=backend, run_migrations=False)
    yield rt, backend
    await rt.close()


async def _held_session(rt: Runtime) -> tuple[str, int, DeskStore]:
    orch: Orchestrator = rt.orchestrator
    session = await orch.open_session(channel="chat", customer_id=9)
    result = await orch.handle_turn(session.id, "I want to talk to a real person please")
    assert result.human_handoff
    op = await OperatorStore(rt.pool).add(f"held-{uuid.uuid4().hex[:8]}")
    desk = DeskStore(rt.pool)
    entry = next(e for row in await desk.queue() for e in (row, *row.others) if e.session_id == session.id)
    assert await desk.take(entry.handoff_id, op.id) == session.id
    return session.id, op.id, desk


async def test_a_held_session_stores_the_message_and_runs_no_specialist(
    recorded: tuple[Runtime, RecordingBackend],
) -> None:
    rt, backend = recorded
    sid, _, _ = await _held_session(rt)
    before = len(backend.turns)
    turns = await rt.pool.fetchval("SELECT count(*) FROM turns WHERE session_id = $1", uuid.UUID(sid))
    for text in ("hello?", "my card is 4111 1111 1111 1111", "¿hay alguien ahí?"):
        result = await rt.orchestrator.handle_turn(sid, text)
        assert result.held and result.text == "" and result.agent == "human"
    assert len(backend.turns) == before
    assert await rt.pool.fetchval("SELECT count(*) FROM turns WHERE session_id = $1", uuid.UUID(sid)) == turns
    stored = [
        r["text"]
        for r in await rt.pool.fetch(
            "SELECT text FROM messages WHERE session_id = $1 AND role = 'user' ORDER BY seq", uuid.UUID(sid)
        )
    ]
    assert stored[-3:] == ["hello?", "my card is [card ending 1111]", "¿hay alguien ahí?"]


async def test_after_release_the_specialist_sees_the_person_and_their_note(
    recorded: tuple[Runtime, RecordingBackend],
) -> None:
    rt, backend = recorded
    sid, op_id, desk = await _held_session(rt)
    await desk.send(sid, op_id, "I have booked the plumber for Tuesday.")
    await desk.release(sid, op_id, "Plumber booked Tuesday 9am, appointment made by phone.")
    result = await rt.orchestrator.handle_turn(sid, "what are the office hours?")
    assert not result.held and result.text
    turn = backend.turns[-1]
    assert ("assistant", "I have booked the plumber for Tuesday.") in turn.history
    assert "Plumber booked Tuesday 9am" in turn.history[-1][1]
    assert turn.context.details["operator_note"] == "Plumber booked Tuesday 9am, appointment made by phone."
    # The note stays with the session for the turns after, too.
    await rt.orchestrator.handle_turn(sid, "and is parking available?")
    assert backend.turns[-1].context.details["operator_note"].startswith("Plumber booked")

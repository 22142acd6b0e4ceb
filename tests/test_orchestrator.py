"""The orchestrator's own promises, on the offline backend with a real database."""

from __future__ import annotations

import uuid

import pytest

from callcenter.orchestrator import InvalidMessage, SessionForbidden, SessionNotFound, chunk_text
from callcenter.runtime import Runtime


def test_chunk_text_keeps_every_character() -> None:
    text = "Here are the soonest openings for a plumbing visit:\n1) Mon Nov 30, 8:00 AM"
    pieces = chunk_text(text)
    assert "".join(pieces) == text and len(pieces) > 1


async def test_session_step_cap_hands_off_honestly(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=1)
    await orch.handle_turn(session.id, "what are the office hours?")
    monkeypatch.setattr(orch.settings, "max_steps_per_session", 1)
    result = await orch.handle_turn(session.id, "and is there a package room?")
    assert result.human_handoff and "step limit" in result.text
    row = await runtime.pool.fetchrow("SELECT outcome FROM turns WHERE id=$1", result.turn_id)
    assert row is not None and row["outcome"] == "human"
    handoff = await runtime.pool.fetchrow(
        "SELECT kind, context FROM handoffs WHERE session_id=$1 AND kind='human'", uuid.UUID(session.id)
    )
    assert handoff is not None and "step cap" in handoff["context"]["reason"]


async def test_any_process_can_continue_a_session(runtime: Runtime) -> None:
    """A second orchestrator (another process, in effect) picks up a flow mid-way from the database."""
    from callcenter.orchestrator import Orchestrator

    first = runtime.orchestrator
    second = Orchestrator(
        app=first.app, store=first.store, router=first.router, backend=first.backend, settings=first.settings
    )
    session = await first.open_session(channel="test", customer_id=1)
    offer = await first.handle_turn(session.id, "I need a plumber, my bathroom sink is clogged")
    assert offer.agent == "booking" and "1)" in offer.text
    pick = await second.handle_turn(session.id, "the second one")
    assert pick.agent == "booking" and "Shall I book" in pick.text


async def test_bad_input_is_refused_before_anything_is_stored(runtime: Runtime) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=None)
    with pytest.raises(InvalidMessage):
        await orch.handle_turn(session.id, "  ")
    with pytest.raises(InvalidMessage):
        await orch.handle_turn(session.id, "x" * (runtime.settings.max_message_chars + 1))
    assert await runtime.pool.fetchval("SELECT count(*) FROM messages WHERE session_id=$1", uuid.UUID(session.id)) == 0
    with pytest.raises(SessionNotFound):
        await orch.handle_turn(str(uuid.uuid4()), "hello")
    owned = await orch.open_session(channel="test", customer_id=2)
    with pytest.raises(SessionForbidden):
        await orch.open_session(channel="test", customer_id=3, session_id=owned.id)


async def test_specialist_crash_still_answers_and_keeps_the_message(runtime: Runtime) -> None:
    class Broken:
        name = "broken"

        async def run(self, turn: object, on_delta: object = None) -> object:
            raise RuntimeError("boom")

    orch = runtime.orchestrator
    original = orch.backend
    orch.backend = Broken()  # type: ignore[assignment]
    try:
        session = await orch.open_session(channel="test", customer_id=1)
        result = await orch.handle_turn(session.id, "what's my balance?")
    finally:
        orch.backend = original
    assert result.human_handoff and "something went wrong" in result.text
    texts = [
        r["text"]
        for r in await runtime.pool.fetch(
            "SELECT text FROM messages WHERE session_id=$1 ORDER BY seq", uuid.UUID(session.id)
        )
    ]
    assert texts[0] == "what's my balance?" and len(texts) == 2


def test_a_long_message_is_read_by_its_head_and_tail() -> None:
    from callcenter.routing.router import clip_long_text

    short = "my sink leaks"
    assert clip_long_text(short, 2000) is short
    pasted = "A" * 6000 + " please send a plumber"
    clipped = clip_long_text(pasted, 2000)
    assert len(clipped) <= 2003 and clipped.startswith("A" * 1600) and clipped.endswith("please send a plumber")


@pytest.mark.parametrize("where", ["start", "middle", "end"])
async def test_a_ten_thousand_character_paste_is_answered_and_an_emergency_anywhere_in_it_is_caught(
    runtime: Runtime, where: str
) -> None:
    """Red-team F4 bounded what the turn reads of a paste; the gas smell in its middle must still count."""
    filler = "The hallway light flickers and the mailbox is stuck, and the elevator is slow again. "
    body = (filler * 130)[:9000]
    at = {"start": 0, "middle": 4500, "end": 9000}[where]
    text = body[:at] + " I smell gas near the stove. " + body[at:]
    session = await runtime.orchestrator.open_session(channel="chat", customer_id=4)
    result = await runtime.orchestrator.handle_turn(session.id, text[:10_000])
    assert result.human_handoff, result.text
    priority = await runtime.pool.fetchval(
        "SELECT priority FROM handoffs WHERE session_id=$1 AND kind='human'", uuid.UUID(session.id)
    )
    assert priority == "urgent"
    assert len(
        await runtime.pool.fetchval(
            "SELECT text FROM messages WHERE session_id=$1 AND role='user'", uuid.UUID(session.id)
        )
    ) == len(text[:10_000].strip())

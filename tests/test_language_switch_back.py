"""A resident who switches to English and is served at once no longer leaves a Spanish handoff waiting.

Outsider trial 2026-12-02, conv 27: "cuanto debo?" opened a `human:spanish` handoff; "ok in english then, how
much do i owe" got the balance at once, but the handoff stayed `waiting`, so a Spanish speaker would have
joined a finished conversation. Now it is closed with the reason (docs/desk.md: closed, `resolution`), its
ticket too; a "hello??" while waiting, or a request the assistant cannot serve, leaves it for the person.
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from callcenter.runtime import Runtime

SPANISH = ["cuanto debo?", "quiero pagar mi renta", "Cuánto debo de renta este mes?"]
ENGLISH = [
    "ok in english then, how much do i owe",
    "fine, english: whats my balance",
    "OK IN ENGLISH. HOW MUCH DO I OWE",
]


async def _spanish_handoff(pool: asyncpg.Pool, session_id: str) -> tuple[str, str | None, str]:
    row = await pool.fetchrow(
        """SELECT h.status, h.resolution, t.status AS ticket FROM handoffs h
           JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint
           WHERE h.session_id = $1 AND h.kind = 'human' AND h.queue = 'spanish'""",
        uuid.UUID(session_id),
    )
    assert row is not None
    return row["status"], row["resolution"], row["ticket"]


@pytest.mark.parametrize(("spanish", "english"), list(zip(SPANISH, ENGLISH, strict=True)))
async def test_served_in_english_closes_the_waiting_spanish_handoff(
    runtime: Runtime, spanish: str, english: str
) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=16)
    first = await orch.handle_turn(session.id, spanish)
    assert first.human_handoff and first.language == "es"
    assert (await _spanish_handoff(runtime.pool, session.id))[0] == "waiting"
    served = await orch.handle_turn(session.id, english)
    assert served.language == "en" and served.agent == "billing" and "$" in served.text, served.text
    status, resolution, ticket = await _spanish_handoff(runtime.pool, session.id)
    assert (status, ticket) == ("closed", "closed") and "switched to English" in (resolution or "")
    session_status = await runtime.pool.fetchval("SELECT status FROM sessions WHERE id=$1", uuid.UUID(session.id))
    assert session_status == "active"


@pytest.mark.parametrize("english", ["hello??", "hi is anyone there"])
async def test_a_hello_while_waiting_leaves_the_spanish_handoff_open(runtime: Runtime, english: str) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=16)
    await orch.handle_turn(session.id, "cuanto debo?")
    await orch.handle_turn(session.id, english)
    assert (await _spanish_handoff(runtime.pool, session.id))[0] == "waiting"

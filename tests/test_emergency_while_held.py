"""An emergency reported while a person holds the conversation reaches the whole team at once.

The red-team's case (NOTES/redteam.md F17): a resident asked for a person, an operator took
the conversation, wrote once and closed the desk; a quarter of an hour later the resident
wrote "I smell gas in my kitchen" and got only `received`. Now: the safety steps and the
emergency line come back at once, the session goes back to every operator's queue as an
urgent emergency, and the holder's desk is told the session left them.
"""

from __future__ import annotations

import uuid

import pytest
from aiohttp.test_utils import TestClient

from callcenter.runtime import Runtime
from tests.desk_helpers import (
    customer_token,
    desk_hello,
    desk_secret,
    held_chat,
    operator_token,
    recv,
    recv_until,
    say,
    wait_in_queue,
)

LINE = "555-0100"


async def _urgent_waiting(runtime: Runtime, sid: str) -> list[dict[str, object]]:
    rows = await runtime.pool.fetch(
        """SELECT priority, queue, status, context->>'ticket_id' AS ticket FROM handoffs
           WHERE session_id=$1 AND kind='human' AND status='waiting' AND priority='urgent'""",
        uuid.UUID(sid),
    )
    return [dict(r) for r in rows]


async def test_gas_while_an_online_operator_holds_gets_safety_steps_and_tops_every_queue(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    async with (
        client.ws_connect("/v1/chat") as customer,
        client.ws_connect("/v1/desk") as holder,
        client.ws_connect("/v1/desk") as other,
    ):
        await desk_hello(other, await operator_token(runtime))
        sid = await held_chat(runtime, customer, holder, 3)
        assert (await say(customer, "thanks, my heater is noisy"))["type"] == "received"  # held: the person answers

        reply = await say(customer, "I smell gas in my kitchen, it's really strong")
        assert reply["type"] == "message" and reply["role"] == "assistant", reply
        assert LINE in reply["text"] and reply["handoff"] is True, reply
        assert "leave" in reply["text"].lower(), reply["text"]
        urgent = await wait_in_queue(other, sid)  # another operator sees it, at the top (older pushes first)
        while urgent["priority"] != "urgent":
            urgent = await wait_in_queue(other, sid)
        assert urgent["queue"] == "emergency", urgent
        released = await recv_until(holder, "released", session_id=sid)
        assert released.get("by_other") is True
    rows = await _urgent_waiting(runtime, sid)
    assert len(rows) == 1 and rows[0]["queue"] == "emergency" and rows[0]["ticket"], rows
    assert await runtime.pool.fetchval("SELECT held_by FROM sessions WHERE id=$1", uuid.UUID(sid)) is None


@pytest.mark.parametrize(
    "emergency", ["I smell gas in my kitchen, it's really strong", "Huele a gas en la cocina, ayuda"]
)
async def test_gas_after_the_holder_closed_their_desk_is_not_left_unread(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
    emergency: str,
) -> None:
    async with client.ws_connect("/v1/chat") as customer, client.ws_connect("/v1/desk") as desk:
        sid = await held_chat(runtime, customer, desk, 4)
    # The operator's desk is closed; the resident comes back later on a new socket.
    async with client.ws_connect("/v1/chat") as customer:
        token = customer_token(desk_secret(runtime), 4)
        await customer.send_json({"type": "hello", "token": token, "session_id": sid})
        assert (await recv(customer))["type"] == "session"
        reply = await say(customer, emergency)
    assert reply["type"] == "message" and LINE in reply["text"] and reply["handoff"] is True, reply
    rows = await _urgent_waiting(runtime, sid)
    assert len(rows) == 1 and rows[0]["queue"] == "emergency", rows


async def test_an_ordinary_message_while_held_still_goes_only_to_the_person(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    async with client.ws_connect("/v1/chat") as customer, client.ws_connect("/v1/desk") as desk:
        sid = await held_chat(runtime, customer, desk, 5)
        for text in ("the gas bill seems high this month", "my stove is electric, no gas smell at all"):
            assert (await say(customer, text))["type"] == "received", text
    assert await runtime.pool.fetchval("SELECT held_by FROM sessions WHERE id=$1", uuid.UUID(sid)) is not None

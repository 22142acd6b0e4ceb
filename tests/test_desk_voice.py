"""A person at the desk on a live phone call: their words are spoken through the relay; the bot stays quiet."""

from __future__ import annotations

import asyncio
import uuid

from aiohttp.test_utils import TestClient
from relay_caller import RELAY, recv, reply, setup

from callcenter.runtime import Runtime
from tests.desk_helpers import desk_hello, new_operator, recv_until
from tests.test_voice_relay import _session


async def test_operator_words_are_spoken_to_the_caller(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    _, token = await new_operator(runtime.pool, runtime.settings.secret.get_secret_value())
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as call, client.ws_connect("/v1/desk") as desk:
        await setup(call, call_sid)
        row = None
        for _ in range(100):  # setup is answered by nothing: wait for the call's session row
            row = await _session(runtime, call_sid)
            if row is not None:
                break
            await asyncio.sleep(0.05)
        assert row is not None
        # A human handoff on the live call's session (as a supervisor's queue entry would be).
        hid = await runtime.pool.fetchval(
            """INSERT INTO handoffs (session_id, from_agent, to_agent, kind, priority, queue, summary)
               VALUES ($1, 'escalation', 'human:general', 'human', 'high', 'general', 'caller wants a person')
               RETURNING id""",
            row["id"],
        )
        await desk_hello(desk, token)
        await desk.send_json({"type": "take", "handoff_id": hid})
        await recv_until(desk, "taken")
        await desk.send_json(
            {"type": "message", "session_id": str(row["id"]), "text": "Hi, this is Sam. Appointment #22 is fine."}
        )
        heard, frames = await reply(call)
        assert "this is Sam" in heard and frames[-1]["last"] is True

        await call.send_json({"type": "prompt", "voicePrompt": "great, thank you", "lang": "en-US", "last": True})
        relayed = await recv_until(desk, "customer_message")
        assert relayed["text"] == "great, thank you"
        silent = await recv(call)  # the closing token of the held turn: nothing spoken, the call stays up
        assert silent == {"type": "text", "token": "", "last": True, "interruptible": True}

"""The desk across two `callcenter serve` processes sharing one DATABASE_URL.

The resident chats with node A; operators work on node B (and one on A to race). Everything
that crosses between them goes through PostgreSQL: the queue, the take, the operator's words,
the resident's answer. A node that restarts misses nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bench.serve_nodes import Node, start_node
from callcenter.runtime import Runtime
from callcenter.settings import Settings
from tests.desk_helpers import (
    customer_asks_for_person,
    customer_token,
    desk_hello,
    entry_for,
    new_operator,
    recv,
    recv_until,
    say,
    wait_in_queue,
)

pytestmark = pytest.mark.processes


@pytest.fixture(scope="module")
async def nodes(own_seeded_dsn: str, test_settings: Settings, own_runtime: Runtime) -> AsyncIterator[list[Node]]:
    # `own_runtime` first: it trains the router into test_settings.data_dir, which both nodes then load.
    secret = test_settings.secret.get_secret_value()
    started = await asyncio.gather(*(start_node(own_seeded_dsn, test_settings.data_dir, secret) for _ in range(2)))
    yield list(started)
    await asyncio.gather(*(n.stop() for n in started))


async def test_customer_on_one_node_operators_on_the_other(nodes: list[Node], own_runtime: Runtime) -> None:
    a, b = nodes
    secret = own_runtime.settings.secret.get_secret_value()
    (name1, t1), (_, t2) = await new_operator(own_runtime.pool, secret), await new_operator(own_runtime.pool, secret)
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(a.ws_url + "/v1/chat") as customer,
        http.ws_connect(b.ws_url + "/v1/desk") as op1,
        http.ws_connect(a.ws_url + "/v1/desk") as op2,
    ):
        await desk_hello(op1, t1)
        await desk_hello(op2, t2)
        sid = await customer_asks_for_person(customer, customer_token(secret, 7))
        entry = await wait_in_queue(op1, sid)  # pushed to node B by NOTIFY from node A's turn
        await wait_in_queue(op2, sid)

        take = {"type": "take", "handoff_id": entry["handoff_id"]}
        await asyncio.gather(op1.send_json(take), op2.send_json(take))

        async def outcome(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
            while True:
                frame = await recv(ws)
                if frame["type"] in ("taken", "error"):
                    return frame

        r1, r2 = await asyncio.gather(outcome(op1), outcome(op2))
        got = sorted(r["type"] if r["type"] == "taken" else r["code"] for r in (r1, r2))
        assert got == ["already_taken", "taken"], (r1, r2)
        holder, holder_name = (op1, name1) if r1["type"] == "taken" else (op2, None)

        await holder.send_json({"type": "message", "session_id": sid, "text": "Hi, a person here. What's up?"})
        pushed = await recv_until(customer, "message")
        assert pushed["role"] == "agent" and pushed["text"] == "Hi, a person here. What's up?"
        if holder_name:
            assert pushed["operator"] == holder_name

        assert (await say(customer, "my bathroom fan is broken"))["type"] == "received"
        relayed = await recv_until(holder, "customer_message")
        assert relayed["text"] == "my bathroom fan is broken"

        await holder.send_json({"type": "release", "session_id": sid, "note": "Bathroom fan broken"})
        await recv_until(holder, "released")
        reply = await say(customer, "can someone come and fix the fan?")
        assert reply["type"] == "message" and reply["role"] == "assistant"


async def test_nothing_is_lost_when_a_node_restarts(
    nodes: list[Node], own_runtime: Runtime, own_seeded_dsn: str, test_settings: Settings
) -> None:
    a, b = nodes
    secret = own_runtime.settings.secret.get_secret_value()
    _, token = await new_operator(own_runtime.pool, secret)
    async with aiohttp.ClientSession() as http:
        customer = await http.ws_connect(a.ws_url + "/v1/chat")
        sid = await customer_asks_for_person(customer, customer_token(secret, 8))
        async with http.ws_connect(b.ws_url + "/v1/desk") as desk:
            hello = await desk_hello(desk, token)
            entry = entry_for(hello["queue"], sid) or await wait_in_queue(desk, sid)
            await desk.send_json({"type": "take", "handoff_id": entry["handoff_id"]})
            await recv_until(desk, "taken")

        # The operator's node goes away; the customer keeps writing; the node comes back.
        await b.stop()
        assert (await say(customer, "are you still there?"))["type"] == "received"
        b2 = await start_node(own_seeded_dsn, test_settings.data_dir, secret)
        nodes[1] = b2
        async with http.ws_connect(b2.ws_url + "/v1/desk") as desk:
            hello = await desk_hello(desk, token)
            assert sid in hello["holding"]
            async with http.get(b2.url + f"/v1/sessions/{sid}", headers={"Authorization": f"Bearer {token}"}) as r:
                trace = await r.json()
            assert trace["messages"][-1]["text"] == "are you still there?"

            # Now the customer's node goes away; the operator answers meanwhile.
            await customer.close()
            await a.stop()
            await desk.send_json({"type": "message", "session_id": sid, "text": "Yes, still here!"})
            await recv_until(desk, "sent")
            a2 = await start_node(own_seeded_dsn, test_settings.data_dir, secret)
            nodes[0] = a2
            async with http.ws_connect(a2.ws_url + "/v1/chat") as again:
                await again.send_json({"type": "hello", "token": customer_token(secret, 8), "session_id": sid})
                session = await recv(again)
                assert session["history"][-1] == {"role": "agent", "text": "Yes, still here!", "agent": "human"}
                await desk.send_json({"type": "message", "session_id": sid, "text": "And you are back."})
                assert (await recv_until(again, "message"))["text"] == "And you are back."

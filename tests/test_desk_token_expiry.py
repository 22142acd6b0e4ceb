"""An open desk socket ends with its operator token (red team R4): a leaked token that opened a socket
used to give take / read / write access for as long as the socket stayed open.

Real server and database; operators with tokens of a few seconds, every kind of desk frame tried after
expiry, and the handoff table read back: nothing was taken on an expired token.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from callcenter.runtime import Runtime
from callcenter.store.desk import DeskStore
from callcenter.store.operators import OperatorStore
from callcenter.web.operator_auth import issue_operator_token
from tests.desk_helpers import (
    customer_asks_for_person,
    customer_token,
    desk_hello,
    desk_secret,
    operator_token,
    recv_until,
    wait_in_queue,
)

Client = TestClient  # type: ignore[type-arg]
TTL_S = 2


async def _short_token(runtime: Runtime, role: str = "supervisor") -> tuple[str, int]:
    """(token, its expiry second) of a fresh operator whose token lives about TTL_S seconds."""
    op = await OperatorStore(runtime.pool).add(f"op-short-{time.monotonic_ns()}", role)
    token = issue_operator_token(op.id, desk_secret(runtime), ttl_seconds=TTL_S)
    return token, int(token.split(".")[2])


async def _after_expiry(desk: aiohttp.ClientWebSocketResponse, frame: dict[str, Any], until: int) -> list[str]:
    """Send `frame` once the token's second has passed; every frame type seen until the server closes."""
    await asyncio.sleep(max(0.0, until - time.time()) + 0.05)
    await desk.send_json(frame)
    seen: list[str] = []
    async for msg in desk:
        if msg.type == aiohttp.WSMsgType.TEXT:
            data = msg.json()
            seen.append(data.get("code", data["type"]))
    return seen


async def test_every_desk_frame_after_expiry_gets_expired_token_and_the_socket_closes(
    client: Client, runtime: Runtime
) -> None:
    secret = desk_secret(runtime)
    async with client.ws_connect("/v1/chat") as customer, client.ws_connect("/v1/desk") as watcher:
        await desk_hello(watcher, await operator_token(runtime))
        sid = await customer_asks_for_person(customer, customer_token(secret, 6))
        handoff_id = (await wait_in_queue(watcher, sid))["handoff_id"]

    frames: list[dict[str, Any]] = [
        {"type": "take", "handoff_id": handoff_id},
        {"type": "queue"},
        {"type": "watch", "session_id": sid},
        {"type": "message", "session_id": sid, "text": "hello from the office"},
        {"type": "release", "session_id": sid, "note": "x"},
        {"type": "close", "session_id": sid},
        {"type": "unwatch", "session_id": sid},
        {"type": "take", "handoff_id": handoff_id, "extra": [1, 2]},
    ]

    async def one(frame: dict[str, Any]) -> tuple[list[str], int | None]:
        token, until = await _short_token(runtime)
        async with client.ws_connect("/v1/desk") as desk:
            await desk_hello(desk, token)
            await desk.send_json({"type": "ping"})  # before expiry all is well
            await recv_until(desk, "pong")
            seen = await _after_expiry(desk, frame, until)
            return seen, desk.close_code

    results = await asyncio.gather(*(one(f) for f in frames))
    for frame, (seen, code) in zip(frames, results, strict=True):
        assert seen and seen[-1] == "expired_token", (frame, seen)
        assert not {"taken", "watching", "sent", "released", "closed"} & set(seen), (frame, seen)
        assert code == 4401, (frame, code)
    assert await DeskStore(runtime.pool).holder(sid) is None  # nobody took it on an expired token


async def test_an_idle_desk_socket_is_closed_at_expiry_and_stops_receiving(client: Client, runtime: Runtime) -> None:
    token, until = await _short_token(runtime, "agent")
    async with client.ws_connect("/v1/desk") as desk:
        await desk_hello(desk, token)
        seen: list[str] = []
        async for msg in desk:  # nothing sent: the server closes by itself at the expiry second
            if msg.type == aiohttp.WSMsgType.TEXT:
                data = msg.json()
                seen.append(data.get("code", data["type"]))
        closed_at = time.time()
        assert seen[-1] == "expired_token" and desk.close_code == 4401
        assert until <= closed_at < until + 3, (until, closed_at)


async def test_a_fresh_hello_before_expiry_keeps_the_socket(client: Client, runtime: Runtime) -> None:
    token, until = await _short_token(runtime)
    async with client.ws_connect("/v1/desk") as desk:
        await desk_hello(desk, token)
        await desk.send_json({"type": "hello", "token": await operator_token(runtime, "supervisor")})
        await recv_until(desk, "desk")
        await asyncio.sleep(max(0.0, until - time.time()) + 0.3)
        await desk.send_json({"type": "queue"})
        assert (await recv_until(desk, "queue"))["type"] == "queue"
        assert not desk.closed

"""Helpers for desk tests: operators with tokens, customer and desk sockets, waiting for frames, and a
chat that an operator holds (the set-up of every test of what happens while a person has the session)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import asyncpg

from callcenter.runtime import Runtime
from callcenter.store.operators import OperatorStore
from callcenter.web.auth import issue_token
from callcenter.web.operator_auth import issue_operator_token

ASK_FOR_PERSON = "I want to talk to a real person please"


async def new_operator(pool: asyncpg.Pool, secret: str, role: str = "agent") -> tuple[str, str]:
    """(name, token) of a fresh operator."""
    name = f"op-{role}-{uuid.uuid4().hex[:8]}"
    op = await OperatorStore(pool).add(name, role)
    return name, issue_operator_token(op.id, secret, ttl_seconds=600)


def desk_secret(runtime: Runtime) -> str:
    """The product's signing secret: operator and customer tokens are issued with it."""
    return runtime.settings.secret.get_secret_value()


async def operator_token(runtime: Runtime, role: str = "agent") -> str:
    """The token of a fresh operator of `role` on `runtime`'s database."""
    _, token = await new_operator(runtime.pool, desk_secret(runtime), role)
    return token


def customer_token(secret: str, customer_id: int) -> str:
    return issue_token(customer_id, secret, ttl_seconds=600)


async def recv(ws: aiohttp.ClientWebSocketResponse, wait_s: float = 30) -> dict[str, Any]:
    data: dict[str, Any] = await ws.receive_json(timeout=wait_s)
    return data


async def recv_until(
    ws: aiohttp.ClientWebSocketResponse, kind: str, wait_s: float = 30, **match: Any
) -> dict[str, Any]:
    """The next frame of `type` kind (and matching fields), skipping others (queue pushes, deltas)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        frame = await recv(ws, max(0.1, deadline - loop.time()))
        if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame


async def say(ws: aiohttp.ClientWebSocketResponse, text: str) -> dict[str, Any]:
    """A customer message; the final frame (message, received or error), skipping deltas and pushes."""
    await ws.send_json({"type": "message", "text": text})
    while True:
        frame = await recv(ws)
        if frame["type"] in ("received", "error") or (frame["type"] == "message" and frame.get("role") != "agent"):
            return frame


async def customer_asks_for_person(ws: aiohttp.ClientWebSocketResponse, token: str | None) -> str:
    """Open a chat session and ask for a person; the session id (a human handoff now waits)."""
    await ws.send_json({"type": "hello", **({"token": token} if token else {})})
    session = await recv(ws)
    assert session["type"] == "session", session
    reply = await say(ws, ASK_FOR_PERSON)
    assert reply["type"] == "message" and reply["handoff"] is True, reply
    return str(session["session_id"])


async def desk_hello(ws: aiohttp.ClientWebSocketResponse, token: str) -> dict[str, Any]:
    await ws.send_json({"type": "hello", "token": token})
    return await recv_until(ws, "desk")


def entry_for(queue: list[dict[str, Any]], session_id: str) -> dict[str, Any] | None:
    """The session's queue entry: a row of its own, or one of its resident's `others` (one row per resident)."""
    return next((e for h in queue for e in (h, *h.get("others", ())) if e["session_id"] == session_id), None)


async def wait_in_queue(ws: aiohttp.ClientWebSocketResponse, session_id: str, wait_s: float = 30) -> dict[str, Any]:
    """Wait for a queue push that lists the session; its entry."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        frame = await recv_until(ws, "queue", max(0.1, deadline - loop.time()))
        entry = entry_for(frame["queue"], session_id)
        if entry is not None:
            return entry


async def take(desk: aiohttp.ClientWebSocketResponse, session_id: str) -> dict[str, Any]:
    """Wait until the session is in the desk's queue and take it; its queue entry (the take answered `taken`)."""
    entry = await wait_in_queue(desk, session_id)
    await desk.send_json({"type": "take", "handoff_id": entry["handoff_id"]})
    await recv_until(desk, "taken")
    return entry


async def held_chat(
    runtime: Runtime,
    customer: aiohttp.ClientWebSocketResponse,
    desk: aiohttp.ClientWebSocketResponse,
    customer_id: int,
) -> str:
    """A fresh operator opens `desk`, resident `customer_id` asks for a person on `customer` and the
    operator takes the chat; its session id (the person holds it now)."""
    await desk_hello(desk, await operator_token(runtime))
    sid = await customer_asks_for_person(customer, customer_token(desk_secret(runtime), customer_id))
    await take(desk, sid)
    return sid

"""Nothing lost when a node dies: recovery, per-session order and resends, as clients meet them.

Two "nodes" here are two orchestrators (each its own TurnKeeper and node id) on one real
database, the second behind a real websocket server. A node "dies" by raising a BaseException
out of its turn after the tools committed: the turn stays pending with that node's lease, as
it would after kill -9 (bench/load.py does the real kill -9).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.orchestrator import Orchestrator
from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.specialists.seam import OnDelta, SpecialistBackend, SpecialistResult, SpecialistTurn
from callcenter.web.auth import issue_token
from callcenter.web.server import create_app


class NodeDied(BaseException):
    """Stands for the process vanishing: nothing after the raise runs, no handler catches it."""


class DiesAfterTools:
    """Runs the real specialist (its tools commit), then the node dies before the reply is stored."""

    name = "dies"

    def __init__(self, inner: SpecialistBackend) -> None:
        self.inner = inner

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult:
        await self.inner.run(turn, on_delta)
        raise NodeDied


class Slow:
    name = "slow"

    def __init__(self, inner: SpecialistBackend, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult:
        await asyncio.sleep(self.seconds)
        return await self.inner.run(turn, on_delta)


@pytest.fixture(scope="module")
async def node_b(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    rt = await build_runtime(test_settings.model_copy(), dsn=seeded_dsn, run_migrations=False)
    yield rt
    await rt.close()


@pytest.fixture(scope="module")
def client_a(client: TestClient) -> TestClient:  # type: ignore[type-arg]
    """Node A is the run's runtime, served by conftest's client."""
    return client


@pytest.fixture(scope="module")
async def client_b(node_b: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(create_app(node_b))) as c:
        yield c


def dying_node(runtime: Runtime, lease_s: float = 0.5) -> Orchestrator:
    orch = runtime.orchestrator
    settings = orch.settings.model_copy(update={"turn_lease_s": lease_s})
    return Orchestrator(
        app=orch.app, store=orch.store, router=orch.router, backend=DiesAfterTools(orch.backend), settings=settings
    )


def token(runtime: Runtime, customer_id: int) -> str:
    return issue_token(customer_id, runtime.settings.secret.get_secret_value(), ttl_seconds=600)


async def final_frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=60)
        if frame["type"] not in ("delta", "pong"):
            return frame


async def counts(runtime: Runtime, session_id: str) -> dict[str, int]:
    row = await runtime.pool.fetchrow(
        """SELECT (SELECT count(*) FROM messages WHERE session_id=$1 AND role='user') AS users,
                  (SELECT count(*) FROM messages WHERE session_id=$1 AND role='assistant') AS replies,
                  (SELECT count(*) FROM turns WHERE session_id=$1 AND outcome='pending') AS pending""",
        uuid.UUID(session_id),
    )
    assert row is not None
    return dict(row)


async def test_resent_yes_after_a_crash_reports_the_booking_and_never_says_slot_taken(
    runtime: Runtime,
    client_b: TestClient,  # type: ignore[type-arg]
) -> None:
    orch = runtime.orchestrator
    customer = 11
    session = await orch.open_session(channel="chat", customer_id=customer)
    for text in ("my bathroom sink is clogged", "tomorrow after 1pm", "the first one"):
        await orch.handle_turn(session.id, text)
    booked = "SELECT count(*) FROM appointments WHERE customer_id=$1 AND status='booked'"
    before = await runtime.pool.fetchval(booked, customer)
    with pytest.raises(NodeDied):
        await dying_node(runtime).handle_turn(session.id, "yes", client_id="c-yes")
    assert await runtime.pool.fetchval(booked, customer) == before + 1  # the booking committed, no reply

    async with client_b.ws_connect("/v1/chat") as ws:  # the client reconnects to another node and resends
        await ws.send_json({"type": "hello", "token": token(runtime, customer), "session_id": session.id})
        assert (await final_frame(ws))["type"] == "session"
        await ws.send_json({"type": "message", "text": "yes", "client_id": "c-yes"})
        frame = await final_frame(ws)
        assert frame["type"] == "message" and frame["client_id"] == "c-yes", frame
        assert "taken" not in frame["text"] and "#" in frame["text"], frame["text"]
        await ws.send_json({"type": "message", "text": "yes", "client_id": "c-yes"})  # and once more
        again = await final_frame(ws)
        assert again["text"] == frame["text"]
    assert await runtime.pool.fetchval(booked, customer) == before + 1
    assert await counts(runtime, session.id) == {"users": 4, "replies": 4, "pending": 0}


async def test_a_dead_nodes_turn_is_answered_by_the_sweeper_without_any_client(runtime: Runtime) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="chat", customer_id=None)
    with pytest.raises(NodeDied):
        await dying_node(runtime, lease_s=0.3).handle_turn(session.id, "what are your office hours?")
    assert (await counts(runtime, session.id))["pending"] == 1
    sweeper = Orchestrator(
        app=orch.app,
        store=orch.store,
        router=orch.router,
        backend=orch.backend,
        settings=orch.settings.model_copy(update={"sweep_interval_s": 0.1}),
    )
    sweeper.keeper.start(sweeper.finish_pending)
    try:
        for _ in range(100):
            if (await counts(runtime, session.id))["pending"] == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        await sweeper.keeper.stop()
    assert await counts(runtime, session.id) == {"users": 1, "replies": 1, "pending": 0}


async def test_a_turns_agent_change_and_reads_are_stored_once_with_its_reply_even_after_a_crash(
    runtime: Runtime,
) -> None:
    """The handoff and the read-only tool calls ride in the reply's statement; a re-run stores them once."""
    orch = runtime.orchestrator
    session = await orch.open_session(channel="chat", customer_id=7)
    records = """SELECT (SELECT count(*) FROM handoffs WHERE session_id=$1 AND kind='agent') AS handoffs,
                        (SELECT count(*) FROM tool_calls WHERE session_id=$1) AS tools,
                        (SELECT count(*) FROM tool_calls c WHERE session_id=$1 AND NOT EXISTS
                            (SELECT 1 FROM turns t WHERE t.id = c.turn_id AND t.outcome <> 'pending')) AS orphans"""
    with pytest.raises(NodeDied):  # died before its reply: the handoff and the read went nowhere
        await dying_node(runtime, lease_s=0.3).handle_turn(session.id, "can I have a cat?", client_id="cat")
    sid = uuid.UUID(session.id)
    assert dict(await runtime.pool.fetchrow(records, sid) or {}) == {"handoffs": 0, "tools": 0, "orphans": 0}
    await asyncio.sleep(0.4)  # the lease lapses; the resend (or the sweeper, first) finishes the turn
    result = await orch.handle_turn(session.id, "can I have a cat?", client_id="cat")
    assert "cat" in result.text.lower(), result
    stored = dict(await runtime.pool.fetchrow(records, sid) or {})
    assert stored["handoffs"] == 1 and stored["tools"] >= 1 and stored["orphans"] == 0, stored
    again = await orch.handle_turn(session.id, "can I have a cat?", client_id="cat")  # the same resend again
    assert again.text == result.text
    assert dict(await runtime.pool.fetchrow(records, sid) or {}) == stored


@pytest.mark.parametrize("messages_per_socket", [3])  # harden: more than 3 waiting per socket get rate_limited
async def test_two_sockets_on_two_nodes_sending_into_one_session_are_all_answered(
    runtime: Runtime,
    client_a: TestClient,
    client_b: TestClient,
    messages_per_socket: int,  # type: ignore[type-arg]
) -> None:
    session = await runtime.orchestrator.open_session(channel="chat", customer_id=12)
    questions = [
        "what are your office hours?",
        "is there a package room?",
        "can I have a pet?",
        "where do I park?",
        "how do I reach the office?",
        "when is trash day?",
    ]

    async def tab(client: TestClient, tag: str) -> list[dict[str, Any]]:  # type: ignore[type-arg]
        async with client.ws_connect("/v1/chat") as ws:
            await ws.send_json({"type": "hello", "token": token(runtime, 12), "session_id": session.id})
            assert (await final_frame(ws))["type"] == "session"
            for i in range(messages_per_socket):  # all sent at once, answered in order
                await ws.send_json({"type": "message", "text": questions[i % len(questions)], "client_id": f"{tag}{i}"})
            return [await final_frame(ws) for _ in range(messages_per_socket)]

    a, b = await asyncio.gather(tab(client_a, "a"), tab(client_b, "b"))
    frames = a + b
    assert [f["type"] for f in frames] == ["message"] * len(frames), frames
    assert sorted(f["client_id"] for f in frames) == sorted(
        [f"a{i}" for i in range(messages_per_socket)] + [f"b{i}" for i in range(messages_per_socket)]
    )
    total = 2 * messages_per_socket
    assert await counts(runtime, session.id) == {"users": total, "replies": total, "pending": 0}


async def test_pings_are_answered_while_a_long_turn_runs(
    runtime: Runtime,
    client_a: TestClient,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    orch = runtime.orchestrator
    monkeypatch.setattr(orch, "backend", Slow(orch.backend, 1.5))
    async with client_a.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "hello"})
        assert (await ws.receive_json(timeout=30))["type"] == "session"
        await ws.send_json({"type": "message", "text": "what are your office hours?"})
        await asyncio.sleep(0.2)
        await ws.send_json({"type": "ping"})
        first = await ws.receive_json(timeout=1.0)  # long before the turn's 1.5 s are up
        assert first == {"type": "pong"}
        assert (await final_frame(ws))["type"] == "message"


async def test_a_message_racing_a_running_turn_gets_busy_with_retry_after_then_an_answer(
    runtime: Runtime,
    client_a: TestClient,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    orch = runtime.orchestrator
    monkeypatch.setattr(orch.settings, "session_wait_s", 0.0)
    monkeypatch.setattr(orch, "backend", Slow(orch.backend, 1.0))
    async with client_a.ws_connect("/v1/chat") as first, client_a.ws_connect("/v1/chat") as second:
        await first.send_json({"type": "hello"})
        sid = (await first.receive_json(timeout=30))["session_id"]
        await first.send_json({"type": "message", "text": "what are your office hours?", "client_id": "x1"})
        await asyncio.sleep(0.3)  # the session's row exists now; its first turn is running
        await second.send_json({"type": "hello", "session_id": sid})
        assert (await final_frame(second))["type"] == "session"
        await second.send_json({"type": "message", "text": "can I have a cat?", "client_id": "y1"})
        busy = await final_frame(second)
        assert busy["type"] == "error" and busy["code"] == "busy" and busy["client_id"] == "y1", busy
        assert 0 < busy["retry_after_s"] <= 2
        assert (await final_frame(first))["client_id"] == "x1"
        await second.send_json({"type": "message", "text": "can I have a cat?", "client_id": "y1"})
        answered = await final_frame(second)
        assert answered["type"] == "message" and answered["client_id"] == "y1"
    assert await counts(runtime, sid) == {"users": 2, "replies": 2, "pending": 0}


async def test_a_saturated_node_answers_busy_and_readyz_503_until_its_turns_finish(
    runtime: Runtime,
    client_a: TestClient,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    """Backpressure: past `max_active_turns` a node refuses at once (a load balancer's probe sees
    503 and sends traffic elsewhere), and takes work again as soon as its turns finish."""
    orch = runtime.orchestrator
    monkeypatch.setattr(orch.settings, "max_active_turns", 2)
    monkeypatch.setattr(orch, "backend", Slow(orch.backend, 1.5))
    async with (
        client_a.ws_connect("/v1/chat") as a,
        client_a.ws_connect("/v1/chat") as b,
        client_a.ws_connect("/v1/chat") as c,
    ):
        for ws in (a, b, c):
            await ws.send_json({"type": "hello"})
            assert (await final_frame(ws))["type"] == "session"
        for ws, cid in ((a, "a1"), (b, "b1")):
            await ws.send_json({"type": "message", "text": "what are your office hours?", "client_id": cid})
        await asyncio.sleep(0.3)  # both turns admitted and running: the node is full
        ready = await client_a.get("/readyz")
        assert ready.status == 503 and await ready.json() == {
            "database": "ok",
            "turns": "saturated",
            "status": "not_ready",
        }
        await c.send_json({"type": "message", "text": "can I have a cat?", "client_id": "c1"})
        busy = await final_frame(c)
        assert busy["type"] == "error" and busy["code"] == "busy" and busy["client_id"] == "c1", busy
        assert 0 < busy["retry_after_s"] <= 2
        assert (await final_frame(a))["client_id"] == "a1" and (await final_frame(b))["client_id"] == "b1"
        assert (await client_a.get("/readyz")).status == 200
        await asyncio.sleep(busy["retry_after_s"])
        await c.send_json({"type": "message", "text": "can I have a cat?", "client_id": "c1"})
        answered = await final_frame(c)
        assert answered["type"] == "message" and answered["client_id"] == "c1"

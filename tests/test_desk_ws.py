"""The agent desk websocket on one server: take, reply, hold the bot, release, close, watch, errors."""

from __future__ import annotations

import asyncio
import uuid

from aiohttp.test_utils import TestClient, TestServer

from callcenter.runtime import Runtime
from callcenter.web.server import create_app
from tests.desk_helpers import (
    customer_asks_for_person,
    customer_token,
    desk_hello,
    desk_secret,
    entry_for,
    new_operator,
    recv,
    recv_until,
    say,
    take,
    wait_in_queue,
)


async def test_operator_takes_replies_holds_the_bot_and_releases(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    secret = desk_secret(runtime)
    name, token = await new_operator(runtime.pool, secret)
    async with client.ws_connect("/v1/chat") as customer, client.ws_connect("/v1/desk") as desk:
        hello = await desk_hello(desk, token)
        assert hello["operator"] == {"name": name, "role": "agent"}
        sid = await customer_asks_for_person(customer, customer_token(secret, 2))
        entry = await wait_in_queue(desk, sid)
        assert entry["customer"] and entry["channel"] == "chat" and entry["waiting_s"] >= 0
        assert set(entry) == {
            "handoff_id",
            "session_id",
            "priority",
            "queue",
            "summary",
            "waiting_s",
            "customer",
            "channel",
            "language",
            "waiting",
            "others",
        }
        assert entry["language"] is None  # an English conversation: the business's own language

        await desk.send_json({"type": "take", "handoff_id": entry["handoff_id"]})
        taken = await recv_until(desk, "taken")
        assert taken["session_id"] == sid and [m["role"] for m in taken["history"]][:2] == ["user", "assistant"]

        await desk.send_json({"type": "message", "session_id": sid, "text": "Hi, this is Sam from the office."})
        sent = await recv_until(desk, "sent")
        pushed = await recv_until(customer, "message")
        assert pushed == {
            "type": "message",
            "role": "agent",
            "agent": "human",
            "operator": name,
            "text": "Hi, this is Sam from the office.",
            "session_id": sid,
            "handoff": False,
            "client_id": None,
        }
        stored = await runtime.pool.fetchrow("SELECT role, agent, text FROM messages WHERE id=$1", sent["message_id"])
        assert dict(stored) == {"role": "agent", "agent": "human", "text": "Hi, this is Sam from the office."}

        turns_before = await runtime.pool.fetchval("SELECT count(*) FROM turns WHERE session_id=$1", uuid.UUID(sid))
        ack = await say(customer, "my kitchen sink leaks, can you book a plumber")
        assert ack["type"] == "received", ack  # the bot did not answer
        relayed = await recv_until(desk, "customer_message")
        assert relayed["session_id"] == sid and relayed["text"] == "my kitchen sink leaks, can you book a plumber"
        assert (
            await runtime.pool.fetchval("SELECT count(*) FROM turns WHERE session_id=$1", uuid.UUID(sid))
            == turns_before
        )

        await desk.send_json({"type": "release", "session_id": sid, "note": "Wants a plumber for the kitchen sink."})
        assert (await recv_until(desk, "released"))["session_id"] == sid
        reply = await say(customer, "so when can the plumber come?")
        assert reply["type"] == "message" and reply["role"] == "assistant", reply  # the bot answers again
        state = await runtime.pool.fetchval("SELECT state FROM sessions WHERE id=$1", uuid.UUID(sid))
        assert state["operator_note"] == "Wants a plumber for the kitchen sink."


async def test_two_operators_racing_for_one_handoff_give_one_winner(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    secret = desk_secret(runtime)
    for _ in range(3):
        (_, t1), (_, t2) = await new_operator(runtime.pool, secret), await new_operator(runtime.pool, secret)
        async with (
            client.ws_connect("/v1/chat") as customer,
            client.ws_connect("/v1/desk") as d1,
            client.ws_connect("/v1/desk") as d2,
        ):
            await desk_hello(d1, t1)
            await desk_hello(d2, t2)
            sid = await customer_asks_for_person(customer, None)
            entry = await wait_in_queue(d1, sid)
            frame = {"type": "take", "handoff_id": entry["handoff_id"]}
            await asyncio.gather(d1.send_json(frame), d2.send_json(frame))

            async def outcome(ws: object) -> dict[str, object]:
                while True:
                    f = await recv(ws)  # type: ignore[arg-type]
                    if f["type"] in ("taken", "error"):
                        return f

            results = await asyncio.gather(outcome(d1), outcome(d2))
            kinds = sorted(r["type"] if r["type"] == "taken" else r["code"] for r in results)  # type: ignore[misc]
            assert kinds == ["already_taken", "taken"], results
            await d2.send_json({"type": "queue"})
            assert entry_for((await recv_until(d2, "queue"))["queue"], sid) is None


async def test_only_the_holder_may_write_release_or_close(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    secret = desk_secret(runtime)
    (_, holder), (_, other) = await new_operator(runtime.pool, secret), await new_operator(runtime.pool, secret)
    async with (
        client.ws_connect("/v1/chat") as customer,
        client.ws_connect("/v1/desk") as d1,
        client.ws_connect("/v1/desk") as d2,
    ):
        await desk_hello(d1, holder)
        await desk_hello(d2, other)
        sid = await customer_asks_for_person(customer, customer_token(secret, 3))
        entry = await take(d1, sid)
        for frame in (
            {"type": "message", "session_id": sid, "text": "hello"},
            {"type": "release", "session_id": sid},
            {"type": "close", "session_id": sid},
        ):
            await d2.send_json(frame)
            err = await recv_until(d2, "error")
            assert err["code"] == "not_holding", (frame, err)
        await d2.send_json({"type": "take", "handoff_id": entry["handoff_id"]})
        assert (await recv_until(d2, "error"))["code"] == "already_taken"
        await d2.send_json({"type": "take", "handoff_id": 2**40})
        assert (await recv_until(d2, "error"))["code"] == "unknown_handoff"
        await d2.send_json({"type": "watch", "session_id": sid})
        assert (await recv_until(d2, "error"))["code"] == "forbidden"

        ticket = await runtime.pool.fetchval(
            "SELECT (context->>'ticket_id')::bigint FROM handoffs WHERE id=$1", entry["handoff_id"]
        )
        assert await runtime.pool.fetchval("SELECT status FROM tickets WHERE id=$1", ticket) == "in_progress"
        await d1.send_json({"type": "close", "session_id": sid, "resolution": "Plumber booked by phone."})
        closed = await recv_until(d1, "closed")
        assert closed["handoffs"] >= 1
        assert await runtime.pool.fetchval("SELECT status FROM tickets WHERE id=$1", ticket) == "closed"
        row = await runtime.pool.fetchrow("SELECT status, resolution FROM handoffs WHERE id=$1", entry["handoff_id"])
        assert dict(row) == {"status": "closed", "resolution": "Plumber booked by phone."}


async def test_supervisor_watches_a_session_live(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    secret = desk_secret(runtime)
    _, sup = await new_operator(runtime.pool, secret, role="supervisor")
    async with client.ws_connect("/v1/chat") as customer, client.ws_connect("/v1/desk") as desk:
        await desk_hello(desk, sup)
        await customer.send_json({"type": "hello", "token": customer_token(secret, 4)})
        sid = (await recv(customer))["session_id"]
        # A session's row is written with its first message (docs/security.md): watch after it.
        await say(customer, "can I have a cat?")
        await desk.send_json({"type": "watch", "session_id": sid})
        assert [m["role"] for m in (await recv_until(desk, "watching"))["history"]] == ["user", "assistant"]
        await say(customer, "what are the office hours?")
        seen = [await recv_until(desk, "event", session_id=sid) for _ in range(2)]
        assert [e["message"]["role"] for e in seen] == ["user", "assistant"]
        await desk.send_json({"type": "watch", "session_id": str(uuid.uuid4())})
        assert (await recv_until(desk, "error"))["code"] == "unknown_session"


async def test_bad_tokens_and_frames_get_precise_errors_and_the_socket_stays_open(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    secret = desk_secret(runtime)
    async with client.ws_connect("/v1/desk") as desk:
        cases = [
            ({"type": "take", "handoff_id": 1}, "hello_required"),
            ({"type": "hello", "token": customer_token(secret, 1)}, "invalid_token"),
            ({"type": "hello", "token": "op1.1.99999999999.forged"}, "invalid_token"),
            ({"type": "hello", "token": "op1.1.1.x"}, "invalid_token"),
            ({"type": "nope"}, "unknown_type"),
            ({"type": "take", "handoff_id": "one"}, "bad_frame"),
        ]
        for frame, code in cases:
            await desk.send_json(frame)
            got = await recv(desk)
            assert got["type"] == "error" and got["code"] == code, (frame, got)
        await desk.send_str("{not json")
        assert (await recv(desk))["code"] == "bad_json"
        await desk.send_json({"type": "ping"})
        assert (await recv(desk))["type"] == "pong"


async def test_a_disabled_operator_is_refused_at_once(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    from callcenter.store.operators import OperatorStore

    name, token = await new_operator(runtime.pool, desk_secret(runtime))
    async with client.ws_connect("/v1/desk") as desk:
        await desk_hello(desk, token)
        await OperatorStore(runtime.pool).set_disabled(name)
        await desk.send_json({"type": "queue"})
        assert (await recv_until(desk, "error"))["code"] == "invalid_token"
        await desk.send_json({"type": "hello", "token": token})
        assert (await recv_until(desk, "error"))["code"] == "invalid_token"


async def test_a_flood_of_frames_is_rate_limited(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    burst = runtime.settings.desk_rate_burst
    async with client.ws_connect("/v1/desk") as desk:
        for _ in range(burst * 2):
            await desk.send_json({"type": "ping"})
        frames = [await recv(desk) for _ in range(burst * 2)]
        limited = [f for f in frames if f.get("code") == "rate_limited"]
        assert len(limited) >= burst // 2 and frames[0]["type"] == "pong"
        await asyncio.sleep(1.0)
        await desk.send_json({"type": "ping"})
        assert (await recv(desk))["type"] == "pong"


async def test_hostile_frames_get_errors_and_the_desk_keeps_working(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    import json
    import random

    _, token = await new_operator(runtime.pool, desk_secret(runtime))
    rng = random.Random(7)
    hostile: list[str | bytes] = [
        json.dumps({"type": "message", "session_id": "x", "text": "a\u0000b"}),
        json.dumps({"type": "take", "handoff_id": -1}),
        json.dumps({"type": "take", "handoff_id": 2**70}),
        json.dumps({"type": "release", "session_id": "'; DROP TABLE sessions; --"}),
        json.dumps({"type": "close", "session_id": "a" * 65}),
        json.dumps({"type": "message", "session_id": str(uuid.uuid4()), "text": "x" * 10_001}),
        json.dumps({"type": "message", "session_id": str(uuid.uuid4()), "text": "   "}),
        json.dumps([{"type": "ping"}]),
        "x" * 70_000,
        b"\xff\xfe\x00",
        json.dumps({"type": {"nested": True}}),
    ]
    hostile += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) for _ in range(10)]
    budget = runtime.settings.rate_bad_frames_per_min  # past it the socket is closed (test_ws_abuse.py)
    for start in range(0, len(hostile), budget):
        async with client.ws_connect("/v1/desk") as desk:
            await desk_hello(desk, token)
            for raw in hostile[start : start + budget]:
                await (desk.send_bytes(raw) if isinstance(raw, bytes) else desk.send_str(raw))
                got = await recv(desk)
                assert got["type"] == "error" and got["code"] != "internal_error", (raw[:80], got)
            await desk.send_json({"type": "queue"})
            assert (await recv_until(desk, "queue"))["type"] == "queue"
    assert await runtime.pool.fetchval("SELECT to_regclass('sessions')::text") == "sessions"


async def test_shutdown_closes_desk_sockets_with_service_restart(runtime: Runtime) -> None:
    from aiohttp import WSMsgType

    from callcenter.shutdown import install_drain

    app = create_app(runtime)
    drain = install_drain(app, 2.0)
    _, token = await new_operator(runtime.pool, desk_secret(runtime))
    async with TestClient(TestServer(app)) as c, c.ws_connect("/v1/desk") as desk:
        await desk_hello(desk, token)
        await drain.drain()
        closing = await desk.receive(timeout=10)
        assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED) and desk.close_code == 1012

"""The web chat websocket end to end: real server, real database, offline backend."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from callcenter.runtime import Runtime
from callcenter.tooling.executor import TurnTools
from callcenter.web.auth import issue_token


def _token(runtime: Runtime, customer_id: int, ttl: int = 600) -> str:
    return issue_token(customer_id, runtime.settings.secret.get_secret_value(), ttl_seconds=ttl)


async def _recv(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    data: dict[str, Any] = await ws.receive_json(timeout=30)
    return data


async def _say(ws: aiohttp.ClientWebSocketResponse, text: str) -> tuple[dict[str, Any], str]:
    """Send a message; collect deltas until the final frame (message or error)."""
    await ws.send_json({"type": "message", "text": text})
    deltas = ""
    while True:
        frame = await _recv(ws)
        if frame["type"] == "delta":
            deltas += frame["text"]
            continue
        return frame, deltas


async def _hello(ws: aiohttp.ClientWebSocketResponse, **fields: Any) -> dict[str, Any]:
    await ws.send_json({"type": "hello", **fields})
    return await _recv(ws)


async def test_booking_conversation_books_a_visit(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws, token=_token(runtime, 1))
        assert session["type"] == "session" and session["customer"] == "Alex Rivera"
        frame, deltas = await _say(ws, "Hi, my kitchen sink leaks")
        assert frame["type"] == "message" and frame["agent"] == "booking"
        assert deltas == frame["text"]
        before = await runtime.pool.fetchval("SELECT count(*) FROM appointments WHERE customer_id=1")
        replies = [frame["text"]]
        for text in ("tomorrow after 1pm", "the first one", "yes"):
            frame, _ = await _say(ws, text)
            assert frame["type"] == "message", frame
            replies.append(frame["text"])
            if "appointment" in frame["text"].lower() and "#" in frame["text"]:
                break
        after = await runtime.pool.fetchval("SELECT count(*) FROM appointments WHERE customer_id=1 AND status='booked'")
        assert after == before + 1, replies
        sid = uuid.UUID(session["session_id"])
        assert (
            await runtime.pool.fetchval("SELECT count(*) FROM handoffs WHERE session_id=$1 AND to_agent='booking'", sid)
            == 1
        )
        assert await runtime.pool.fetchval("SELECT count(*) FROM messages WHERE session_id=$1", sid) == 2 * len(replies)


async def test_gas_smell_hands_off_urgently_on_first_turn(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws)  # anonymous: emergencies never wait for sign-in
        frame, _ = await _say(ws, "I smell gas in my kitchen")
        assert frame["agent"] == "escalation" and frame["handoff"] is True
        row = await runtime.pool.fetchrow(
            "SELECT priority, queue, kind FROM handoffs WHERE session_id=$1 AND kind='human'",
            uuid.UUID(session["session_id"]),
        )
        assert row is not None and row["priority"] == "urgent" and row["queue"] == "emergency"


async def test_payment_writes_once_even_when_the_tool_call_is_replayed(
    client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws, token=_token(runtime, 1))
        sid = session["session_id"]
        frame, _ = await _say(ws, "I'd like to pay $50 toward my balance")
        assert frame["agent"] == "billing"
        frame, _ = await _say(ws, "yes")
        assert "50.00" in frame["text"], frame["text"]
    call = await runtime.pool.fetchrow(
        "SELECT idempotency_key, arguments, result FROM tool_calls WHERE session_id=$1 AND tool='pay_balance'",
        uuid.UUID(sid),
    )
    assert call is not None
    payments = "SELECT count(*) FROM payments WHERE idempotency_key LIKE $1 || '%'"
    assert await runtime.pool.fetchval(payments, call["idempotency_key"]) == 1
    replay = TurnTools(
        pool=runtime.pool,
        tools=runtime.app.tools,
        session_id=sid,
        turn_id=None,
        customer_id=1,
        agent="billing",
        now=runtime.orchestrator._clock(),
        max_calls=4,
    )
    again = await replay.call("pay_balance", call["arguments"], idempotency_key=call["idempotency_key"])
    assert again == call["result"]
    assert await runtime.pool.fetchval(payments, call["idempotency_key"]) == 1


async def test_resume_replays_history_and_guards_ownership(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws, token=_token(runtime, 2))
        await _say(ws, "what are your office hours?")
    async with client.ws_connect("/v1/chat") as ws:
        resumed = await _hello(ws, token=_token(runtime, 2), session_id=session["session_id"])
        assert resumed["resumed"] is True
        assert [m["role"] for m in resumed["history"]] == ["user", "assistant"]
        assert resumed["history"][0]["text"] == "what are your office hours?"
        other = await _hello(ws, token=_token(runtime, 3), session_id=session["session_id"])
        assert other == {"type": "error", "code": "session_forbidden", "message": other["message"]}


@pytest.mark.parametrize(
    ("send", "code"),
    [
        ("not json at all", "bad_json"),
        ('{"type":"shout"}', "unknown_type"),
        ('{"type":"message","text":42}', "bad_frame"),
    ],
)
async def test_malformed_frames_get_error_frames_and_the_socket_stays_usable(
    client: TestClient,
    send: str,
    code: str,  # type: ignore[type-arg]
) -> None:
    async with client.ws_connect("/v1/chat") as ws:
        await _hello(ws)
        await ws.send_str(send)
        frame = await _recv(ws)
        assert frame["type"] == "error" and frame["code"] == code and frame["message"]
        reply, _ = await _say(ws, "hello there")
        assert reply["type"] == "message"


async def test_message_errors(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    async with client.ws_connect("/v1/chat") as ws:
        frame, _ = await _say(ws, "hi")
        assert frame["code"] == "hello_required"
        bad = await _hello(ws, token="v1.1.99999999999.forged")
        assert bad["code"] == "invalid_token"
        expired = await _hello(ws, token=_token(runtime, 1, ttl=-10))
        assert expired["code"] == "expired_token"
        ghost = await _hello(ws, session_id=str(uuid.uuid4()))
        assert ghost["code"] == "session_not_found"
        session = await _hello(ws)
        frame, _ = await _say(ws, "   ")
        assert frame["code"] == "empty_message"
        frame, _ = await _say(ws, "x" * (runtime.settings.max_message_chars + 1))
        assert frame["code"] == "message_too_long"
        frame, _ = await _say(ws, "thanks!")
        assert frame["type"] == "message"
        stored = await runtime.pool.fetchval(
            "SELECT count(*) FROM messages WHERE session_id=$1", uuid.UUID(session["session_id"])
        )
        assert stored == 2  # only the valid turn and its reply


async def test_health_and_demo_residents(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/healthz")
    assert resp.status == 200 and (await resp.json())["status"] == "ok"
    residents = (await (await client.get("/v1/demo/residents")).json())["residents"]
    assert residents[0]["name"] == "Alex Rivera" and residents[0]["token"].startswith("v1.1.")


async def test_session_survives_lost_database_connections(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    """Every pooled connection is killed between turns, as a database restart would."""
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws, token=_token(runtime, 4))
        await _say(ws, "what are your office hours?")
        async with runtime.pool.acquire() as conn:
            killed = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        assert killed >= 0
        frame, _ = await _say(ws, "is there a package room?")
        assert frame["type"] == "message", frame
        texts = await runtime.pool.fetch(
            "SELECT text FROM messages WHERE session_id=$1 AND role='user' ORDER BY seq",
            uuid.UUID(session["session_id"]),
        )
        assert [r["text"] for r in texts] == ["what are your office hours?", "is there a package room?"]


async def test_only_chat_sessions_resume_and_never_under_another_name(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    """Red-team F15: a phone call's session id (it travels to Twilio in handoffData) resumed on the chat
    showed the call's transcript and the bot answered inside the closed call record; a signed-in
    customer resuming an anonymous session was shown as its customer while the session stayed anonymous."""
    store = runtime.store
    others: list[tuple[str, int | None]] = []
    for channel in ("voice", "voice_transcript", "terminal"):
        for owner in (None, 4):
            sid = (await store.create_session(channel=channel, customer_id=owner)).id
            await store.store_held_message(sid, "my card is on file, what do I owe")
            others.append((sid, owner))
    async with client.ws_connect("/v1/chat") as ws:
        for sid, owner in others:
            for spelled in (sid, sid.upper()):
                frame = await _hello(ws, token=_token(runtime, owner), session_id=spelled) if owner else None
                for got in [f for f in (frame, await _hello(ws, session_id=spelled)) if f is not None]:
                    assert got["type"] == "error" and got["code"] in ("session_wrong_channel", "session_forbidden")
                    assert "history" not in got and "my card" not in str(got)
                if owner:  # its own customer gets the precise code
                    assert frame is not None and frame["code"] == "session_wrong_channel", frame
        anonymous = await _hello(ws)
        await _say(ws, "what are your office hours?")
        for customer in (2, 3):  # signed-in resumers of an anonymous conversation are refused, whoever they are
            refused = await _hello(ws, token=_token(runtime, customer), session_id=anonymous["session_id"])
            assert refused["type"] == "error" and refused["code"] == "session_anonymous", refused
            assert "customer" not in refused and "history" not in refused
        again = await _hello(ws, session_id=anonymous["session_id"])  # anonymous, it resumes as before
        assert again["resumed"] is True and again["customer"] is None and len(again["history"]) == 2
    sid = uuid.UUID(anonymous["session_id"])
    assert await runtime.pool.fetchval("SELECT customer_id FROM sessions WHERE id=$1", sid) is None


async def test_an_open_socket_stops_acting_for_the_customer_when_the_token_expires(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    """Red-team F18: with `--ttl 4`, 7 s later the open socket still answered "what is my balance"."""
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws, token=_token(runtime, 1, ttl=2))
        sid = uuid.UUID(session["session_id"])
        frame, _ = await _say(ws, "what are your office hours?")  # in time: answered
        assert frame["type"] == "message"
        await asyncio.sleep(2.2)
        for text in ("what is my balance", "How much do I owe?", "pay it all now", "yes"):
            await ws.send_json({"type": "message", "text": text, "client_id": text})
            late = await _recv(ws)
            assert late["type"] == "error" and late["code"] == "expired_token" and late["client_id"] == text, late
        assert await runtime.pool.fetchval("SELECT count(*) FROM messages WHERE session_id=$1", sid) == 2
        again = await _hello(ws, token=_token(runtime, 1), session_id=session["session_id"])  # sign in again
        assert again["resumed"] is True and again["customer"] == "Alex Rivera"
        frame, _ = await _say(ws, "what is my balance")
        assert frame["type"] == "message" and "$" in frame["text"], frame

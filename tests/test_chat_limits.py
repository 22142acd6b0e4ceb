"""Abuse limits on the chat and desk websockets, as an attacker meets them: floods, session storms,
foreign pages, idle sockets, hostile frames. A real server on the real database, with a deployment's limits."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.runtime import RUNTIME_KEY, Runtime
from callcenter.web.auth import issue_token
from callcenter.web.operator_auth import issue_operator_token
from callcenter.web.server import create_app
from tests.conftest import TEST_SECRET
from tests.desk_helpers import new_operator

Client = TestClient  # type: ignore[type-arg]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
async def make_client(runtime: Runtime) -> AsyncIterator[MakeClient]:
    """A server with the default (deployment) limits, optionally overridden; each test gets its own."""
    clients: list[Client] = []

    async def make(**limits: Any) -> Client:
        defaults = type(runtime.settings).model_fields
        update = {
            name: defaults[name].default
            for name in (
                "rate_messages_per_min",
                "rate_sessions_per_min",
                "rate_hellos_per_socket_per_min",
                "resume_history_max_bytes",
                "max_connections_per_address",
                "turn_queue_max",
                "hello_timeout_s",
                "allowed_origins",
                "rate_bad_frames_per_min",
            )
        }
        settings = runtime.settings.model_copy(update={**update, **limits})
        client = TestClient(TestServer(create_app(dataclasses.replace(runtime, settings=settings))))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for c in clients:
        await c.close()


async def _hello(ws: aiohttp.ClientWebSocketResponse, **fields: Any) -> dict[str, Any]:
    await ws.send_json({"type": "hello", **fields})
    frame: dict[str, Any] = await ws.receive_json(timeout=30)
    return frame


async def _finals(
    ws: aiohttp.ClientWebSocketResponse, count: int, kinds: tuple[str, ...] = ("message", "error")
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < count:
        frame = await ws.receive_json(timeout=60)
        if frame["type"] in kinds:
            out.append(frame)
    return out


async def test_a_pipelined_flood_is_mostly_rate_limited_and_opens_one_ticket(
    make_client: MakeClient, runtime: Runtime
) -> None:
    client = await make_client()
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws)
        for i in range(200):
            await ws.send_json({"type": "message", "text": "I smell gas", "client_id": str(i)})
        finals = await _finals(ws, 200)  # every message gets exactly one final frame
        limited = [f for f in finals if f.get("code") == "rate_limited"]
        assert len(limited) >= 170 and all(f["retry_after_s"] > 0 for f in limited)
        assert not [f for f in finals if f.get("code") == "internal_error"]
        assert sorted(int(f["client_id"]) for f in finals) == list(range(200))
        await ws.send_json({"type": "ping"})  # still usable
        assert (await ws.receive_json(timeout=10))["type"] == "pong"
    sid = uuid.UUID(session["session_id"])
    assert await runtime.pool.fetchval("SELECT count(*) FROM tickets WHERE session_id=$1", sid) == 1
    assert await runtime.pool.fetchval("SELECT count(*) FROM handoffs WHERE session_id=$1 AND kind='human'", sid) == 1


async def test_rapid_new_sessions_from_one_address_are_mostly_refused(
    make_client: MakeClient, runtime: Runtime
) -> None:
    client = await make_client(rate_hellos_per_socket_per_min=1_000)  # the address's budget, not the socket's
    before = await runtime.pool.fetchval("SELECT count(*) FROM sessions")
    opened = refused = 0
    async with client.ws_connect("/v1/chat") as ws:
        for _ in range(60):
            frame = await _hello(ws)
            if frame["type"] == "session":
                opened += 1
            else:
                assert frame["code"] == "rate_limited" and frame["retry_after_s"] > 0
                refused += 1
    assert opened == 20 and refused == 40
    # Saying hello writes nothing: a session row comes with the first message.
    assert await runtime.pool.fetchval("SELECT count(*) FROM sessions") == before


async def _long_session(runtime: Runtime, messages: int, chars: int) -> str:
    """An anonymous chat session holding `messages` customer messages of `chars` characters each."""
    sid = (await runtime.store.create_session(channel="chat", customer_id=None)).id
    for i in range(messages):
        await runtime.store.store_held_message(sid, f"{i:04d} " + "é" * (chars - 5))
    return sid


async def test_resume_hellos_are_budgeted_and_their_history_bounded(make_client: MakeClient, runtime: Runtime) -> None:
    """Red-team F20: 60-byte resume hellos made the server send 100 KB-2 MB of history each (103 MB in
    9 s). Now every hello counts per socket and per address, and a resumed history is bounded by bytes."""
    client = await make_client()
    defaults = type(runtime.settings).model_fields
    cap = defaults["resume_history_max_bytes"].default
    per_socket = defaults["rate_hellos_per_socket_per_min"].default
    per_address = defaults["rate_sessions_per_min"].default
    sid = await _long_session(runtime, 60, 9_000)  # ~60 x 54 KB as JSON (é is \u00e9)
    got = {"session": 0, "rate_limited": 0}
    received = 0
    sockets = [await client.ws_connect("/v1/chat") for _ in range(5)]
    for ws in sockets:
        for _ in range(per_socket + 5):  # each socket goes over its own budget
            await ws.send_json({"type": "hello", "session_id": sid})
            msg = await ws.receive(timeout=30)
            received += len(msg.data)
            frame = json.loads(msg.data)
            if frame["type"] == "session":
                got["session"] += 1
                assert frame["history_truncated"] is True and frame["history"][-1]["text"].startswith("0059 ")
                assert [int(m["text"][:4]) for m in frame["history"]] == list(range(60 - len(frame["history"]), 60))
            else:
                assert frame["code"] == "rate_limited" and frame["retry_after_s"] > 0, frame
                got["rate_limited"] += 1
    for ws in sockets:
        await ws.close()
    assert got["session"] == per_address and got["rate_limited"] == 5 * (per_socket + 5) - per_address
    assert received < per_address * (cap + 2_000) + 10_000  # was ~3.2 MB per hello here
    short = await _long_session(runtime, 3, 20)
    fresh = await make_client(resume_history_max_bytes=1024)  # another server, fresh budgets
    async with fresh.ws_connect("/v1/chat") as ws:
        frame = await _hello(ws, session_id=short)
        assert len(frame["history"]) == 3 and "history_truncated" not in frame  # a short history comes whole
        huge = await _hello(ws, session_id=await _long_session(runtime, 1, 10_000))
        assert len(huge["history"]) == 1  # the newest message is always sent, even over the cap


async def test_a_session_row_is_written_with_the_first_message(make_client: MakeClient, runtime: Runtime) -> None:
    client = await make_client()
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws, token=issue_token(1, TEST_SECRET, ttl_seconds=60))
        sid = uuid.UUID(session["session_id"])
        assert await runtime.pool.fetchval("SELECT count(*) FROM sessions WHERE id=$1", sid) == 0
        await ws.send_json({"type": "message", "text": "what are your office hours?"})
        assert (await _finals(ws, 1))[0]["type"] == "message"
        assert await runtime.pool.fetchval("SELECT customer_id FROM sessions WHERE id=$1", sid) == 1
        again = await _hello(ws, token=issue_token(1, TEST_SECRET, ttl_seconds=60), session_id=str(sid))
        assert again["resumed"] and len(again["history"]) == 2


async def test_foreign_origins_are_refused(make_client: MakeClient) -> None:
    client = await make_client(allowed_origins="https://www.example.com, http://localhost:3000")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with client.ws_connect("/v1/chat", headers={"Origin": "https://evil.example"}):
            pass
    assert refused.value.status == 403
    own = f"http://{client.host}:{client.port}"
    for origin in (own, "https://www.example.com", "http://localhost:3000", None):
        headers = {"Origin": origin} if origin else {}
        async with client.ws_connect("/v1/chat", headers=headers) as ws:
            assert (await _hello(ws))["type"] == "session", origin


async def test_a_connection_without_hello_is_closed(make_client: MakeClient) -> None:
    client = await make_client(hello_timeout_s=0.5)
    async with client.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "ping"})  # pings do not keep it open
        assert (await ws.receive_json(timeout=5))["type"] == "pong"
        frame = await ws.receive_json(timeout=5)
        assert frame["code"] == "hello_timeout"
        assert (await ws.receive(timeout=5)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    async with client.ws_connect("/v1/chat") as ws:  # after hello no timeout applies
        await _hello(ws)
        await asyncio.sleep(0.8)
        await ws.send_json({"type": "ping"})
        assert (await ws.receive_json(timeout=5))["type"] == "pong"


async def test_connections_per_address_are_capped(make_client: MakeClient) -> None:
    client = await make_client(max_connections_per_address=3)
    sockets = [await client.ws_connect("/v1/chat") for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/v1/chat")
    assert refused.value.status == 429
    await sockets[0].close()
    await asyncio.sleep(0.1)
    fourth = await client.ws_connect("/v1/chat")
    for ws in [*sockets[1:], fourth]:
        await ws.close()


async def _closed_for_hello_timeout(ws: aiohttp.ClientWebSocketResponse, wait_s: float) -> bool:
    """True when the server said hello_timeout and closed the socket within wait_s (other frames skipped)."""
    loop = asyncio.get_running_loop()
    deadline, told = loop.time() + wait_s, False
    while (left := deadline - loop.time()) > 0:
        msg = await ws.receive(timeout=left)
        if msg.type == aiohttp.WSMsgType.TEXT:
            told = told or json.loads(msg.data).get("code") == "hello_timeout"
        elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return told and ws.close_code == 4408
    return False


async def test_desk_sockets_per_address_are_capped_like_the_chat(make_client: MakeClient) -> None:
    """Red-team F9: 500 idle desk sockets from one address were all held. Now the chat's cap applies,
    counted apart from the chat's (customers behind an office's address do not lock its operators out)."""
    client = await make_client()
    cap = type(client.server.app[RUNTIME_KEY].settings).model_fields["max_connections_per_address"].default
    chats = [await client.ws_connect("/v1/chat") for _ in range(cap)]  # the chat's share, used up
    desks = [await client.ws_connect("/v1/desk") for _ in range(cap)]
    for _ in range(5):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/v1/desk")
        assert refused.value.status == 429
    await desks[0].close()
    await asyncio.sleep(0.1)
    desks[0] = await client.ws_connect("/v1/desk")  # a closed socket gives its place back
    for ws in [*chats, *desks]:
        await ws.close()


async def test_a_desk_socket_without_a_good_hello_is_closed(make_client: MakeClient, runtime: Runtime) -> None:
    """Red-team F9: unauthenticated desk sockets answered pings for 45 s. Now whatever such a socket
    sends (nothing, pings, bad or customer tokens, junk), it is closed at the hello timeout."""
    client = await make_client(hello_timeout_s=0.6)
    secret = runtime.settings.secret.get_secret_value()
    rng = random.Random(9)
    tries: list[list[str]] = [
        [],
        ['{"type":"ping"}'] * 3,
        ['{"type":"hello","token":"op1.1.99999999999.forged"}'],
        ['{"type":"hello","token":"' + issue_token(1, secret, ttl_seconds=60) + '"}'],  # a customer's token
        ['{"type":"hello","token":"' + issue_operator_token(1, secret, ttl_seconds=0) + '"}'],  # expired
        ['{"type":"queue"}', '{"type":"take","handoff_id":1}', "not json", "[" * 500],
        *[[rng.choice(['{"type":"ping"}', '{"type":"hello"}', "{}", "\u0000"]) for _ in range(4)] for _ in range(3)],
    ]
    for frames in tries:
        async with client.ws_connect("/v1/desk") as ws:
            for frame in frames:
                await ws.send_str(frame)
            assert await _closed_for_hello_timeout(ws, 5.0), frames
    _, name_token = await new_operator(runtime.pool, secret)
    async with client.ws_connect("/v1/desk") as ws:  # an operator who said hello stays as long as they like
        await ws.send_json({"type": "hello", "token": name_token})
        await asyncio.sleep(1.0)
        await ws.send_json({"type": "ping"})
        kinds = set()
        while "pong" not in kinds:
            kinds.add((await ws.receive_json(timeout=5))["type"])
        assert "error" not in kinds and "desk" in kinds


def _hostile_frames(rng: random.Random) -> list[str | bytes]:
    """The inputs of the issue's fuzz run, and random variations on them."""
    token = issue_token(1, TEST_SECRET, ttl_seconds=60)
    fixed: list[str | bytes] = [
        "[" * 20_000 + "]" * 20_000,
        '{"type":"message","text":' + "[" * 20_000 + "]" * 20_000 + "}",
        '{"type":"hello","token":' + "9" * 5000 + "}",
        '{"type":"message","text":"a","client_id":' + "9" * 5000 + "}",
        '{"type":"message","text":"hi\\u0000there"}',
        '{"type":"message","text":"\\ud800 lone surrogate"}',
        '{"type":"hello","token":"' + token[:-3] + '\u00e9\u00e9\u00e9"}',
        '{"type":"hello","token":"v1.' + "9" * 300 + '.99999999999.abc"}',
        '{"type":"hello","session_id":"\\u0000"}',
        '{"type":"message","text":"' + "\u00e9" * 40_000 + '"}',
        b"\xff\xfe\x00",
        b'{"type":"message","text":"caf\xc3"}',
        "\u0000",
        "",
        "null",
        '{"type":[]}',
        '{"type":"ping","x":1e999999}',
        '{"type":"message","text":"x","client_id":"\\ud800"}',
    ]
    pieces = [
        '{"type":"message","text":',
        '{"type":"hello","token":',
        '"\\u0000"',
        '"\\udc00"',
        "1" * 4400,
        "[" * 3000,
        "{",
        "}",
        '"',
        "\\",
        "\u00e9",
        "\ud7ff",
        "null",
        "true",
        ",",
        ":",
        '"type"',
    ]
    randoms = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(60)]
    return [*fixed, *randoms]


async def test_hostile_frames_get_precise_codes_never_internal_error(
    make_client: MakeClient, runtime: Runtime, capfd: pytest.CaptureFixture[str]
) -> None:
    client = await make_client(rate_messages_per_min=1_000, turn_queue_max=1_000, rate_bad_frames_per_min=1_000)
    codes: dict[str, int] = {}
    async with client.ws_connect("/v1/chat") as ws:
        session = await _hello(ws, token=issue_token(1, TEST_SECRET, ttl_seconds=60))
        for frame in _hostile_frames(random.Random(8)):
            await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
            reply = (await _finals(ws, 1, ("message", "error", "pong", "session")))[0]
            key = reply.get("code", reply["type"])
            codes[key] = codes.get(key, 0) + 1
        await ws.send_json({"type": "ping"})
        assert (await ws.receive_json(timeout=10))["type"] == "pong"
    assert "internal_error" not in codes, codes
    assert codes.get("bad_json", 0) >= 5 and codes.get("frame_too_large", 0) >= 1 and codes.get("invalid_token")
    stored = await runtime.pool.fetch(
        "SELECT text FROM messages WHERE session_id=$1 AND role='user'", uuid.UUID(session["session_id"])
    )
    assert all("\x00" not in r["text"] and "\ud800" not in r["text"] for r in stored)
    assert "Traceback" not in capfd.readouterr().err


async def test_pings_are_answered_while_a_turn_runs(make_client: MakeClient) -> None:
    client = await make_client()
    async with client.ws_connect("/v1/chat") as ws:
        await _hello(ws)
        await ws.send_str(json.dumps({"type": "message", "text": "what are your office hours? " * 300}))
        await ws.send_json({"type": "ping"})
        kinds = []
        while "message" not in kinds:
            kinds.append((await ws.receive_json(timeout=30))["type"])
        assert "pong" in kinds


def _long_messages(rng: random.Random, count: int) -> list[str]:
    """Long pastes in the red team's costliest shapes (R6), 2,000 to 10,000 characters."""
    shapes = ["a ", "a-", "1,2,", "ssn social security number ", "monday after 1pm ", "my sink leaks again "]
    out = []
    for _ in range(count):
        shape = rng.choice(shapes)
        out.append((shape * 5000)[: rng.randint(2_000, 10_000)].strip() or "a")
    return out


async def test_long_messages_weigh_more_per_session_and_per_address(make_client: MakeClient, runtime: Runtime) -> None:
    """Red team R6: one address's long pastes over many sockets stalled other residents. A long message now
    counts 1 + 1 per 500 characters read (5 at 2,000): 6 per session and 24 per address a minute by default."""
    client = await make_client(trusted_proxies="127.0.0.1", rate_messages_per_address_per_min=120)
    rng = random.Random(6)
    attacker = {"X-Forwarded-For": "198.51.100.7"}
    async with client.ws_connect("/v1/chat", headers=attacker) as ws:  # one session: 30 / 5 = 6 long messages
        await _hello(ws)
        codes = []
        for text in _long_messages(rng, 7):
            await ws.send_json({"type": "message", "text": text})
            final = (await _finals(ws, 1))[0]
            codes.append(final.get("code", final["type"]))
        assert codes == ["message"] * 6 + ["rate_limited"], codes
    sockets = [await client.ws_connect("/v1/chat", headers=attacker) for _ in range(4)]
    try:  # the address has 120 - 30 = 90 left: 18 long messages, whatever the sockets
        for ws in sockets:
            await _hello(ws)
        answered: dict[str, int] = {}
        for text in _long_messages(rng, 24):
            ws = rng.choice(sockets)
            await ws.send_json({"type": "message", "text": text})
            final = (await _finals(ws, 1))[0]
            key = final.get("code", final["type"])
            answered[key] = answered.get(key, 0) + 1
            if key == "rate_limited":
                assert "address" in final["message"] or "too fast" in final["message"], final
        assert answered.get("message") == 18 and answered.get("rate_limited") == 6, answered
        async with client.ws_connect("/v1/chat", headers={"X-Forwarded-For": "203.0.113.9"}) as resident:
            await _hello(resident)
            await resident.send_json({"type": "message", "text": "what are your office hours?"})
            assert (await _finals(resident, 1))[0]["type"] == "message"  # another address is not affected
        async with client.ws_connect("/v1/chat", headers=attacker) as ws:  # a short one costs 1: still in budget?
            await _hello(ws)
            await ws.send_json({"type": "message", "text": "hi"})
            assert (await _finals(ws, 1))[0].get("code") == "rate_limited"  # no: 120 spent
    finally:
        for ws in sockets:
            await ws.close()

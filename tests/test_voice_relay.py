"""The ConversationRelay websocket end to end: real server, real database, offline backend."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from relay_caller import RELAY, recv, reply, say, setup

from callcenter.channels.voice_protocol import speakable, twilio_signature
from callcenter.orchestrator import chunk_text
from callcenter.runtime import RUNTIME_KEY, Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.shutdown import DRAIN_KEY
from callcenter.specialists.seam import FlowBackend, OnDelta, SpecialistResult, SpecialistTurn
from callcenter.web.auth import issue_token
from callcenter.web.server import create_app


class SlowStreamingBackend:
    """The offline flows, streamed slowly like a model would, so a caller can talk over the reply.

    Like any backend that streams, it verifies the reply before the first delta.
    """

    name = "slow-local"

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult:
        state_before = dict(turn.state)
        result = await FlowBackend().run(turn)
        if on_delta is not None and result.human is None:
            result.verdict = turn.verify(result.text, [*result.tool_results, result.state, state_before])
            if result.verdict.ok:
                for piece in chunk_text(result.text, size=8):
                    await on_delta(piece)
                    await asyncio.sleep(0.03)
        return result


@pytest.fixture(scope="module")
async def slow_client(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    rt = await build_runtime(test_settings, dsn=seeded_dsn, backend=SlowStreamingBackend())
    try:
        async with TestClient(TestServer(create_app(rt))) as c:
            yield c
    finally:
        await rt.close()


def _token(runtime: Runtime, customer_id: int) -> str:
    return issue_token(customer_id, runtime.settings.secret.get_secret_value(), ttl_seconds=600)


async def _session(runtime: Runtime, call_sid: str) -> Any:
    return await runtime.pool.fetchrow(
        "SELECT id, customer_id, channel, status FROM sessions WHERE channel='voice' AND external_id=$1", call_sid
    )


async def _assistant_texts(runtime: Runtime, session_id: uuid.UUID) -> list[str]:
    rows = await runtime.pool.fetch(
        "SELECT text FROM messages WHERE session_id=$1 AND role='assistant' ORDER BY seq", session_id
    )
    return [r["text"] for r in rows]


async def test_verified_caller_books_a_visit_by_voice(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    call_sid = "CA" + uuid.uuid4().hex
    before = await runtime.pool.fetchval("SELECT count(*) FROM appointments WHERE customer_id=1 AND status='booked'")
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, token=_token(runtime, 1))
        heard = [await say(ws, "my kitchen sink leaks")]
        heard.append(await say(ws, "tomorrow after 1pm"))
        await ws.send_json({"type": "dtmf", "digit": "1"})  # "press 1" picks the first option
        heard.append((await reply(ws))[0])
        for _ in range(3):
            if "number" in heard[-1] and "appointment" in heard[-1].lower():
                break
            heard.append(await say(ws, "yes"))
    after = await runtime.pool.fetchval("SELECT count(*) FROM appointments WHERE customer_id=1 AND status='booked'")
    assert after == before + 1, heard
    session = await _session(runtime, call_sid)
    assert session is not None and session["customer_id"] == 1
    stored = await _assistant_texts(runtime, session["id"])
    assert heard == [speakable(t) for t in stored]  # the caller hears every stored reply, speech-friendly
    assert any("\n" in t for t in stored)  # the options list was a numbered list in the stored reply ...
    assert all("\n" not in h and "1)" not in h for h in heard)  # ... and sentences on the phone
    assert "Option 1:" in heard[1]


async def test_gas_smell_ends_the_relay_with_handoff_data(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid)  # anonymous: emergencies never wait for sign-in
        heard = await say(ws, "I smell gas in my kitchen")
        end = await recv(ws)
        assert heard and end["type"] == "end"
        data = json.loads(end["handoffData"])
        session = await _session(runtime, call_sid)
        assert session is not None and session["status"] == "human"
        assert data["session_id"] == str(session["id"]) and data["call_sid"] == call_sid
        assert data["queue"] == "emergency" and data["priority"] == "urgent" and data["reason"]
        assert data["customer_id"] is None
        row = await runtime.pool.fetchrow(
            "SELECT id, priority, queue FROM handoffs WHERE session_id=$1 AND kind='human'", session["id"]
        )
        assert row is not None and row["priority"] == "urgent" and row["queue"] == "emergency"
        assert data["handoff_id"] == row["id"] and isinstance(data["ticket_id"], int)
        # The relay is over: further prompts are ignored rather than answered.
        await ws.send_json({"type": "prompt", "voicePrompt": "hello?", "last": True})
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive_json(timeout=0.5)


async def test_caller_id_match_is_not_a_verified_identity(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    phone = await runtime.pool.fetchval("SELECT phone FROM customers WHERE id=1")
    e164 = "+" + "".join(c for c in phone if c.isdigit())  # how Twilio spells the same number
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, from_=e164)
        heard = await say(ws, "what is my current balance?")
        assert "PIN" in heard and "balance" not in heard.lower(), heard  # a matching number alone opens nothing
        heard = await say(ws, "there is smoke coming from the outlet")  # still reaches a person, PIN or not
        end = await recv(ws)
    assert end["type"] == "end"
    data = json.loads(end["handoffData"])
    assert data["customer_id"] is None and data["caller_id_match"] == {"customer_id": 1, "verified": False}
    session = await _session(runtime, call_sid)
    assert session is not None and session["customer_id"] is None


async def test_bad_token_is_treated_as_an_unverified_caller(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, token="v1.1.99999999999.forged")
        heard = await say(ws, "what is my current balance?")
    assert "unit number" in heard.lower()  # an unknown number is asked who they are, nothing is read out
    session = await _session(runtime, call_sid)
    assert session is not None and session["customer_id"] is None


@pytest.mark.parametrize(
    "bad",
    [
        "not json at all",
        '{"type":"prompt"}',
        '{"type":"prompt","voicePrompt":{"a":1}}',
        '{"type":"shout","text":"unknown types are ignored"}',
        '{"type":"error","description":"Invalid message received"}',
        '{"type":"dtmf","digit":"#"}',
        '{"type":"prompt","voicePrompt":"partial wor","last":false}',
        '{"type":"interrupt","utteranceUntilInterrupt":"","durationUntilInterruptMs":5}',
    ],
)
async def test_malformed_or_ignorable_messages_leave_the_call_usable(
    client: TestClient,
    runtime: Runtime,
    bad: str,  # type: ignore[type-arg]
) -> None:
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid)
        await ws.send_str(bad)
        heard = await say(ws, "what are your office hours?")  # the very next frame is this reply
        assert heard
    session = await _session(runtime, call_sid)
    rows = await runtime.pool.fetch("SELECT role, text FROM messages WHERE session_id=$1 ORDER BY seq", session["id"])
    assert [(r["role"], r["text"]) for r in rows][0] == ("user", "what are your office hours?")
    assert len(rows) == 2  # nothing from the bad message was stored


async def test_prompt_before_setup_is_still_answered_and_stored(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    async with client.ws_connect(RELAY) as ws:
        heard = await say(ws, "what are your office hours?")
    assert heard


async def test_interrupt_silences_the_reply_but_stores_it_whole(
    slow_client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    call_sid = "CA" + uuid.uuid4().hex
    async with slow_client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, token=_token(runtime, 5))
        await say(ws, "my bathroom faucet drips")
        await ws.send_json({"type": "prompt", "voicePrompt": "tomorrow after 1pm", "last": True})
        first = await recv(ws)
        assert first["type"] == "text" and first["last"] is False
        await ws.send_json(
            {"type": "interrupt", "utteranceUntilInterrupt": first["token"][:10], "durationUntilInterruptMs": 300}
        )
        rest, frames = await reply(ws)
        assert frames[-1] == {"type": "text", "token": "", "last": True, "interruptible": True}
        heard = first["token"] + rest
        # The caller talks on; the next turn streams normally.
        answer = await say(ws, "what are your office hours?")
        assert answer
    session = await _session(runtime, call_sid)
    stored = await _assistant_texts(runtime, session["id"])
    assert len(stored) == 3
    full = speakable(stored[1])
    assert full.startswith(heard) and len(heard) < len(full)  # cut short on the phone, whole in the record


async def test_new_prompt_while_streaming_supersedes_the_old_reply(
    slow_client: TestClient,
    runtime: Runtime,  # type: ignore[type-arg]
) -> None:
    call_sid = "CA" + uuid.uuid4().hex
    async with slow_client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, token=_token(runtime, 6))
        await say(ws, "the light switch in my bedroom is broken")
        await ws.send_json({"type": "prompt", "voicePrompt": "tomorrow after 1pm", "last": True})
        first = await recv(ws)
        assert first["last"] is False
        await ws.send_json({"type": "prompt", "voicePrompt": "actually what are your office hours?", "last": True})
        _, old = await reply(ws)
        assert old[-1]["token"] == "" and old[-1]["last"] is True  # the superseded reply is closed
        new, _ = await reply(ws)
    session = await _session(runtime, call_sid)
    rows = await runtime.pool.fetch("SELECT role, text FROM messages WHERE session_id=$1 ORDER BY seq", session["id"])
    assert [r["role"] for r in rows] == ["user", "assistant"] * 3
    assert rows[4]["text"] == "actually what are your office hours?"
    assert new == speakable(rows[5]["text"])


async def test_twilio_signature_is_required_when_configured(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twilio-test-token")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with client.ws_connect(RELAY):
            pass
    assert refused.value.status == 403
    url = client.make_url(RELAY)
    forged = twilio_signature("wrong-token", f"ws://{url.host}:{url.port}{RELAY}")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with client.ws_connect(RELAY, headers={"X-Twilio-Signature": forged}):
            pass
    assert refused.value.status == 403
    signed = twilio_signature("twilio-test-token", f"ws://{url.host}:{url.port}{RELAY}")
    async with client.ws_connect(RELAY, headers={"X-Twilio-Signature": signed}) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex)
        assert await say(ws, "what are your office hours?")
    # Behind a TLS proxy Twilio signs the public wss:// URL; the proxy's headers count only from a trusted proxy.
    public = twilio_signature("twilio-test-token", f"wss://voice.example.com{RELAY}")
    headers = {"X-Twilio-Signature": public, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "voice.example.com"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with client.ws_connect(RELAY, headers=headers):
            pass
    assert refused.value.status == 403
    monkeypatch.setattr(client.server.app[RUNTIME_KEY].settings, "trusted_proxies", "127.0.0.1")
    async with client.ws_connect(RELAY, headers=headers) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex)
        assert await say(ws, "what are your office hours?")


async def test_a_prompt_flood_then_hang_up_is_bounded(client: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    """2,000 prompts and an immediate hang-up: a handful are answered and stored, one ticket at most."""
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid)
        for _ in range(2000):
            await ws.send_json({"type": "prompt", "voicePrompt": "I smell gas", "lang": "en-US", "last": True})
    sid = None
    for _ in range(100):  # the relay finishes what it kept after the hang-up
        await asyncio.sleep(0.1)
        sid = await runtime.pool.fetchval("SELECT id FROM sessions WHERE channel='voice' AND external_id=$1", call_sid)
        if (
            sid
            and await runtime.pool.fetchval(
                "SELECT count(*) FROM turns WHERE session_id=$1 AND finished_at IS NULL", sid
            )
            == 0
        ):
            break
    await asyncio.sleep(0.5)
    settings = runtime.settings
    stored = await runtime.pool.fetchval("SELECT count(*) FROM messages WHERE session_id=$1 AND role='user'", sid)
    assert 1 <= stored <= 1 + settings.relay_queue_max + settings.relay_after_hangup_max
    assert await runtime.pool.fetchval("SELECT count(*) FROM tickets WHERE session_id=$1", sid) <= 1


async def test_restart_lets_the_callers_turn_finish_then_ends_the_relay_cleanly(
    seeded_dsn: str, test_settings: Settings
) -> None:
    """SIGTERM mid-call (the server's graceful shutdown): the reply being spoken completes, then the relay
    session is ended with an `end` message (Twilio carries on with the TwiML after <Connect>) and a 1012 close."""
    rt = await build_runtime(test_settings, dsn=seeded_dsn, backend=SlowStreamingBackend())
    client = TestClient(TestServer(create_app(rt)))
    await client.start_server()
    try:
        async with client.ws_connect(RELAY) as ws:
            await setup(ws, "CA" + uuid.uuid4().hex, token=_token(rt, 7))
            await ws.send_json({"type": "prompt", "voicePrompt": "what are your office hours?", "last": True})
            drain = client.server.app[DRAIN_KEY]
            for _ in range(600):  # until the worker has taken the turn: it is in flight when the restart begins
                if drain.in_flight:
                    break
                await asyncio.sleep(0.01)
            assert drain.in_flight == 1
            stopping = asyncio.create_task(client.server.close())  # the server stops; the caller stays
            heard, _ = await reply(ws)
            end = await recv(ws)
            closed = await ws.receive(timeout=30)
            await stopping
        assert heard.strip()
        assert end["type"] == "end" and json.loads(end["handoffData"])["reason"] == "service_restart"
        assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 1012
    finally:
        await client.close()
        await rt.close()

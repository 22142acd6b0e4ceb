"""A Spanish caller on a live call: the voice switches to Spanish before the reply, the handoff says so."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from aiohttp.test_utils import TestClient
from relay_caller import RELAY, recv, reply, say, setup

from callcenter.runtime import Runtime


async def _speak(ws: Any, text: str) -> tuple[list[dict[str, Any]], str]:
    """Frames before the reply's text (a language switch, if any), and what the caller hears."""
    await ws.send_json({"type": "prompt", "voicePrompt": text, "lang": "es-US", "last": True})
    before: list[dict[str, Any]] = []
    while (frame := await recv(ws))["type"] != "text":
        before.append(frame)
    heard = frame["token"]
    if not frame["last"]:
        rest, _ = await reply(ws)
        heard += rest
    return before, heard


async def _handoff_twiml(client: TestClient, call_sid: str, data: str) -> ET.Element:  # type: ignore[type-arg]
    form = {"CallSid": call_sid, "SessionStatus": "ended", "HandoffData": data}
    resp = await client.post("/v1/voice/handoff", data=form)
    assert resp.status == 200
    return ET.fromstring(await resp.text())


async def test_a_spanish_gas_call_switches_the_voice_and_hands_over_in_spanish(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid)
        before, heard = await _speak(ws, "huele a gas en la cocina")
        assert before == [{"type": "language", "ttsLanguage": "es-US", "transcriptionLanguage": "es-US"}]
        assert "Salga de su casa" in heard and "911" in heard
        end = await recv(ws)
    data = json.loads(end["handoffData"])
    assert end["type"] == "end" and data["queue"] == "emergency" and data["language"] == "es"
    twiml = await _handoff_twiml(client, call_sid, end["handoffData"])
    spoken = twiml.find("Say")
    assert spoken is not None and spoken.get("language") == "es-US" and "emergencias" in (spoken.text or "")


async def test_a_spanish_request_goes_to_the_spanish_queue_by_phone(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid)
        before, heard = await _speak(ws, "quiero hablar con una persona por favor")
        assert before and before[0]["ttsLanguage"] == "es-US" and "español" in heard
        end = await recv(ws)
    data = json.loads(end["handoffData"])
    assert data["queue"] == "spanish" and data["language"] == "es"
    twiml = await _handoff_twiml(client, call_sid, end["handoffData"])
    assert (twiml.findtext("Enqueue") or "").strip() == "spanish"
    assert "habla español" in (twiml.findtext("Say") or "")


async def test_an_english_caller_with_a_spanish_street_keeps_the_english_voice(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex)
        heard = await say(ws, "what are the office hours at Paseo de la Playa, gracias")
        assert heard  # answered, and no language frame came first (say() asserts every frame is text)


async def test_a_posted_spanish_call_with_a_gas_smell_is_an_emergency(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
) -> None:
    payload = {
        "call_id": "call-" + uuid.uuid4().hex,
        "turns": [
            {"speaker": "agent", "text": "Maple Property, ¿en qué le puedo ayudar?"},
            {"speaker": "customer", "text": "buenas, es que huele mucho a gas en el pasillo del tercer piso"},
            {"speaker": "agent", "text": "Salga del edificio, ya avisamos al equipo de emergencias."},
        ],
    }
    resp = await client.post("/v1/voice/transcripts", json=payload)
    body = await resp.json()
    assert resp.status == 201, body
    assert body["emergency"] is True and body["priority"] == "urgent" and isinstance(body["handoff_id"], int)
    queue = await runtime.pool.fetchval("SELECT queue FROM handoffs WHERE id=$1", body["handoff_id"])
    assert queue == "emergency" and "speaks Spanish" in body["summary"]
    language = await runtime.pool.fetchval("SELECT language FROM sessions WHERE id=$1", uuid.UUID(body["session_id"]))
    assert language == "es"

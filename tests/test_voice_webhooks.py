"""Twilio's Voice webhooks as Twilio sends them: signed form posts answered with TwiML.

Requests are signed with the `twilio` helper library's own RequestValidator, so a drift between
our signature check and Twilio's scheme fails here, not on a live number.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from callcenter.runtime import build_runtime
from callcenter.settings import Settings
from callcenter.web.server import create_app

AUTH_TOKEN = "twilio-webhook-test-token"
PUBLIC = "https://voice.example.com"
EMERGENCY = "+16175550100"


@pytest.fixture(scope="module")
async def client(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    settings = test_settings.model_copy(
        update={
            "public_url": PUBLIC,
            "voice_emergency_number": EMERGENCY,
            "voice_tts_voice": "en-US-Journey-O",
            "voice_routes": {"billing": "enqueue:accounts", "complaint": "hangup"},
            "twilio_auth_token": None,
            "trusted_proxies": "127.0.0.1",  # the test client stands in for the TLS proxy
        }
    )
    rt = await build_runtime(settings, dsn=seeded_dsn)
    try:
        async with TestClient(TestServer(create_app(rt))) as c:
            yield c
    finally:
        await rt.close()


@pytest.fixture(autouse=True)
def _signing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)


def _call_form(**extra: str) -> dict[str, str]:
    """The parameters Twilio posts for an inbound call (a representative subset, real names)."""
    return {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA" + "1" * 32,
        "CallStatus": "ringing",
        "Called": "+16175550101",
        "Caller": "+16175550142",
        "Direction": "inbound",
        "From": "+16175550142",
        "FromCity": "BOSTON",
        "FromCountry": "US",
        "FromState": "MA",
        "FromZip": "02108",
        "To": "+16175550101",
        "ToCountry": "US",
        **extra,
    }


async def _signed_post(
    client: TestClient,
    path: str,
    form: dict[str, str],
    *,  # type: ignore[type-arg]
    token: str = AUTH_TOKEN,
    sign_url: str | None = None,
) -> Any:
    url = str(client.make_url(path)) if sign_url is None else sign_url
    signature = RequestValidator(token).compute_signature(url, form)
    return await client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "Response"
    return root


async def test_incoming_call_connects_to_the_relay(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await _signed_post(client, "/v1/voice/incoming", _call_form())
    assert resp.status == 200 and resp.content_type == "text/xml"
    root = _parse(await resp.text())
    connect = root.find("Connect")
    assert connect is not None and connect.get("action") == f"{PUBLIC}/v1/voice/handoff"
    relay = connect.find("ConversationRelay")
    assert relay is not None
    assert relay.get("url") == "wss://voice.example.com/v1/voice/relay"
    assert relay.get("welcomeGreeting", "").startswith("Thanks for calling")
    assert relay.get("language") == "en-US" and relay.get("voice") == "en-US-Journey-O"
    assert relay.get("dtmfDetection") == "true"  # PIN entry on the keypad needs it
    params = {p.get("name"): p.get("value") for p in relay.findall("Parameter")}
    assert params["call_sid"] == "CA" + "1" * 32 and params["called"] == "+16175550101"
    assert "token" not in params and "From" not in params  # caller id is never passed as an identity


async def test_unsigned_or_forged_posts_are_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    for path in ("/v1/voice/incoming", "/v1/voice/handoff"):
        resp = await client.post(path, data=_call_form())
        assert resp.status == 403, path
        assert (await resp.json())["error"]["code"] == "invalid_signature"
        resp = await _signed_post(client, path, _call_form(), token="not-the-auth-token")
        assert resp.status == 403, path
        # A genuine signature over different parameters (a tampered From) fails too.
        url = str(client.make_url(path))
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, _call_form())
        resp = await client.post(path, data=_call_form(From="+19995550000"), headers={"X-Twilio-Signature": signature})
        assert resp.status == 403, path


async def test_incoming_without_a_call_sid_says_what_is_missing(client: TestClient) -> None:  # type: ignore[type-arg]
    form = {k: v for k, v in _call_form().items() if k != "CallSid"}
    resp = await _signed_post(client, "/v1/voice/incoming", form)
    assert resp.status == 422
    assert "CallSid" in (await resp.json())["error"]["message"]


async def test_behind_a_proxy_twilio_signs_the_public_url(client: TestClient) -> None:  # type: ignore[type-arg]
    form = _call_form()
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC}/v1/voice/incoming", form)
    headers = {"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "voice.example.com"}
    resp = await client.post("/v1/voice/incoming", data=form, headers=headers)
    assert resp.status == 200


def _handoff_form(data: dict[str, Any] | None, **extra: str) -> dict[str, str]:
    form = _call_form(**{"CallStatus": "in-progress", "SessionId": "VX" + "2" * 32, "SessionStatus": "ended", **extra})
    if data is not None:
        form["HandoffData"] = json.dumps(data)
    return form


async def test_emergency_handoff_dials_the_emergency_line(client: TestClient) -> None:  # type: ignore[type-arg]
    data = {"reason": "gas", "queue": "emergency", "priority": "urgent", "handoff_id": 3, "session_id": "s"}
    resp = await _signed_post(client, "/v1/voice/handoff", _handoff_form(data))
    root = _parse(await resp.text())
    assert resp.status == 200 and [c.tag for c in root] == ["Say", "Dial"]
    assert root.findtext("Dial/Number") == EMERGENCY


@pytest.mark.parametrize(
    ("queue", "expected"), [("general", "general"), ("billing", "accounts"), ("maintenance", "maintenance")]
)
async def test_other_handoffs_are_enqueued_by_queue(client: TestClient, queue: str, expected: str) -> None:  # type: ignore[type-arg]
    data = {"reason": "asked for a person", "queue": queue, "priority": "normal", "handoff_id": 9}
    resp = await _signed_post(client, "/v1/voice/handoff", _handoff_form(data))
    root = _parse(await resp.text())
    assert root.findtext("Enqueue") == expected


async def test_configured_hangup_route_and_plain_end(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await _signed_post(client, "/v1/voice/handoff", _handoff_form({"queue": "complaint"}))
    assert [c.tag for c in _parse(await resp.text())] == ["Hangup"]
    resp = await _signed_post(client, "/v1/voice/handoff", _handoff_form(None, SessionStatus="completed"))
    assert [c.tag for c in _parse(await resp.text())] == ["Hangup"]


async def test_a_failed_relay_session_reaches_a_person_not_a_dial_tone(client: TestClient) -> None:  # type: ignore[type-arg]
    form = _handoff_form(None, SessionStatus="failed", ErrorCode="64101")
    root = _parse(await (await _signed_post(client, "/v1/voice/handoff", form)).text())
    assert root.findtext("Enqueue") == "general"


@pytest.mark.parametrize("raw", ["not json", "[1,2]", '{"queue": "../../etc"}', '{"queue": 5, "priority": "max"}'])
async def test_unreadable_handoff_data_still_reaches_the_general_queue(client: TestClient, raw: str) -> None:  # type: ignore[type-arg]
    form = _handoff_form(None)
    form["HandoffData"] = raw
    root = _parse(await (await _signed_post(client, "/v1/voice/handoff", form)).text())
    assert root.findtext("Enqueue") == "general"


async def test_taskrouter_workflow_gets_a_task_with_priority(seeded_dsn: str, test_settings: Settings) -> None:
    settings = test_settings.model_copy(update={"public_url": PUBLIC, "voice_taskrouter_workflow_sid": "WW" + "3" * 32})
    rt = await build_runtime(settings, dsn=seeded_dsn)
    try:
        async with TestClient(TestServer(create_app(rt))) as c:
            data = {"queue": "emergency", "priority": "urgent", "handoff_id": 4, "ticket_id": 7, "session_id": "x"}
            root = _parse(await (await _signed_post(c, "/v1/voice/handoff", _handoff_form(data))).text())
    finally:
        await rt.close()
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.get("workflowSid") == "WW" + "3" * 32
    task = enqueue.find("Task")
    assert task is not None and task.get("priority") == "100"
    attributes = json.loads(task.text or "")
    assert attributes["queue"] == "emergency" and attributes["ticket_id"] == 7 and attributes["handoff_id"] == 4


def test_bad_voice_routes_are_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="enqueue:QUEUE"):
        Settings(voice_routes={"emergency": "call 911"})


async def test_relay_end_to_handoff_round_trip(client: TestClient) -> None:  # type: ignore[type-arg]
    """The handoffData the relay sends for a gas smell routes, via Twilio, to the emergency line."""
    call_sid = "CA" + uuid.uuid4().hex
    url = str(client.make_url("/v1/voice/relay")).replace("http://", "ws://")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, {})
    async with client.ws_connect("/v1/voice/relay", headers={"X-Twilio-Signature": signature}) as ws:
        await ws.send_json(
            {"type": "setup", "callSid": call_sid, "from": "+18005550199", "to": "+16175550101", "customParameters": {}}
        )
        await ws.send_json({"type": "prompt", "voicePrompt": "I smell gas in the hallway", "last": True})
        while (frame := await ws.receive_json(timeout=30))["type"] != "end":
            assert frame["type"] == "text"
    form = _handoff_form(None, CallSid=call_sid)
    form["HandoffData"] = frame["handoffData"]
    root = _parse(await (await _signed_post(client, "/v1/voice/handoff", form)).text())
    assert root.findtext("Dial/Number") == EMERGENCY

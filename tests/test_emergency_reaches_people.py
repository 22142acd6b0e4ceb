"""An emergency always reaches a person, or the customer is told honestly that it did not.

Written as the red-team met it (NOTES/redteam.md F13): a frightened resident writes a long
paragraph about a gas leak (or talks for a minute on the phone) and is promised a person; the
handoff must then exist, urgent, with its ticket. When the handoff cannot be stored, nobody
is told a person is coming: they get the safety steps and the emergency number, and a phone
call still goes to the emergency route.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from callcenter_agents.replies import summarize_history

from callcenter.handoff import handoff_arguments, unreached_reply
from callcenter.runtime import Runtime
from callcenter.specialists.flow import HumanHandoffRequest
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Priority
from tests.relay_caller import RELAY, recv, say, setup

LINE = "555-0100"
_STORY = (
    "Hi, I came home from work about ten minutes ago and there is a really strong smell of gas in my kitchen "
    "near the stove. My neighbour in the next unit says she can smell it in the hallway as well. The burners "
    "are all off, I checked twice. I have two small kids and a dog with me and I don't know what to do, should "
    "I open the windows? Please send someone as soon as possible. "
)
LONG_REPORTS = {
    "1,000 chars, one word of padding": "I smell gas " + "x" * 988,
    "1,125 chars, a real paragraph": _STORY * 3,
    "3,000 chars": (_STORY * 8)[:3000],
    "10,000 chars": (_STORY * 30)[:10000],
    "many lines": "\n".join(["I smell gas in the kitchen."] + ["it is getting stronger"] * 120),
    "one 2,000-char link": "I smell gas, photo: https://example.com/" + "a" * 2000,
    "Spanish, 1,500 chars": ("Huele mucho a gas en la cocina, cerca de la estufa, y tengo dos niños conmigo. " * 20)[
        :1500
    ],
}


async def _chat(ws: aiohttp.ClientWebSocketResponse, text: str) -> dict[str, Any]:
    await ws.send_json({"type": "message", "text": text})
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=60)
        if frame["type"] != "delta":
            return frame


async def _human_handoffs(runtime: Runtime, session_id: str | uuid.UUID) -> list[Any]:
    return list(
        await runtime.pool.fetch(
            "SELECT id, queue, priority, summary, context->>'ticket_id' AS ticket FROM handoffs"
            " WHERE session_id=$1 AND kind='human'",
            uuid.UUID(str(session_id)),
        )
    )


def test_a_summary_is_never_empty_however_long_the_message() -> None:
    for text in LONG_REPORTS.values():
        summary = summarize_history([("user", "hello"), ("assistant", "Hi, how can I help?")], text)
        assert summary.strip() and len(summary) <= 900
    blank = HumanHandoffRequest("emergency", Priority.URGENT, "  \n ", "Emergency reported (gas)")
    assert handoff_arguments(blank)["summary"] == "Emergency reported (gas)"
    nothing = HumanHandoffRequest("emergency", Priority.URGENT, "", "")
    assert handoff_arguments(nothing)["summary"]


def test_an_unreached_emergency_keeps_its_safety_steps_and_drops_the_promise() -> None:
    reply = (
        "Leave your home now and don't use switches. Then call our 24/7 emergency line 555-0100. "
        "I've alerted our emergency team and a person is joining this conversation right now."
    )
    said = unreached_reply(reply, LINE, urgent=True)
    assert "Leave your home now" in said and LINE in said
    assert "alerted" not in said and "joining" not in said and "could not reach" in said


@pytest.mark.parametrize("name", list(LONG_REPORTS))
async def test_a_long_gas_report_in_chat_opens_an_urgent_handoff_and_ticket(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
    name: str,
) -> None:
    async with client.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "hello"})  # anonymous: emergencies never wait for sign-in
        session = await ws.receive_json(timeout=30)
        frame = await _chat(ws, LONG_REPORTS[name])
    assert frame["type"] == "message" and frame["handoff"] is True, frame
    assert LINE in frame["text"], frame["text"]
    rows = await _human_handoffs(runtime, session["session_id"])
    assert len(rows) == 1 and rows[0]["priority"] == "urgent" and rows[0]["queue"] == "emergency", rows
    assert rows[0]["summary"].strip()
    assert rows[0]["ticket"], rows[0]


@pytest.mark.parametrize("name", list(LONG_REPORTS))
async def test_a_long_gas_call_goes_to_the_emergency_route(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
    name: str,
) -> None:
    call_sid = "CA" + uuid.uuid4().hex
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid)
        await ws.send_json({"type": "prompt", "voicePrompt": LONG_REPORTS[name], "lang": "en-US", "last": True})
        heard, end = "", await recv(ws)  # a caller talking for a minute or more; Spanish switches the voice first
        while end["type"] in ("language", "text"):
            heard += end.get("token", "")
            end = await recv(ws)
    assert end["type"] == "end" and heard
    data = json.loads(end["handoffData"])
    assert data["queue"] == "emergency" and data["priority"] == "urgent", data
    rows = await _human_handoffs(runtime, data["session_id"])
    assert len(rows) == 1 and data["handoff_id"] == rows[0]["id"] and isinstance(data["ticket_id"], int)


@pytest.fixture
def handoffs_refused(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The handoff tool refuses everything (its database constraint, a bug in a summary...)."""

    async def refuse(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ToolError("Invalid arguments - summary: String should have at least 1 character")

    monkeypatch.setattr(runtime.orchestrator.handoff, "hand_over", refuse)


@pytest.mark.usefixtures("handoffs_refused")
@pytest.mark.parametrize("text", ["I smell gas in my kitchen", LONG_REPORTS["1,125 chars, a real paragraph"]])
async def test_a_gas_report_nobody_could_be_alerted_for_says_so(client: TestClient, text: str) -> None:  # type: ignore[type-arg]
    async with client.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "hello"})
        await ws.receive_json(timeout=30)
        frame = await _chat(ws, text)
    assert frame["type"] == "message" and frame["handoff"] is False, frame
    said = frame["text"].lower()
    assert LINE in said and "could not reach" in said, said
    assert "joining" not in said and "alerted" not in said, said
    assert "leave" in said or "get out" in said, said  # the safety steps stay


@pytest.mark.usefixtures("handoffs_refused")
async def test_a_gas_call_nobody_could_be_alerted_for_is_still_put_through_to_the_emergency_route(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, "CA" + uuid.uuid4().hex)
        heard = await say(ws, "there's a strong smell of gas in my apartment")
        end = await recv(ws)
    assert LINE in heard and "joining" not in heard, heard
    data = json.loads(end["handoffData"])
    assert data["queue"] == "emergency" and data["priority"] == "urgent" and data["handoff_id"] is None, data

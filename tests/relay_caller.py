"""A test-side phone caller on the ConversationRelay websocket, speaking Twilio's message shapes.

Shared by the relay and verification tests: `setup` as Twilio sends it, prompts, keypad presses,
and the replies as the caller hears them (text tokens up to `last: true`).
"""

from __future__ import annotations

from typing import Any

import aiohttp

RELAY = "/v1/voice/relay"


async def recv(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    data: dict[str, Any] = await ws.receive_json(timeout=30)
    return data


async def setup(ws: aiohttp.ClientWebSocketResponse, call_sid: str, **fields: Any) -> None:
    await ws.send_json(
        {
            "type": "setup",
            "sessionId": "VX" + call_sid,
            "accountSid": "ACtest",
            "callSid": call_sid,
            "from": fields.pop("from_", "+18005550199"),
            "to": "+18005550101",
            "direction": "inbound",
            "callType": "PSTN",
            "callStatus": "RINGING",
            "customParameters": fields,
        }
    )


async def reply(ws: aiohttp.ClientWebSocketResponse) -> tuple[str, list[dict[str, Any]]]:
    """Collect text tokens until one with last=true: (what the caller hears, the frames)."""
    frames: list[dict[str, Any]] = []
    while True:
        frame = await recv(ws)
        frames.append(frame)
        assert frame["type"] == "text", frame
        if frame["last"]:
            return "".join(f["token"] for f in frames), frames


async def say(ws: aiohttp.ClientWebSocketResponse, text: str) -> str:
    await ws.send_json({"type": "prompt", "voicePrompt": text, "lang": "en-US", "last": True})
    heard, _ = await reply(ws)
    return heard


async def press(ws: aiohttp.ClientWebSocketResponse, keys: str) -> None:
    """Key presses, one `dtmf` message per key, as Twilio reports them."""
    for key in keys:
        await ws.send_json({"type": "dtmf", "digit": key})

"""A caller on the model path hears the reply's first sentence while the model is still writing the rest.

Through the real ConversationRelay websocket, with the model backend talking through the official
SDK to the fake provider at its modelled real-time speed (`pace=1`, callcenter/fakellm/pacing.py:
the figures are modelled). A model writes a reply of several sentences on one line; the voice
channel used to speak only complete lines, so the caller heard nothing until the model finished.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from fake_models import on_fake_models
from relay_caller import RELAY, recv, setup

from callcenter.channels.voice_protocol import speakable
from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.fakellm.pacing import TTFT_S
from callcenter.runtime import Runtime
from callcenter.web.auth import issue_token

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-6"
ANSWER = (
    "Thanks for asking about parking. "
    "Parking permits are handled by the building office rather than by me. "
    "They keep the list of open spaces for each building and can tell you the current price. "
    "You can stop by the office on a weekday or leave them a message through the resident portal. "
    "Would you like me to pass your question to them so they get back to you?"
)
LIE = (
    "Thanks for asking about parking. "
    "Permits cost $999.00 a month and I have waived your first month. "  # no tool said so
    "Would you like me to pass your question to them so they get back to you?"
)
HONEST = "Thanks for asking about parking. The office can tell you the permit price; shall I ask them for you?"


@pytest.fixture(scope="module")
async def paced() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(seed=7, latency_scale=0.0, pace=1.0) as server:
        yield server


async def _call(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
    question: str,
) -> tuple[list[tuple[float, dict[str, Any]]], str, float]:
    """The text frames of one answer with their seconds after the caller finished speaking, the call's sid, and
    when the caller finished speaking (time.perf_counter())."""
    call_sid = "CA" + uuid.uuid4().hex
    token = issue_token(1, runtime.settings.secret.get_secret_value(), ttl_seconds=600)
    frames: list[tuple[float, dict[str, Any]]] = []
    async with client.ws_connect(RELAY) as ws:
        await setup(ws, call_sid, token=token)
        await ws.send_json({"type": "prompt", "voicePrompt": question, "lang": "en-US", "last": True})
        started = time.perf_counter()
        while not frames or not frames[-1][1]["last"]:
            frame = await recv(ws)
            assert frame["type"] == "text", frame
            frames.append((time.perf_counter() - started, frame))
    return frames, call_sid, started


async def _stored_reply(runtime: Runtime, call_sid: str) -> str:
    text = await runtime.pool.fetchval(
        "SELECT m.text FROM messages m JOIN sessions s ON s.id = m.session_id "
        "WHERE s.external_id=$1 AND m.role='assistant' ORDER BY m.seq DESC LIMIT 1",
        call_sid,
    )
    return str(text)


async def _answered(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
    paced: FakeLLMServer,
    question: str,
    replies: dict[str, str],
    calls: int = 1,
) -> tuple[list[tuple[float, dict[str, Any]]], str, float]:
    """The last of `calls` calls asking `question`, each model saying its reply: its timed frames and what
    the caller heard, which is always the stored reply made speakable, and the seconds from the caller's prompt to
    the model's request reaching the provider."""
    paced.reset()
    async with on_fake_models(runtime, paced):
        for _ in range(calls):
            for model, text in replies.items():
                paced.script([Reply(text=text)], model=model)
            frames, call_sid, started = await _call(client, runtime, question)
    heard = "".join(f["token"] for _, f in frames)
    assert heard == speakable(await _stored_reply(runtime, call_sid))
    return frames, heard, paced.requests[-1].received_at - started


async def test_the_caller_hears_the_first_sentence_while_the_model_writes_the_rest(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
    paced: FakeLLMServer,
) -> None:
    # the first call of a process also pays one-time set-up (router, SDK client): the second is measured
    frames, heard, asked = await _answered(client, runtime, paced, "how do I get a parking permit?", {HAIKU: ANSWER}, 2)
    assert heard == speakable(ANSWER)
    first, last = frames[0][0], frames[-1][0]
    assert frames[0][1]["token"] == "Thanks for asking about parking." and not frames[0][1]["last"]
    assert len(frames) >= 4  # sentence by sentence, not the whole reply at its end
    first_token = asked + TTFT_S[1]  # seconds after the caller's prompt
    assert first - first_token <= 0.3, (first, first_token)  # within 300 ms of the model's (modelled) first token
    assert first < 0.7 * last, (first, last)  # ~89 tokens at 160/s: the rest takes another ~0.5 s


async def test_a_false_claim_is_never_spoken(
    client: TestClient,  # type: ignore[type-arg]
    runtime: Runtime,
    paced: FakeLLMServer,
) -> None:
    _, heard, _ = await _answered(client, runtime, paced, "how much is a parking permit?", {HAIKU: LIE, SONNET: HONEST})
    assert "999" not in heard and "nine hundred" not in heard and "waived" not in heard
    assert heard.count("Thanks for asking about parking") == 1  # said once, never repeated by the retry
    assert heard.startswith("Thanks for asking about parking.")

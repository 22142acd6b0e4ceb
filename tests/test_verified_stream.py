"""Verified sentence streaming: claim-free sentences go at once, claims only once verified.

The end-to-end cases run a turn through the orchestrator on the model backend, with the
official SDK streaming from the fake provider, and a scripted model that makes a false
claim in the middle of its reply.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from fake_models import on_fake_models

from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.runtime import Runtime
from callcenter.specialists.verified_stream import VerifiedStream
from callcenter.types import Verdict

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-6"


class Channel:
    def __init__(self) -> None:
        self.deltas: list[str] = []

    async def __call__(self, piece: str) -> None:
        self.deltas.append(piece)

    @property
    def text(self) -> str:
        return "".join(self.deltas)


async def passes(text: str) -> Verdict:
    return Verdict(True, 1.0)


async def fails(text: str) -> Verdict:
    return Verdict(False, 0.0, ["amount $99.00 not backed by a tool result"])


async def test_claim_free_sentences_go_out_before_the_reply_is_finished() -> None:
    channel = Channel()
    stream = VerifiedStream(channel)
    for piece in ["Hi there! I'm so", "rry about the leak. Your visit is on Tues", "day at 9:00 AM. Anything else?"]:
        await stream.feed(piece)
    assert channel.deltas == ["Hi there! ", "I'm sorry about the leak. "]  # the claim is held
    assert (await stream.finish(passes)).ok
    assert channel.text == "Hi there! I'm sorry about the leak. Your visit is on Tuesday at 9:00 AM. Anything else?"


async def test_a_failed_claim_and_everything_after_it_is_never_sent() -> None:
    channel = Channel()
    stream = VerifiedStream(channel)
    await stream.feed("Thanks for waiting. Your balance is $99.00. Is there anything else?")
    assert not (await stream.finish(fails)).ok
    assert channel.text == "Thanks for waiting. "
    # the next attempt repeats the opener: it is not said twice
    await stream.feed("Thanks for waiting. Let me pass you to the billing team.")
    assert (await stream.finish(passes)).ok
    assert channel.text == "Thanks for waiting. Let me pass you to the billing team."


async def test_hedges_are_held_like_claims() -> None:
    channel = Channel()
    stream = VerifiedStream(channel)
    await stream.feed("Hello. I'm not sure I can help with that. ")
    stream.abandon()
    assert channel.text == "Hello. "


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(seed=3, latency_scale=0.0) as server:
        yield server


@pytest.fixture
async def model_runtime(runtime: Runtime, fake: FakeLLMServer) -> AsyncIterator[Runtime]:
    fake.reset()
    async with on_fake_models(runtime, fake):
        yield runtime


FALSE_MID_REPLY = [
    "Hello! Thanks for reaching out about parking. ",
    "Permits cost $999.00 a month and I have waived your first month. ",  # no tool said so
    "Is there anything else I can help with?",
]


@pytest.mark.parametrize("closing", ["Is there anything else I can help with?", "Anything else?", ""])
async def test_a_false_claim_mid_reply_is_never_sent_and_the_turn_escalates(
    model_runtime: Runtime, fake: FakeLLMServer, closing: str
) -> None:
    lie = "".join(FALSE_MID_REPLY[:2]) + closing
    fake.script([Reply(text=lie)], model=HAIKU)
    fake.script(
        [
            Reply(
                text="Hello! Thanks for reaching out about parking. "
                "The office can tell you the permit price; shall I open a ticket?"
            )
        ],
        model=SONNET,
    )
    channel = Channel()
    sid = (await model_runtime.orchestrator.open_session(channel="test", customer_id=1)).id
    result = await model_runtime.orchestrator.handle_turn(sid, "how much is a parking permit?", on_delta=channel)
    assert "$999" not in channel.text and "waived" not in channel.text
    assert channel.text.count("Thanks for reaching out") == 1  # said once, never retracted or repeated
    assert channel.text.startswith("Hello! Thanks for reaching out about parking. ")
    assert result.escalations == 1 and result.text == channel.text
    stored = await model_runtime.pool.fetchval(
        "SELECT text FROM messages WHERE session_id=$1 AND role='assistant' ORDER BY id DESC LIMIT 1", uuid.UUID(sid)
    )
    assert stored == channel.text
    reason = await model_runtime.pool.fetchval(
        "SELECT escalation_reason FROM model_calls WHERE session_id=$1 AND tier=2", uuid.UUID(sid)
    )
    assert "$999.00" in str(reason)


async def test_when_no_tier_is_left_the_handoff_follows_what_was_already_said(
    model_runtime: Runtime, fake: FakeLLMServer
) -> None:
    lie = "".join(FALSE_MID_REPLY)
    for model in (HAIKU, SONNET, "claude-opus-4-7"):
        fake.script([Reply(text=lie)] * 2, model=model)
    channel = Channel()
    sid = (await model_runtime.orchestrator.open_session(channel="test", customer_id=1)).id
    result = await model_runtime.orchestrator.handle_turn(sid, "how much is a parking permit?", on_delta=channel)
    assert "$999" not in channel.text and "waived" not in channel.text
    assert channel.text.startswith("Hello! Thanks for reaching out about parking. ")
    assert channel.text.count("Thanks for reaching out") == 1
    assert result.text == channel.text and len(channel.text) > len(FALSE_MID_REPLY[0])

"""A caller on the model path hears the first sentence long before the reply is finished.

The fake provider streams at its modelled real-time speed (`pace=1`: Haiku's first token after
0.35 s, then 160 tokens/s, callcenter/fakellm/pacing.py), so the figures are modelled. A reply of
several sentences whose first sentence makes no claim sends that sentence as soon as it is
complete: issue 13 asks for the first delta within 40 % of the time to the final message, and
within 300 ms of the model's first token.

Where the 40 % can hold is arithmetic (pacing.first_sentence_share, docs/streaming.md): the
model's time to first token counts in both times, so with nothing of our own the share is
(TTFT + first sentence) / (TTFT + whole reply). At every tier the TTFT is worth 56-60 tokens
of output, so a reply needs about 1.5 x 56 + 2.5 x (first sentence - 1) tokens, ~95-105 for a
5-9 token first sentence, before any streaming can send its first sentence within 40 %.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from fake_models import on_fake_models

from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.fakellm.pacing import Pace, first_sentence_share
from callcenter.fakellm.prompt import count_tokens
from callcenter.runtime import Runtime

HAIKU, SONNET, OPUS = "claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-7"
POLICY = {HAIKU: "routed", SONNET: "mid-only", OPUS: "frontier-only"}

REPLIES = [
    "Thanks for asking about parking. "
    "Parking permits are handled by the building office rather than by me. "
    "They keep the list of open spaces for each building and can tell you the current price. "
    "You can stop by the office on a weekday or leave them a message through the resident portal. "
    "Would you like me to pass your question to them so they get back to you?",
    "Sorry to hear the laundry room has been busy. "
    "The machines are shared by everyone in the building, so evenings and weekends are the busiest times. "
    "Early mornings on weekdays are usually quiet, and the room opens at seven. "
    "If a machine is broken rather than busy, the office can send someone to look at it. "
    "Is one of the machines out of order?",
]
LONG_REPLY = (  # 199 tokens, claim-free, an 11-token first sentence
    "Thanks for asking about the laundry room. "
    "The machines are shared by everyone in the building, so evenings and weekends are usually the busiest times. "
    "Early mornings on weekdays tend to be quiet, and the room opens early for residents who like to get their "
    "washing done before work. If you find a machine that is broken rather than busy, let the office know and they "
    "can send someone to look at it. It also helps to bring your own detergent, since the vending machine in the "
    "hallway sometimes runs out. Some residents use the folding tables at the back, which are easy to miss when you "
    "first walk in. Please remember to take your clothes out soon after the cycle ends, so that your neighbours can "
    "use the machine as well. Is there anything else about the laundry room that I can help you with?"
)


def floor(model: str, reply: str) -> float:
    """The share no streaming can beat: first sentence / final with no work of ours (pacing.py)."""
    return first_sentence_share(model, count_tokens(reply), count_tokens(reply.split(". ")[0] + ". "))


@pytest.fixture(scope="module")
async def paced() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(seed=7, latency_scale=0.0, pace=1.0) as server:
        yield server


async def _measure(
    runtime: Runtime, fake: FakeLLMServer, reply: str, model: str = HAIKU
) -> tuple[list[tuple[float, str]], float, float]:
    """(seconds from the message to each delta, delta), seconds to the final message and seconds to the model's
    first token (its request reaching the provider, then the modelled TTFT), on the model path."""
    fake.reset()
    question = "how do I get a parking permit?" if "parking" in reply else "when is the laundry room free?"
    sent: list[tuple[float, str]] = []
    async with on_fake_models(runtime, fake, policy=POLICY[model]):
        fake.script([Reply(text=reply)], model=model)
        sid = (await runtime.orchestrator.open_session(channel="test", customer_id=1)).id
        started = time.perf_counter()

        async def on_delta(piece: str) -> None:
            sent.append((time.perf_counter() - started, piece))

        result = await runtime.orchestrator.handle_turn(sid, question, on_delta=on_delta)
        final = time.perf_counter() - started
    first_token = fake.requests[-1].received_at - started + Pace(1.0).ttft_s(model)
    assert result.text == reply and "".join(p for _, p in sent) == reply
    print(
        f"{model} {count_tokens(reply)} tokens: first delta {sent[0][0] * 1000:.0f} ms, final message "
        f"{final * 1000:.0f} ms ({sent[0][0] / final:.0%}; modelled floor {floor(model, reply):.0%})"
    )
    return sent, final, first_token


@pytest.mark.parametrize("reply", REPLIES)
async def test_the_first_sentence_goes_out_right_after_the_models_first_token(
    runtime: Runtime, paced: FakeLLMServer, reply: str
) -> None:
    sent, final, first_token = await _measure(runtime, paced, reply)
    assert len(sent) >= 3 and sent[0][1] == reply.split(". ")[0] + ". "  # sentence by sentence, not at once
    # within 300 ms of the model's (modelled) first token (the turn's own work before its request, which also pays
    # one-time set-up on a process's first turn, counts in the 40 % test below)
    assert sent[0][0] - first_token <= 0.3, (sent[0], first_token)
    assert sent[0][0] < 0.75 * final


def _impossible(model: str, reply: str) -> pytest.MarkDecorator:
    share = floor(model, reply)
    tokens, first = count_tokens(reply), count_tokens(reply.split(". ")[0] + ". ")
    return pytest.mark.xfail(
        share > 0.4,
        strict=False,  # slow work after the last token could push the share under its floor: not a pass to trust
        reason=f"{model}'s modelled time to first token makes 40 % impossible for this reply: its first sentence "
        f"is complete at token {first} of {tokens}, (TTFT + {first - 1} intervals) / (TTFT + {tokens - 1} intervals) "
        f"= {share:.1%} with no work of ours at all",
    )


@pytest.mark.parametrize(
    ("model", "reply"),
    [
        *(
            pytest.param(HAIKU, reply, marks=_impossible(HAIKU, reply), id=f"haiku-{i}")
            for i, reply in enumerate(REPLIES)
        ),
        pytest.param(OPUS, REPLIES[0], marks=_impossible(OPUS, REPLIES[0]), id="opus-short"),
        pytest.param(HAIKU, LONG_REPLY, id="haiku-long"),
        pytest.param(SONNET, LONG_REPLY, id="sonnet-long"),
        pytest.param(OPUS, LONG_REPLY, id="opus-long"),
    ],
)
async def test_the_first_delta_comes_within_40_percent_of_the_final_message(
    runtime: Runtime, paced: FakeLLMServer, model: str, reply: str
) -> None:
    sent, final, _ = await _measure(runtime, paced, reply, model)
    assert sent[0][1] == reply.split(". ")[0] + ". "
    assert sent[0][0] <= 0.4 * final, (sent[0][0], final)

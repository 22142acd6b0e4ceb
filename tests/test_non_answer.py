"""On models, "OK." to an account question is not an answer: the step is rejected and climbs.

The fake provider (`callcenter fake-llm`'s server, spoken to by the real Anthropic SDK over HTTP)
answers every call with "OK.": no tool call, no question back. The verifier passes such a reply
on its rules (it claims nothing), so without the non-answer rule the resident asking what they owe
was told "OK.". Now each tier's "OK." is rejected, the step climbs, and when no tier is left the
deterministic flow answers from the tools.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from fake_models import on_fake_models

from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.runtime import Runtime
from callcenter.specialists.verifier import is_non_answer


@pytest.fixture
async def on_models(runtime: Runtime) -> AsyncIterator[tuple[Runtime, FakeLLMServer]]:
    async with FakeLLMServer(seed=5, latency_scale=0.0) as fake, on_fake_models(runtime, fake):
        yield runtime, fake


@pytest.mark.parametrize("question", ["How much do I owe?", "what's my balance right now", "do I owe you anything"])
async def test_ok_to_an_account_question_is_rejected_and_escalated(
    on_models: tuple[Runtime, FakeLLMServer], question: str
) -> None:
    runtime, fake = on_models
    fake.script([Reply(text="OK.")] * 8)  # every tier says "OK."
    session = await runtime.orchestrator.open_session(channel="test", customer_id=1)
    out = await runtime.orchestrator.handle_turn(session.id, question)
    assert out.agent == "billing" and out.escalations >= 1
    assert out.text.strip() != "OK." and "$" in out.text  # the balance, from the tools
    reasons = await runtime.pool.fetch(
        "SELECT escalation_reason FROM model_calls WHERE session_id = $1 AND escalation_reason IS NOT NULL",
        uuid.UUID(session.id),
    )
    assert reasons and all("no answer" in str(r["escalation_reason"]) for r in reasons)


async def test_a_question_back_or_a_tool_result_is_an_answer(on_models: tuple[Runtime, FakeLLMServer]) -> None:
    runtime, fake = on_models
    fake.script([Reply(text="Sure, which invoice do you mean?")])
    session = await runtime.orchestrator.open_session(channel="test", customer_id=1)
    out = await runtime.orchestrator.handle_turn(session.id, "can you explain a charge on my account?")
    assert out.text == "Sure, which invoice do you mean?" and out.escalations == 0


def test_non_answer_rule() -> None:
    account = {"consulted_tools": False, "acts_on_account": True}
    assert is_non_answer("OK.", user_text="How much do I owe?", **account)
    assert is_non_answer("Got it.", user_text="what is my balance right now", **account)
    assert not is_non_answer("Which one?", user_text="How much do I owe?", **account)  # a question back
    assert not is_non_answer("OK.", user_text="thanks", **account)  # small talk
    assert not is_non_answer("OK.", user_text="How much do I owe?", consulted_tools=True, acts_on_account=True)
    assert not is_non_answer("OK.", user_text="what are the pool hours?", consulted_tools=False, acts_on_account=False)

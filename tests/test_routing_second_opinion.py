"""A tier-1 model's second opinion on unsure routing verdicts, through the real SDKs and the fake provider.

With keys set and `router_reask_below` above a verdict's confidence, the turn's vertical is the
model's answer and the call is a `model_calls` row like every other (tokens, cost, latency,
the local verdict as the escalation reason). Emergencies never wait for a model, and when the
provider fails or answers nonsense the local verdict stands and the conversation goes on.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from callcenter.fakellm import Fail, FakeLLMServer, Reply
from callcenter.routing.second_opinion import parse_vertical
from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings

HAIKU = "claude-haiku-4-5"
TEAMS = {"booking": "", "billing": "", "escalation": "", "general": "", "out_of_scope": ""}


def test_the_answer_names_one_vertical_or_none() -> None:
    assert parse_vertical("billing", TEAMS) == "billing"
    assert parse_vertical("Billing.", TEAMS) == "billing"
    assert parse_vertical("Team: general", TEAMS) == "general"
    assert parse_vertical("out of scope", TEAMS) == "out_of_scope"
    assert parse_vertical("OK.", TEAMS) is None
    assert parse_vertical("", TEAMS) is None


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(seed=5, latency_scale=0.0) as server:
        yield server


@pytest.fixture
async def reasking(seeded_dsn: str, test_settings: Settings, fake: FakeLLMServer) -> AsyncIterator[Runtime]:
    """The product with keys set and every non-emergency verdict below the re-ask bar."""
    fake.reset()
    settings = Settings(
        data_dir=test_settings.data_dir,
        backend="auto",
        ANTHROPIC_API_KEY="fake",
        ANTHROPIC_BASE_URL=fake.base_url,
        router_reask_below=1.0,
        router_reask_timeout_s=1.0,
        provider_max_retries=0,
    )
    rt = await build_runtime(settings, dsn=seeded_dsn)
    try:
        yield rt
    finally:
        await rt.close()
        fake.reset()


async def _turn(rt: Runtime, text: str) -> tuple[str, dict[str, object], list[dict[str, object]]]:
    sid = (await rt.orchestrator.open_session(channel="test", customer_id=1)).id
    result = await rt.orchestrator.handle_turn(sid, text)
    turn = await rt.pool.fetchrow("SELECT * FROM turns WHERE session_id=$1 ORDER BY id LIMIT 1", uuid.UUID(sid))
    calls = await rt.pool.fetch("SELECT * FROM model_calls WHERE session_id=$1 ORDER BY id", uuid.UUID(sid))
    assert turn is not None
    return result.text, dict(turn), [dict(c) for c in calls]


async def test_an_unsure_verdict_is_reasked_and_cost_accounted(reasking: Runtime, fake: FakeLLMServer) -> None:
    fake.script([Reply(text="general"), Reply(text="The gym is open 6am to 10pm.")], model=HAIKU)
    text, turn, calls = await _turn(reasking, "what is the capital of france")  # locally: out of scope
    assert turn["vertical"] == "general"
    assert text == "The gym is open 6am to 10pm."
    routing = calls[0]
    assert (routing["step_type"], routing["model"], routing["agent"]) == ("classification", HAIKU, "router")
    assert routing["turn_id"] == turn["id"]
    assert int(routing["input_tokens"]) > 0 and int(routing["output_tokens"]) > 0  # type: ignore[call-overload]
    assert Decimal(routing["cost_usd"]) > 0  # type: ignore[arg-type]
    assert routing["latency_ms"] is not None
    assert str(routing["escalation_reason"]).startswith("router: out_of_scope at confidence")


async def test_a_failing_provider_keeps_the_local_verdict(reasking: Runtime, fake: FakeLLMServer) -> None:
    fake.script([Fail(500, message="down")] * 12)  # every model of every tier, for routing and the specialist
    text, turn, calls = await _turn(reasking, "what is the capital of france")
    assert turn["vertical"] == "out_of_scope"  # the local verdict
    assert text  # the deterministic flow answered
    assert all(c["status"] != "ok" for c in calls if c["step_type"] == "classification")


async def test_an_answer_that_is_no_vertical_keeps_the_local_verdict(reasking: Runtime, fake: FakeLLMServer) -> None:
    fake.script([Reply(text="OK."), Reply(text="I can only help with your home here.")], model=HAIKU)
    _, turn, calls = await _turn(reasking, "what is the capital of france")
    assert turn["vertical"] == "out_of_scope"
    assert calls[0]["step_type"] == "classification"


async def test_emergencies_are_never_reasked(reasking: Runtime, fake: FakeLLMServer) -> None:
    _, turn, calls = await _turn(reasking, "I smell gas in my kitchen")
    assert turn["vertical"] == "escalation"
    assert not [c for c in calls if c["step_type"] == "classification"]

"""The chat demo on models: official SDKs against the fake provider server on loopback.

Covers the issue's promises: a hedge or an invalid tool argument from tier 1 re-runs the
step on tier 2; a 429 then 200 retries; an outage falls back and the session continues;
cache reads appear on a second session and are priced as reads; every model_calls row
reconciles to the cent with usage x catalog, for both providers.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from callcenter.fakellm import Fail, FakeLLMServer, Reply, ToolCall
from callcenter.providers.anthropic_provider import AnthropicProvider
from callcenter.providers.base import Provider
from callcenter.providers.catalog import Catalog
from callcenter.providers.client import ModelClient
from callcenter.providers.cost import cost_usd
from callcenter.providers.openai_provider import OpenAIProvider
from callcenter.providers.recorder import PostgresCallRecorder
from callcenter.runtime import Runtime
from callcenter.specialists.model_backend import ModelBackend
from callcenter.specialists.tier_policy import get_policy

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-6"


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(seed=3, latency_scale=0.0) as server:
        yield server


def _use_models(runtime: Runtime, fake: FakeLLMServer, *, which: str = "anthropic", retries: int = 2) -> ModelClient:
    providers: dict[str, Provider] = {}
    if which in ("anthropic", "both"):
        providers["anthropic"] = AnthropicProvider(api_key="fake", base_url=fake.base_url)
    if which in ("openai", "both"):
        providers["openai"] = OpenAIProvider(api_key="fake", base_url=fake.openai_base_url)
    client = ModelClient(
        Catalog.load(), providers, PostgresCallRecorder(runtime.pool), max_retries=retries, max_retry_wait_s=1.0
    )
    runtime.orchestrator.backend = ModelBackend(client, get_policy("routed"))
    return client


@pytest.fixture
async def model_runtime(runtime: Runtime, fake: FakeLLMServer) -> AsyncIterator[Runtime]:
    original = runtime.orchestrator.backend
    fake.reset()
    yield runtime
    runtime.orchestrator.backend = original


async def _calls(runtime: Runtime, session_id: str) -> list[dict[str, object]]:
    rows = await runtime.pool.fetch("SELECT * FROM model_calls WHERE session_id=$1 ORDER BY id", uuid.UUID(session_id))
    return [dict(r) for r in rows]


async def _session(runtime: Runtime, customer_id: int | None = 1) -> str:
    return (await runtime.orchestrator.open_session(channel="test", customer_id=customer_id)).id


def _reconciles(catalog: Catalog, row: dict[str, object]) -> None:
    from callcenter.types import Usage

    model = catalog.get(str(row["model"]))
    usage = Usage(
        int(row["input_tokens"]),
        int(row["output_tokens"]),  # type: ignore[call-overload]
        int(row["cache_write_tokens"]),
        int(row["cache_read_tokens"]),
    )  # type: ignore[call-overload]
    expected = cost_usd(usage, model.prices_on(row["created_at"].date()))  # type: ignore[union-attr]
    assert abs(Decimal(row["cost_usd"]) - expected) < Decimal("0.00000001"), (row, expected)  # type: ignore[arg-type]


async def test_hedge_on_tier1_reruns_the_step_on_tier2(model_runtime: Runtime, fake: FakeLLMServer) -> None:
    _use_models(model_runtime, fake)
    fake.script([Reply(text="I'm not sure I can help with that.")], model=HAIKU)
    fake.script([Reply(text="Our office is open weekdays from 9 to 5.")], model=SONNET)
    sid = await _session(model_runtime)
    result = await model_runtime.orchestrator.handle_turn(sid, "what are your office hours?")
    assert result.text == "Our office is open weekdays from 9 to 5."
    assert result.escalations == 1
    calls = await _calls(model_runtime, sid)
    assert [(c["model"], c["tier"]) for c in calls] == [(HAIKU, 1), (SONNET, 2)]
    assert calls[1]["escalation_of"] == calls[0]["id"] and calls[1]["escalation_reason"] == "hedge"
    for row in calls:
        _reconciles(Catalog.load(), row)


async def test_invalid_tool_argument_on_tier1_reruns_on_tier2(model_runtime: Runtime, fake: FakeLLMServer) -> None:
    _use_models(model_runtime, fake)
    fake.script([Reply(tool_calls=[ToolCall("find_slots", {"kind": "spaceship"})])], model=HAIKU)
    fake.script(
        [
            Reply(tool_calls=[ToolCall("find_slots", {"kind": "maintenance", "category": "plumbing"})]),
            Reply(text="I found a few openings for a plumber. Which day suits you?"),
        ],
        model=SONNET,
    )
    sid = await _session(model_runtime)
    result = await model_runtime.orchestrator.handle_turn(sid, "my kitchen sink leaks, can someone come?")
    assert result.agent == "booking" and result.escalations == 1
    assert "openings" in result.text
    calls = await _calls(model_runtime, sid)
    assert [c["tier"] for c in calls] == [1, 2, 2]
    assert "invalid tool arguments" in str(calls[1]["escalation_reason"])
    tools = await model_runtime.pool.fetch(
        "SELECT tool, status FROM tool_calls WHERE session_id=$1 ORDER BY id", uuid.UUID(sid)
    )
    assert [(t["tool"], t["status"]) for t in tools] == [("find_slots", "error"), ("find_slots", "ok")]


async def test_rate_limit_then_success_retries(model_runtime: Runtime, fake: FakeLLMServer) -> None:
    _use_models(model_runtime, fake)
    fake.script([Fail(status=429, retry_after=0.05), Reply(text="We allow up to two pets per unit.")], model=HAIKU)
    sid = await _session(model_runtime)
    result = await model_runtime.orchestrator.handle_turn(sid, "can I have a cat?")
    assert result.text == "We allow up to two pets per unit."
    calls = await _calls(model_runtime, sid)
    assert [(c["model"], c["status"]) for c in calls] == [(HAIKU, "error"), (HAIKU, "ok")]


async def test_outage_falls_back_and_the_session_continues(model_runtime: Runtime, fake: FakeLLMServer) -> None:
    _use_models(model_runtime, fake, which="both", retries=0)
    # gpt-5-mini is the cheaper tier-1 model for this prompt, so it is tried first.
    fake.script([Fail(status=529), Fail(status=529)], model="gpt-5-mini")
    fake.script([Reply(text="Parking permits are $40 a month.")], model=HAIKU)
    sid = await _session(model_runtime)
    first = await model_runtime.orchestrator.handle_turn(sid, "how much is a parking permit?")
    assert first.text == "Parking permits are $40 a month." or first.agent == "general"
    calls = await _calls(model_runtime, sid)
    assert calls[0]["model"] == "gpt-5-mini" and calls[0]["status"] == "error"
    assert any(c["model"] == HAIKU and c["status"] == "ok" for c in calls)
    # Everything down: the deterministic flow answers, and the user's message is stored.
    fake.script([Fail(status=500)] * 12)
    second = await model_runtime.orchestrator.handle_turn(sid, "what are the office hours?")
    assert second.text
    stored = await model_runtime.pool.fetchval(
        "SELECT count(*) FROM messages WHERE session_id=$1 AND role='user'", uuid.UUID(sid)
    )
    assert stored == 2


async def test_second_session_reads_the_prompt_cache_priced_as_reads(
    model_runtime: Runtime, fake: FakeLLMServer
) -> None:
    _use_models(model_runtime, fake, which="openai")
    catalog = Catalog.load()
    rows = []
    for _ in range(2):
        fake.script([Reply(text="Sure, what day works for you?")])
        sid = await _session(model_runtime)
        # The booking agent's prefix (tools + instructions) is over OpenAI's 1,024-token minimum.
        await model_runtime.orchestrator.handle_turn(sid, "can someone fix my leaking sink?")
        rows.append((await _calls(model_runtime, sid))[-1])
    assert rows[0]["cache_read_tokens"] == 0
    assert int(rows[1]["cache_read_tokens"]) > 0  # type: ignore[call-overload]
    for row in rows:
        _reconciles(catalog, row)
    body = fake.requests[-1].body
    assert body.get("prompt_cache_key") == "callcenter:booking"


async def test_anthropic_cache_breakpoints_and_reads(model_runtime: Runtime, fake: FakeLLMServer) -> None:
    _use_models(model_runtime, fake)
    catalog = Catalog.load()
    rows = []
    for _ in range(2):
        fake.script([Reply(text="I'm not sure.")], model=HAIKU)  # force tier 2 (sonnet caches from 1024 tokens)
        fake.script([Reply(text="Sure, what day works for you?")], model=SONNET)
        sid = await _session(model_runtime)
        await model_runtime.orchestrator.handle_turn(sid, "can someone fix my leaking sink?")
        rows.append((await _calls(model_runtime, sid))[-1])
    sonnet_requests = [r for r in fake.requests if r.model == SONNET]
    assert "cache_control" in str(sonnet_requests[-1].body)
    assert int(rows[1]["cache_read_tokens"]) > 0  # type: ignore[call-overload]
    for row in rows:
        _reconciles(catalog, row)


async def test_judge_failure_escalates_and_its_calls_are_recorded(model_runtime: Runtime, fake: FakeLLMServer) -> None:
    from callcenter.specialists.judge import ModelJudge

    client = _use_models(model_runtime, fake)
    backend = model_runtime.orchestrator.backend
    assert isinstance(backend, ModelBackend)
    backend.judge = ModelJudge(client)
    fake.script(
        [
            Reply(text="Guests can stay 14 nights."),
            Reply(text="FAIL: does not answer the question"),
            Reply(text="PASS"),
        ],
        model=HAIKU,
    )
    fake.script([Reply(text="Guests may stay up to 14 nights a year; longer stays need approval.")], model=SONNET)
    sid = await _session(model_runtime)
    result = await model_runtime.orchestrator.handle_turn(sid, "how long can a guest stay with me?")
    assert result.text.startswith("Guests may stay") and result.escalations == 1
    calls = await _calls(model_runtime, sid)
    assert [(c["model"], c["step_type"]) for c in calls] == [
        (HAIKU, "tool_selection"),
        (HAIKU, "verification"),
        (SONNET, "tool_selection"),
        (HAIKU, "verification"),
    ]
    assert calls[2]["escalation_reason"] == "judge: does not answer the question"


async def test_runtime_with_keys_runs_on_models(seeded_dsn: str, test_settings: object, fake: FakeLLMServer) -> None:
    from callcenter.runtime import build_runtime
    from callcenter.settings import Settings

    settings = Settings(
        data_dir=test_settings.data_dir,
        backend="auto",  # type: ignore[attr-defined]
        ANTHROPIC_API_KEY="fake",
        ANTHROPIC_BASE_URL=fake.base_url,
    )
    rt = await build_runtime(settings, dsn=seeded_dsn)
    try:
        assert rt.orchestrator.backend.name == "llm"
        fake.script([Reply(text="The gym is open 6am to 10pm.")], model=HAIKU)
        sid = (await rt.orchestrator.open_session(channel="test", customer_id=1)).id
        result = await rt.orchestrator.handle_turn(sid, "when is the gym open?")
        assert result.text == "The gym is open 6am to 10pm."
        assert await rt.pool.fetchval("SELECT count(*) FROM model_calls WHERE session_id=$1", uuid.UUID(sid)) == 1
    finally:
        await rt.close()
    sdk_clients = [p._client for p in rt.extras["model_client"].providers.values()]
    assert sdk_clients and all(c.is_closed() for c in sdk_clients)  # the runtime closed its providers


async def test_flow_first_answers_a_vouched_agent_by_its_flow_with_no_model_call(
    model_runtime: Runtime, fake: FakeLLMServer
) -> None:
    """Under flow-first, an agent the business marks `flow_first` costs nothing; under routed it
    goes to a model as before; an unmarked agent goes to a model under both."""
    from dataclasses import replace

    app = model_runtime.orchestrator.app
    original, general = app.agents["out_of_scope"], app.agents["general"]
    app.agents["out_of_scope"] = replace(original, flow_first=True)
    app.agents["general"] = replace(general, flow_first=False)  # the unmarked agent here
    try:
        client = _use_models(model_runtime, fake)
        model_runtime.orchestrator.backend = ModelBackend(client, get_policy("flow-first"))
        sid = await _session(model_runtime)
        result = await model_runtime.orchestrator.handle_turn(sid, "who wrote Pride and Prejudice?")
        assert result.agent == "out_of_scope" and result.text
        assert await _calls(model_runtime, sid) == []
        outcome = await model_runtime.pool.fetchval("SELECT outcome FROM turns WHERE session_id=$1", uuid.UUID(sid))
        assert outcome == "flow"
        fake.script([Reply(text="Our office is open weekdays from 9 to 5.")], model=HAIKU)
        other = await model_runtime.orchestrator.handle_turn(sid, "what are your office hours?")
        assert other.agent == "general" and [c["tier"] for c in await _calls(model_runtime, sid)] == [1]

        model_runtime.orchestrator.backend = ModelBackend(client, get_policy("routed"))
        fake.script([Reply(text="I can only help with your home: repairs, rent and building questions.")], model=HAIKU)
        sid = await _session(model_runtime)
        await model_runtime.orchestrator.handle_turn(sid, "who wrote Pride and Prejudice?")
        assert [c["agent"] for c in await _calls(model_runtime, sid)] == ["out_of_scope"]
    finally:
        app.agents["out_of_scope"], app.agents["general"] = original, general

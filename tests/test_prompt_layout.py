"""The shared prompt layout, through the real SDKs against the fake provider."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from structlog.testing import capture_logs

from callcenter.app import load_app
from callcenter.fakellm import FakeLLMServer
from callcenter.providers.anthropic_provider import AnthropicProvider
from callcenter.providers.anthropic_provider import build_request as anthropic_request
from callcenter.providers.base import ChatMessage, ModelRequest
from callcenter.providers.cache_plan import Traffic, build_cache_plan
from callcenter.providers.caching import count_breakpoints
from callcenter.providers.catalog import Catalog
from callcenter.providers.openai_provider import build_request as openai_request
from callcenter.settings import Settings
from callcenter.specialists.prompt_layout import (
    SHARED_CACHE_KEY,
    SharedPrefix,
    agent_request,
    cache_plan_for,
    model_served,
    prefix_sizes,
)
from callcenter.types import StepType

APP = load_app()
SHARED = SharedPrefix.from_app(APP)
CATALOG = Catalog.load(None)
HAIKU = CATALOG.get("claude-haiku-4-5")
SONNET = CATALOG.get("claude-sonnet-4-6")
PLAN = build_cache_plan(
    CATALOG.enabled(), prefix_sizes(SHARED, list(APP.agents.values())), Traffic(1200), date(2026, 11, 30)
)


def all_shared(model_id: str) -> Any:
    """PLAN with every agent on `model_id` in the shared layout."""
    model = replace(PLAN.models[model_id], layout="shared", shared_agents=frozenset(APP.agents))
    return replace(PLAN, models={**PLAN.models, model_id: model})


def request_for(agent: str, text: str = "my sink leaks") -> ModelRequest:
    return agent_request(
        APP.agents[agent], [ChatMessage("user", text)], shared=SHARED, step_type=StepType.TOOL_SELECTION
    )


def test_every_agent_sends_the_same_bytes_before_its_own_instructions() -> None:
    prefixes = set()
    sharing = PLAN.models[HAIKU.id].shared_agents
    assert {"booking", "billing", "escalation", "general"} <= sharing
    for name in sharing:
        kwargs = anthropic_request(HAIKU, request_for(name), PLAN)
        prefixes.add(json.dumps([kwargs["tools"], kwargs["system"][0]], sort_keys=True))
        assert APP.agents[name].instructions in kwargs["system"][1]["text"]
    assert len(prefixes) == 1


def test_shared_layout_marks_shared_prefix_agent_part_and_the_tail() -> None:
    kwargs = anthropic_request(HAIKU, request_for("booking"), PLAN)
    assert kwargs["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert kwargs["system"][1]["cache_control"] == {"type": "ephemeral"}
    assert kwargs["cache_control"] == {"type": "ephemeral"}  # automatic caching of the conversation
    assert count_breakpoints(kwargs) == 3
    assert {t["name"] for t in kwargs["tools"]} == set(APP.tools)


def test_an_agent_without_tools_may_not_call_the_shared_ones() -> None:
    kwargs = anthropic_request(HAIKU, request_for("out_of_scope"), all_shared(HAIKU.id))
    assert kwargs["tool_choice"] == {"type": "none"}
    own = anthropic_request(HAIKU, request_for("out_of_scope"), PLAN)  # the plan's choice: its own 300 tokens
    assert "tools" not in own and len(own["system"]) == 1


def test_per_agent_layout_where_the_plan_says_so_sends_only_the_agents_tools() -> None:
    kwargs = anthropic_request(SONNET, request_for("booking"), PLAN)
    assert len(kwargs["system"]) == 1
    assert {t["name"] for t in kwargs["tools"]} == {t.name for t in APP.agents["booking"].tools}
    assert "cache_control" not in kwargs


def test_openai_shared_layout_names_allowed_tools_and_shares_one_key() -> None:
    mini = CATALOG.get("gpt-5-mini")
    kwargs = openai_request(mini, request_for("billing"), all_shared("gpt-5-mini"))
    assert [m["role"] for m in kwargs["messages"][:2]] == ["system", "system"]
    assert kwargs["messages"][0]["content"] == SHARED.text
    allowed = {t["function"]["name"] for t in kwargs["tool_choice"]["allowed_tools"]["tools"]}
    assert allowed == {t.name for t in APP.agents["billing"].tools}
    assert kwargs["prompt_cache_key"] == SHARED_CACHE_KEY
    per_agent = openai_request(mini, request_for("billing"), PLAN)
    assert per_agent["prompt_cache_key"] == "callcenter:billing" and "tool_choice" not in per_agent


async def test_tier_one_reads_the_prefix_another_agent_wrote(fake: FakeLLMServer) -> None:
    provider = AnthropicProvider(api_key="test", base_url=fake.base_url, timeout_s=5, cache_plan=PLAN)
    try:
        first = await provider.complete(HAIKU, request_for("booking"))
        second = await provider.complete(HAIKU, request_for("billing", "what do I owe"))
        again = await provider.complete(HAIKU, request_for("billing", "and my rent?"))
    finally:
        await provider.aclose()
    assert first.usage.cache_read_tokens == 0 and first.usage.cache_write_tokens >= 4096
    assert second.usage.cache_read_tokens >= 4096  # the shared prefix booking wrote
    assert again.usage.cache_read_tokens > second.usage.cache_read_tokens  # + billing's own instructions
    assert again.usage.input_tokens < 100


async def test_the_fake_refuses_a_fifth_breakpoint_like_the_api(fake: FakeLLMServer) -> None:
    import anthropic

    client = anthropic.AsyncAnthropic(api_key="test", base_url=fake.base_url, max_retries=0)
    system: Any = [{"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}} for i in range(4)]
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4 blocks"):
        await client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=10,
            system=system,
            messages=[{"role": "user", "content": "hi"}],
            cache_control={"type": "ephemeral"},
        )
    await client.close()


async def test_cache_diagnostics_name_a_prefix_that_drifted(fake: FakeLLMServer, debug_logs: None) -> None:
    provider = AnthropicProvider(
        api_key="test", base_url=fake.base_url, timeout_s=5, cache_plan=PLAN, cache_diagnostics=True
    )
    drifted = request_for("booking", "and tomorrow?")
    drifted.system += "\nNow: 09:41:07"  # the classic mistake: a timestamp in the system prompt
    try:
        with capture_logs() as logs:
            await provider.complete(HAIKU, request_for("booking"))
            await provider.complete(HAIKU, request_for("booking", "next week?"))  # another conversation
            await provider.complete(HAIKU, drifted, on_delta=_ignore)  # streamed: diagnostics on message_start
    finally:
        await provider.aclose()
    sent = [r.body.get("diagnostics") for r in fake.requests]
    assert sent[0] == {"previous_message_id": None} and all(d and d["previous_message_id"] for d in sent[1:])
    misses = [(e["reason"], e["log_level"]) for e in logs if e["event"] == "model.cache_miss"]
    assert misses == [("messages_changed", "debug"), ("system_changed", "warning")]


async def _ignore(piece: str) -> None:
    return None


async def test_flow_first_prompts_drop_the_tools_only_flows_use_and_tier_one_still_reads_them(
    fake: FakeLLMServer,
) -> None:
    """Under flow-first no model serves the agents marked `flow_first`, so their tools leave the
    prefix every call reads; the tools of every agent models serve stay, byte-identical for all of
    them, and the prefix still reaches Haiku's 4,096-token minimum, so tier-1 calls read it."""
    flows = SharedPrefix.from_app(APP, flow_first=True)
    served = model_served(APP, flow_first=True)
    vouched = {a.name for a in APP.agents.values() if a.flow_first}
    assert vouched and not vouched & {a.name for a in served}
    assert {t.name for t in flows.tools} == {t.name for a in served for t in a.tools}
    assert {t.name for t in flows.tools} < {t.name for t in SHARED.tools}  # e.g. handoff_to_human is gone
    assert flows.text == SHARED.text
    plan = cache_plan_for(APP, CATALOG, Settings(cache_plan_calls_per_hour=1200), date(2026, 11, 30), flow_first=True)
    haiku = plan.models[HAIKU.id]
    assert set(haiku.agents) == {a.name for a in served}
    assert HAIKU.min_cacheable_tokens <= haiku.shared_tokens < PLAN.models[HAIKU.id].shared_tokens
    provider = AnthropicProvider(api_key="test", base_url=fake.base_url, timeout_s=5, cache_plan=plan)
    try:
        calls = [
            await provider.complete(
                HAIKU,
                agent_request(APP.agents[name], [ChatMessage("user", text)], shared=flows, step_type=StepType.RESPONSE),
            )
            for name, text in (("booking", "my sink leaks"), ("billing", "what do I owe"))
        ]
    finally:
        await provider.aclose()
    assert calls[0].usage.cache_write_tokens >= HAIKU.min_cacheable_tokens
    assert calls[1].usage.cache_read_tokens >= HAIKU.min_cacheable_tokens  # the prefix booking's call wrote

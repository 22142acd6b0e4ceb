"""OpenAI provider (and OpenAI-compatible servers) against the fake Chat Completions API."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from slot_tools import book_slot, find_slots

from callcenter.fakellm import Fail, FakeLLMServer, Reply, ToolCall
from callcenter.providers.base import ChatMessage, ModelRequest, ProviderError, ToolCallRequest
from callcenter.providers.catalog import Catalog
from callcenter.providers.cost import cost_usd
from callcenter.providers.openai_provider import OpenAIProvider, build_request, mean_token_probability
from callcenter.types import Usage

CATALOG = Catalog.load(None)
GPT5 = CATALOG.get("gpt-5")
MINI = CATALOG.get("gpt-5-mini")


@pytest.fixture
async def provider(fake: FakeLLMServer) -> AsyncIterator[OpenAIProvider]:
    p = OpenAIProvider(api_key="test-key", base_url=fake.openai_base_url, timeout_s=5.0)
    yield p
    await p.aclose()


def req(text: str = "What do I owe this month?", **kw: Any) -> ModelRequest:
    return ModelRequest(system="You are a billing agent.", messages=[ChatMessage("user", text)], **kw)


async def sink(delta: str) -> None:
    return None


# ---------------------------------------------------------------- request building (pure)


def test_request_shape_system_first_sorted_tools_cache_key() -> None:
    history = [
        ChatMessage("user", "pay my rent"),
        ChatMessage(
            "assistant", "", tool_calls=[ToolCallRequest("call_1", "book_slot", '{"kind":"x"}', {"kind": "x"})]
        ),
        ChatMessage("tool", "no such slot", tool_call_id="call_1", is_error=True),
    ]
    request = ModelRequest(
        system="sys", messages=history, tools=[find_slots, book_slot], cache_key="billing", temperature=0.3
    )
    kw = build_request(GPT5, request)
    assert kw["messages"][0] == {"role": "system", "content": "sys"}
    assert kw["messages"][2]["tool_calls"][0]["function"] == {"name": "book_slot", "arguments": '{"kind":"x"}'}
    assert kw["messages"][2]["content"] is None
    assert kw["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "ERROR: no such slot"}
    assert [t["function"]["name"] for t in kw["tools"]] == ["book_slot", "find_slots"]
    assert kw["prompt_cache_key"] == "billing"
    assert kw["max_completion_tokens"] == 1024
    assert "temperature" not in kw  # gpt-5 takes only the default temperature
    assert "logprobs" not in kw
    same = build_request(GPT5, replace(request, tools=[book_slot, find_slots]))
    assert json.dumps(same) == json.dumps(kw)


def test_logprobs_only_requested_when_catalog_supports_them() -> None:
    local = replace(CATALOG.get("llama-3.1-8b"), enabled=True)
    kw = build_request(local, req(want_logprobs=True, temperature=0.2, cache_key="k"))
    assert kw["logprobs"] is True and kw["temperature"] == 0.2 and kw["max_tokens"] == 1024
    assert "prompt_cache_key" not in kw  # not an OpenAI-compatible server parameter
    assert "logprobs" not in build_request(GPT5, req(want_logprobs=True))
    assert "logprobs" not in build_request(local, req(want_logprobs=False))


def test_mean_token_probability() -> None:
    assert mean_token_probability([]) is None
    assert mean_token_probability([0.0, math.log(0.5)]) == pytest.approx(0.75)


# ---------------------------------------------------------------- against the fake API


@pytest.mark.parametrize("stream", [False, True])
async def test_text(fake: FakeLLMServer, provider: OpenAIProvider, stream: bool) -> None:
    text = "Your balance is $1,250.00, due on the 1st."
    fake.script([Reply(text=text, usage={"input_tokens": 90, "output_tokens": 14})])
    deltas: list[str] = []

    async def on_delta(d: str) -> None:
        deltas.append(d)

    r = await provider.complete(MINI, req(extra_headers={"x-fake-difficulty": "0.1"}), on_delta if stream else None)
    assert r.text == text and r.stop_reason == "end_turn" and r.tool_calls == []
    assert r.usage == Usage(input_tokens=90, output_tokens=14)
    sent = fake.requests[-1]
    assert sent.api == "openai" and sent.model == "gpt-5-mini"
    assert sent.headers["x-fake-difficulty"] == "0.1"
    if stream:
        assert "".join(deltas) == text and len(deltas) > 1
        assert r.ttft_ms is not None
        assert sent.body["stream_options"] == {"include_usage": True}
    else:
        assert deltas == [] and r.ttft_ms is None


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_calls_and_invalid_json(fake: FakeLLMServer, provider: OpenAIProvider, stream: bool) -> None:
    fake.script([Reply(tool_calls=[ToolCall("find_slots", {"kind": "hvac"}), ToolCall("book_slot", '{"kind": "hv')])])
    r = await provider.complete(GPT5, req(tools=[find_slots, book_slot]), sink if stream else None)
    assert r.stop_reason == "tool_use"
    assert [(c.name, c.arguments) for c in r.tool_calls] == [("find_slots", {"kind": "hvac"}), ("book_slot", None)]
    assert r.tool_calls[1].raw_arguments == '{"kind": "hv'
    assert all(c.id for c in r.tool_calls)
    assert fake.requests[-1].body["tools"][0]["function"]["strict"] is True


@pytest.mark.parametrize("stream", [False, True])
async def test_cached_tokens_are_inside_prompt_tokens_and_cost_reconciles(
    fake: FakeLLMServer, provider: OpenAIProvider, stream: bool
) -> None:
    # On the wire: prompt_tokens = 1952 + 18048 = 20000, cached_tokens = 18048.
    fake.script([Reply(text="ok", usage={"input_tokens": 1_952, "output_tokens": 800, "cache_read_tokens": 18_048})])
    r = await provider.complete(GPT5, req(), sink if stream else None)
    assert r.usage == Usage(input_tokens=1_952, output_tokens=800, cache_read_tokens=18_048)
    assert cost_usd(r.usage, GPT5.prices_on(date(2026, 11, 1))) == Decimal("0.012696")


async def test_second_identical_prefix_request_reads_the_cache(fake: FakeLLMServer, provider: OpenAIProvider) -> None:
    system = "Billing policy and late-fee rules. " * 300  # ~2600 tokens, over OpenAI's 1024
    a = await provider.complete(
        MINI, ModelRequest(system=system, messages=[ChatMessage("user", "hi")], cache_key="billing")
    )
    b = await provider.complete(
        MINI, ModelRequest(system=system, messages=[ChatMessage("user", "yo")], cache_key="billing")
    )
    assert a.usage.cache_read_tokens == 0
    assert b.usage.cache_read_tokens >= 1024 and b.usage.cache_write_tokens == 0
    assert b.usage.input_tokens + b.usage.cache_read_tokens == a.usage.input_tokens  # same prompt length
    prices = MINI.prices_on(date(2026, 11, 1))
    assert cost_usd(b.usage, prices) < cost_usd(a.usage, prices)
    assert fake.requests[-1].body["prompt_cache_key"] == "billing"


@pytest.mark.parametrize("stream", [False, True])
async def test_logprobs_on_compatible_server(fake: FakeLLMServer, stream: bool) -> None:
    local = replace(CATALOG.get("llama-3.1-8b"), enabled=True, base_url=fake.openai_base_url)
    p = OpenAIProvider(api_key=None, name="openai_compatible")
    try:
        fake.script([Reply(text="billing", logprobs=[0.0, math.log(0.5)])])
        r = await p.complete(local, req(want_logprobs=True), sink if stream else None)
        assert r.text == "billing"
        assert r.logprob_confidence == pytest.approx(0.75)
        assert fake.requests[-1].body["logprobs"] is True
        assert fake.requests[-1].model == "meta-llama/Llama-3.1-8B-Instruct"
    finally:
        await p.aclose()


async def test_no_logprobs_gives_none(fake: FakeLLMServer, provider: OpenAIProvider) -> None:
    fake.script([Reply(text="ok")])
    r = await provider.complete(GPT5, req(want_logprobs=True))
    assert r.logprob_confidence is None


async def test_rate_limit_maps_to_retryable_with_retry_after(fake: FakeLLMServer, provider: OpenAIProvider) -> None:
    fake.script([Fail(status=429, retry_after=2.0)])
    with pytest.raises(ProviderError) as info:
        await provider.complete(GPT5, req())
    assert (info.value.retryable, info.value.status, info.value.retry_after) == (True, 429, 2.0)
    assert len(fake.requests) == 1  # SDK retries are off


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (400, False), (401, False)])
async def test_error_statuses(fake: FakeLLMServer, provider: OpenAIProvider, status: int, retryable: bool) -> None:
    fake.script([Fail(status=status)])
    with pytest.raises(ProviderError) as info:
        await provider.complete(GPT5, req(), sink)
    assert info.value.status == status and info.value.retryable is retryable


async def test_length_stop_reason(fake: FakeLLMServer, provider: OpenAIProvider) -> None:
    fake.script([Reply(text="Your balance is", stop_reason="max_tokens")])
    r = await provider.complete(GPT5, req())
    assert r.stop_reason == "max_tokens"

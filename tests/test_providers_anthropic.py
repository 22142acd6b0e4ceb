"""Anthropic provider against the fake Messages API: real SDK, real wire format."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from slot_tools import book_slot, find_slots

from callcenter.fakellm import Fail, FakeLLMServer, Reply, ToolCall
from callcenter.providers.anthropic_provider import AnthropicProvider, build_messages, build_request
from callcenter.providers.base import ChatMessage, ModelRequest, ProviderError, ToolCallRequest
from callcenter.providers.caching import MAX_BREAKPOINTS, apply_anthropic_cache, count_breakpoints
from callcenter.providers.catalog import Catalog
from callcenter.providers.cost import cost_usd
from callcenter.types import Usage

CATALOG = Catalog.load(None)
HAIKU = CATALOG.get("claude-haiku-4-5")
SONNET = CATALOG.get("claude-sonnet-4-6")


@pytest.fixture
async def provider(fake: FakeLLMServer) -> AsyncIterator[AnthropicProvider]:
    p = AnthropicProvider(api_key="test-key", base_url=fake.base_url, timeout_s=5.0)
    yield p
    await p.aclose()


def req(text: str = "When can someone fix my sink?", **kw: Any) -> ModelRequest:
    return ModelRequest(system="You are a booking agent.", messages=[ChatMessage("user", text)], **kw)


# ---------------------------------------------------------------- request building (pure)


def test_tool_results_become_one_user_turn_of_tool_result_blocks() -> None:
    msgs = [
        ChatMessage("user", "book me"),
        ChatMessage(
            "assistant",
            "Checking.",
            tool_calls=[
                ToolCallRequest("tu_1", "find_slots", '{"kind":"plumbing"}', {"kind": "plumbing"}),
                ToolCallRequest("tu_2", "book_slot", "{bad", None),
            ],
        ),
        ChatMessage("tool", '{"slots": []}', tool_call_id="tu_1"),
        ChatMessage("tool", "invalid arguments", tool_call_id="tu_2", is_error=True),
    ]
    out = build_messages(msgs)
    assert [m["role"] for m in out] == ["user", "assistant", "user"]
    assert out[1]["content"][1] == {
        "type": "tool_use",
        "id": "tu_1",
        "name": "find_slots",
        "input": {"kind": "plumbing"},
    }
    assert out[1]["content"][2]["input"] == {}
    assert out[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "tu_1", "content": '{"slots": []}'},
        {"type": "tool_result", "tool_use_id": "tu_2", "content": "invalid arguments", "is_error": True},
    ]


def test_no_breakpoints_below_min_cacheable_tokens() -> None:
    kwargs = build_request(HAIKU, req(tools=[find_slots]))
    assert count_breakpoints(kwargs) == 0
    assert [t["name"] for t in kwargs["tools"]] == ["find_slots"]


def test_breakpoints_on_tools_system_and_turns_at_most_four() -> None:
    long_system = "Policy. " * 3000  # ~6000 tokens: long enough on its own
    history = [
        ChatMessage("user", "I need a plumber " * 50),
        ChatMessage("assistant", "", tool_calls=[ToolCallRequest("tu_1", "find_slots", "{}", {})]),
        ChatMessage("tool", "slots: " * 400, tool_call_id="tu_1"),
        ChatMessage("assistant", "Tuesday 9am works?"),
        ChatMessage("user", "yes please"),
    ]
    request = ModelRequest(system=long_system, messages=history, tools=[book_slot, find_slots])
    kwargs = build_request(SONNET, request)
    # the two tools (~100 tokens) are under Sonnet's 1024 minimum: no breakpoint there
    assert count_breakpoints(kwargs) == 3
    assert "cache_control" not in kwargs["tools"][-1]
    assert kwargs["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert kwargs["messages"][-2]["content"][-1]["cache_control"] == {"type": "ephemeral"}  # previous turn
    assert kwargs["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}  # newest input
    assert "cache_control" not in kwargs["messages"][0]["content"][-1]


def test_at_most_four_breakpoints_all_on_long_enough_prefixes() -> None:
    big = "x" * 8000  # ~2000 tokens per part
    kwargs: dict[str, Any] = {
        "tools": [{"name": "a", "description": big, "input_schema": {}}, {"name": "b", "input_schema": {}}],
        "system": [{"type": "text", "text": big}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": big}]},
            {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
            {"role": "user", "content": [{"type": "text", "text": "more"}]},
        ],
    }
    assert apply_anthropic_cache(kwargs, 1024) == MAX_BREAKPOINTS == count_breakpoints(kwargs)
    assert "cache_control" in kwargs["tools"][-1] and "cache_control" not in kwargs["tools"][0]
    assert "cache_control" in kwargs["messages"][1]["content"][-1]
    # with a minimum above the tools prefix but below tools+system, the tools lose theirs
    kwargs2: dict[str, Any] = json.loads(json.dumps(kwargs).replace(', "cache_control": {"type": "ephemeral"}', ""))
    assert count_breakpoints(kwargs2) == 0
    assert apply_anthropic_cache(kwargs2, 3000) == 3
    assert "cache_control" not in kwargs2["tools"][-1]
    assert apply_anthropic_cache(json.loads(json.dumps(kwargs2)), 100_000) >= 0


def test_breakpoints_skip_prefixes_under_haiku_minimum() -> None:
    system = "Policy. " * 1500  # ~3000 tokens: cacheable on Sonnet (1024), not on Haiku (4096)
    request = ModelRequest(system=system, messages=[ChatMessage("user", "hi " * 800)])
    assert count_breakpoints(build_request(SONNET, request)) == 2  # system + final message
    haiku_kwargs = build_request(HAIKU, request)
    assert "cache_control" not in haiku_kwargs["system"][0]
    assert count_breakpoints(haiku_kwargs) == 0  # whole prompt ~3600 tokens < 4096


def test_request_is_byte_stable_across_tool_order() -> None:
    a = build_request(SONNET, req(tools=[find_slots, book_slot]))
    b = build_request(SONNET, req(tools=[book_slot, find_slots]))
    assert json.dumps(a) == json.dumps(b)


# ---------------------------------------------------------------- against the fake API


async def test_non_streaming_text_and_usage(fake: FakeLLMServer, provider: AnthropicProvider) -> None:
    fake.script([Reply(text="Tuesday at 9am.", usage={"input_tokens": 321, "output_tokens": 12})])
    r = await provider.complete(SONNET, req(extra_headers={"x-fake-difficulty": "0.2"}))
    assert r.text == "Tuesday at 9am."
    assert r.stop_reason == "end_turn" and r.tool_calls == []
    assert r.usage == Usage(input_tokens=321, output_tokens=12)
    assert r.ttft_ms is None and r.latency_ms > 0 and r.logprob_confidence is None
    sent = fake.requests[-1]
    assert sent.api == "anthropic" and sent.model == "claude-sonnet-4-6"
    assert sent.headers["x-fake-difficulty"] == "0.2"
    assert sent.body["system"] == [{"type": "text", "text": "You are a booking agent."}]


async def test_streaming_text_calls_on_delta(fake: FakeLLMServer, provider: AnthropicProvider) -> None:
    text = "A plumber can come on Tuesday between 9 and 11."
    fake.script([Reply(text=text, usage={"input_tokens": 40, "output_tokens": 15})])
    deltas: list[str] = []

    async def on_delta(d: str) -> None:
        deltas.append(d)

    r = await provider.complete(SONNET, req(), on_delta)
    assert "".join(deltas) == text == r.text
    assert len(deltas) > 1
    assert r.ttft_ms is not None and r.ttft_ms <= r.latency_ms
    assert r.usage == Usage(input_tokens=40, output_tokens=15)
    assert fake.requests[-1].body["stream"] is True


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_calls_and_invalid_json(fake: FakeLLMServer, provider: AnthropicProvider, stream: bool) -> None:
    fake.script(
        [
            Reply(
                text="Let me check.",
                tool_calls=[
                    ToolCall("find_slots", {"kind": "plumbing", "day": "tue"}),
                    ToolCall("book_slot", '{"kind": '),
                ],
            )
        ]
    )

    async def sink(d: str) -> None:
        return None

    r = await provider.complete(SONNET, req(tools=[find_slots, book_slot]), sink if stream else None)
    assert r.stop_reason == "tool_use"
    assert [c.name for c in r.tool_calls] == ["find_slots", "book_slot"]
    assert r.tool_calls[0].arguments == {"kind": "plumbing", "day": "tue"}
    assert r.tool_calls[0].id
    assert r.tool_calls[1].arguments is None
    assert r.tool_calls[1].raw_arguments.startswith('{"kind":')
    assert [t["name"] for t in fake.requests[-1].body["tools"]] == ["book_slot", "find_slots"]


@pytest.mark.parametrize("stream", [False, True])
async def test_cache_usage_is_normalised_and_priced_to_the_cent(
    fake: FakeLLMServer, provider: AnthropicProvider, stream: bool
) -> None:
    usage = {"input_tokens": 300, "output_tokens": 420, "cache_read_tokens": 12_000, "cache_write_tokens": 1_500}
    fake.script([Reply(text="ok", usage=usage)])

    async def sink(d: str) -> None:
        return None

    r = await provider.complete(SONNET, req(), sink if stream else None)
    assert r.usage == Usage(input_tokens=300, output_tokens=420, cache_write_tokens=1_500, cache_read_tokens=12_000)
    assert cost_usd(r.usage, SONNET.prices_on(date(2026, 11, 1))) == Decimal("0.016425")


async def test_second_identical_prefix_request_reads_the_cache(
    fake: FakeLLMServer, provider: AnthropicProvider
) -> None:
    system = "House rules and booking policy. " * 400  # ~3200 tokens, over Sonnet's 1024
    first = await provider.complete(SONNET, ModelRequest(system=system, messages=[ChatMessage("user", "Hi")]))
    assert first.usage.cache_write_tokens > 1000 and first.usage.cache_read_tokens == 0
    second = await provider.complete(SONNET, ModelRequest(system=system, messages=[ChatMessage("user", "Hello?")]))
    assert second.usage.cache_read_tokens >= first.usage.cache_write_tokens - 10
    day = date(2026, 11, 1)
    prices = SONNET.prices_on(day)
    # the cached prefix is billed at the read price, not the input price
    read_part = Decimal(second.usage.cache_read_tokens) * prices.cache_read / Decimal(1_000_000)
    expected = read_part + (
        Decimal(second.usage.input_tokens) * prices.input
        + Decimal(second.usage.output_tokens) * prices.output
        + Decimal(second.usage.cache_write_tokens) * prices.cache_write_5m
    ) / Decimal(1_000_000)
    assert cost_usd(second.usage, prices) == expected
    assert cost_usd(second.usage, prices) < cost_usd(first.usage, prices)
    assert fake.requests[-1].body["system"][0]["cache_control"] == {"type": "ephemeral"}


async def test_rate_limit_maps_to_retryable_error_with_retry_after(
    fake: FakeLLMServer, provider: AnthropicProvider
) -> None:
    fake.script([Fail(status=429, retry_after=1.5)])
    with pytest.raises(ProviderError) as info:
        await provider.complete(SONNET, req())
    assert info.value.retryable and info.value.status == 429 and info.value.retry_after == 1.5
    assert len(fake.requests) == 1  # SDK retries are off


@pytest.mark.parametrize(("status", "retryable"), [(529, True), (500, True), (400, False), (401, False)])
async def test_error_statuses(fake: FakeLLMServer, provider: AnthropicProvider, status: int, retryable: bool) -> None:
    fake.script([Fail(status=status)])
    with pytest.raises(ProviderError) as info:
        await provider.complete(SONNET, req())
    assert info.value.status == status and info.value.retryable is retryable


async def test_refusal_stop_reason(fake: FakeLLMServer, provider: AnthropicProvider) -> None:
    fake.script([Reply(text="I can't help with that.", stop_reason="refusal")])
    r = await provider.complete(SONNET, req())
    assert r.stop_reason == "refusal"


async def test_connection_failure_is_retryable() -> None:
    p = AnthropicProvider(api_key="k", base_url="http://127.0.0.1:9", timeout_s=2.0)
    try:
        with pytest.raises(ProviderError) as info:
            await p.complete(SONNET, req())
        assert info.value.retryable and info.value.status is None
    finally:
        await p.aclose()

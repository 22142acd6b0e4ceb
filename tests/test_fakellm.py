"""The fake provider, driven through the real `anthropic` and `openai` SDK clients.

If the SDKs parse what the fake sends (streams reassembled, errors mapped to their exception
classes, usage fields populated), provider code tested against the fake is tested against
the wire format it will meet in production. OpenAI bodies are also checked against the
public OpenAPI document in /work/shared/specs/openai.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import jsonschema
import openai
import pydantic
import pytest
import yaml

from callcenter.fakellm import Fail, FakeLLMServer, Reply, Slow, ToolCall, encode_oracle, load_script
from callcenter.fakellm import commands as fake_commands
from callcenter.fakellm.failures import HEDGE_TEXT, REFUSAL_TEXT
from callcenter.fakellm.modelled import success_probability

SPEC = Path("/work/shared/specs/openai/openapi.yaml")
LONG = "The tenant at unit 4B reports a leaking kitchen tap and asks for a plumber visit. " * 60  # ~1260 tokens

FIND_SLOTS_ANTHROPIC: Any = {
    "name": "find_slots",
    "description": "Find maintenance slots.",
    "input_schema": {
        "type": "object",
        "properties": {"kind": {"type": "string"}, "unit": {"type": "string"}},
        "required": ["kind", "unit"],
    },
}
FIND_SLOTS_OPENAI: Any = {
    "type": "function",
    "function": {
        "name": "find_slots",
        "description": "Find maintenance slots.",
        "parameters": FIND_SLOTS_ANTHROPIC["input_schema"],
    },
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(seed=0, latency_scale=0.0) as server:
        yield server


def claude(fake: FakeLLMServer, retries: int = 0) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="test", max_retries=retries)


def gpt(fake: FakeLLMServer, retries: int = 0) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="test", max_retries=retries)


USER: Any = [{"role": "user", "content": "Can someone fix my tap?"}]


# --------------------------------------------------------------------------- OpenAPI check


def _nullable_to_anyof(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` (still used in the 3.1 document) -> JSON Schema anyOf null."""
    if isinstance(node, dict):
        out = {k: _nullable_to_anyof(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") is True:
            return {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_nullable_to_anyof(v) for v in node]
    return node


@pytest.fixture(scope="module")
def openai_spec() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip("OpenAI OpenAPI document not present")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    return {"components": _nullable_to_anyof(doc["components"])}


def check_spec(spec: dict[str, Any], schema_name: str, instance: Any) -> None:
    root = {**spec, "$ref": f"#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(root).validate(instance)


# --------------------------------------------------------------------------- text replies


async def test_anthropic_text_non_stream(fake: FakeLLMServer) -> None:
    fake.script([Reply(text="Hello from the fake.")])
    client = claude(fake)
    raw = await client.messages.with_raw_response.create(model="claude-sonnet-4-6", max_tokens=100, messages=USER)
    msg = await raw.parse()
    assert msg.content[0].type == "text" and msg.content[0].text == "Hello from the fake."
    assert msg.stop_reason == "end_turn" and msg.role == "assistant" and msg.model == "claude-sonnet-4-6"
    assert msg.usage.input_tokens > 0 and msg.usage.output_tokens == 5
    # Strict validation of the raw body against the SDK's own model, not just its lenient construct().
    anthropic.types.Message.model_validate(raw.http_response.json())
    [req] = fake.requests
    assert req.api == "anthropic" and req.path == "/v1/messages" and req.model == "claude-sonnet-4-6"
    assert req.body["messages"] == USER and "<redacted>" in (
        req.headers.get("x-api-key"),
        req.headers.get("authorization"),
    )
    assert "anthropic-version" in req.headers


async def test_anthropic_text_stream(fake: FakeLLMServer) -> None:
    fake.script([Reply(text="Streaming works, token by token.")])
    client = claude(fake)
    async with client.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=USER) as stream:
        pieces = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    assert len(pieces) > 1 and "".join(pieces) == "Streaming works, token by token."
    assert final.content[0].type == "text" and final.content[0].text == "Streaming works, token by token."
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 8

    # Every raw event validates strictly against the SDK's event union.
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(anthropic.types.RawMessageStreamEvent)
    fake.script([Reply(text="abc def")])
    events = await client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER, stream=True)
    kinds = []
    async for event in events:
        adapter.validate_python(event.to_dict())
        kinds.append(event.type)
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert "content_block_start" in kinds and "content_block_stop" in kinds


async def test_openai_text_non_stream_matches_spec(fake: FakeLLMServer, openai_spec: dict[str, Any]) -> None:
    fake.script([Reply(text="Hello from the fake.")])
    client = gpt(fake)
    raw = await client.chat.completions.with_raw_response.create(model="gpt-5-mini", messages=USER)
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the fake."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 5
    check_spec(openai_spec, "CreateChatCompletionResponse", raw.http_response.json())
    assert fake.requests[0].api == "openai" and fake.requests[0].path == "/v1/chat/completions"
    assert fake.requests[0].headers["authorization"] == "<redacted>"


async def test_openai_text_stream_with_usage_matches_spec(fake: FakeLLMServer, openai_spec: dict[str, Any]) -> None:
    fake.script([Reply(text="Streaming works, token by token.")])
    client = gpt(fake)
    stream = await client.chat.completions.create(
        model="gpt-5", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    for c in chunks:
        check_spec(openai_spec, "CreateChatCompletionStreamResponse", c.to_dict())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Streaming works, token by token."
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.completion_tokens == 8
    assert all(c.usage is None for c in chunks[:-1])

    # Without include_usage there is no usage chunk.
    fake.script([Reply(text="x")])
    plain = [c async for c in await client.chat.completions.create(model="gpt-5", messages=USER, stream=True)]
    assert all(c.choices for c in plain)


# --------------------------------------------------------------------------- tool calls


async def test_anthropic_tool_calls_non_stream_and_stream(fake: FakeLLMServer) -> None:
    call = ToolCall("find_slots", {"kind": "maintenance", "unit": "4B"})
    fake.script([Reply(text="Let me look.", tool_calls=[call]), Reply(tool_calls=[call, ToolCall("noop", {})])])
    client = claude(fake)
    msg = await client.messages.create(
        model="claude-sonnet-4-6", max_tokens=200, messages=USER, tools=[FIND_SLOTS_ANTHROPIC]
    )
    assert msg.stop_reason == "tool_use"
    assert [b.type for b in msg.content] == ["text", "tool_use"]
    block = msg.content[1]
    assert block.type == "tool_use" and block.name == "find_slots"
    assert block.input == {"kind": "maintenance", "unit": "4B"} and block.id.startswith("toolu_")

    async with client.messages.stream(
        model="claude-sonnet-4-6", max_tokens=200, messages=USER, tools=[FIND_SLOTS_ANTHROPIC]
    ) as stream:
        final = await stream.get_final_message()
    uses = [b for b in final.content if b.type == "tool_use"]
    assert [u.name for u in uses] == ["find_slots", "noop"]
    assert uses[0].input == {"kind": "maintenance", "unit": "4B"} and uses[1].input == {}
    assert final.stop_reason == "tool_use" and len({u.id for u in uses}) == 2


async def test_openai_tool_calls_non_stream_and_stream(fake: FakeLLMServer, openai_spec: dict[str, Any]) -> None:
    call = ToolCall("find_slots", {"kind": "maintenance", "unit": "4B"})
    fake.script([Reply(tool_calls=[call]), Reply(tool_calls=[call, ToolCall("noop", "{}")]), Reply(tool_calls=[call])])
    client = gpt(fake)
    raw = await client.chat.completions.with_raw_response.create(
        model="gpt-5", messages=USER, tools=[FIND_SLOTS_OPENAI]
    )
    check_spec(openai_spec, "CreateChatCompletionResponse", raw.http_response.json())
    choice = raw.parse().choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    [tc] = choice.message.tool_calls or []
    assert tc.type == "function" and tc.function.name == "find_slots" and tc.id.startswith("call_")
    assert json.loads(tc.function.arguments) == {"kind": "maintenance", "unit": "4B"}

    # The SDK's stream helper reassembles arguments split across deltas by `index`.
    async with client.chat.completions.stream(model="gpt-5", messages=USER, tools=[FIND_SLOTS_OPENAI]) as stream:
        done = await stream.get_final_completion()
    calls = done.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["find_slots", "noop"]
    assert json.loads(calls[0].function.arguments) == {"kind": "maintenance", "unit": "4B"}
    assert calls[1].function.arguments == "{}" and done.choices[0].finish_reason == "tool_calls"

    # Raw chunks: argument fragments really are split, and each carries the call index.
    chunks = [c async for c in await client.chat.completions.create(model="gpt-5", messages=USER, stream=True)]
    frags = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert len(frags) > 2 and all(f.index == 0 for f in frags)
    assert json.loads("".join(f.function.arguments or "" for f in frags if f.function)) == call.arguments


async def test_raw_invalid_arguments_reach_the_client(fake: FakeLLMServer) -> None:
    fake.script([Reply(tool_calls=[ToolCall("find_slots", '{"kind": "maint')])])
    completion = await gpt(fake).chat.completions.create(model="gpt-5", messages=USER, tools=[FIND_SLOTS_OPENAI])
    [tc] = completion.choices[0].message.tool_calls or []
    assert tc.type == "function" and tc.function.arguments == '{"kind": "maint'


async def test_tool_results_in_conversation(fake: FakeLLMServer) -> None:
    a_msgs: list[Any] = [
        *USER,
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "find_slots",
                    "input": {"kind": "maintenance", "unit": "4B"},
                }
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "Tue 10:00"}]},
    ]
    msg = await claude(fake).messages.create(
        model="claude-opus-4-7", max_tokens=100, messages=a_msgs, tools=[FIND_SLOTS_ANTHROPIC]
    )
    assert msg.content[0].type == "text" and msg.content[0].text in ("OK.", HEDGE_TEXT)

    o_msgs: list[Any] = [
        *USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "find_slots", "arguments": '{"kind":"maintenance","unit":"4B"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "Tue 10:00"},
    ]
    completion = await gpt(fake).chat.completions.create(model="gpt-5", messages=o_msgs, tools=[FIND_SLOTS_OPENAI])
    assert completion.choices[0].message.content in ("OK.", HEDGE_TEXT)
    assert "Tue 10:00" in json.dumps(fake.requests[-1].body)


# --------------------------------------------------------------------------- usage & caching


async def test_scripted_usage_translated_per_api(fake: FakeLLMServer) -> None:
    usage = {"input_tokens": 10, "output_tokens": 5, "cache_read_tokens": 100, "cache_write_tokens": 20}
    fake.script([Reply(text="a", usage=usage), Reply(text="a", usage=usage), Reply(text="a", usage=usage)])
    msg = await claude(fake).messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=USER)
    assert (msg.usage.input_tokens, msg.usage.output_tokens) == (10, 5)
    assert (msg.usage.cache_read_input_tokens, msg.usage.cache_creation_input_tokens) == (100, 20)

    async with claude(fake).messages.stream(model="claude-sonnet-4-6", max_tokens=10, messages=USER) as s:
        final = await s.get_final_message()
    assert (final.usage.cache_read_input_tokens, final.usage.cache_creation_input_tokens) == (100, 20)
    assert final.usage.output_tokens == 5

    completion = await gpt(fake).chat.completions.create(model="gpt-5", messages=USER)
    u = completion.usage
    assert u is not None and u.prompt_tokens == 130 and u.completion_tokens == 5  # prompt includes cached
    assert u.prompt_tokens_details is not None and u.prompt_tokens_details.cached_tokens == 100


async def test_anthropic_prompt_cache_write_then_read(fake: FakeLLMServer) -> None:
    system: Any = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]
    client = claude(fake)
    first = await client.messages.create(model="claude-sonnet-4-6", max_tokens=50, system=system, messages=USER)
    prefix = len(LONG) // 4
    assert first.usage.cache_creation_input_tokens == prefix and first.usage.cache_read_input_tokens == 0
    assert first.usage.input_tokens > 0

    other: Any = [{"role": "user", "content": "And the boiler?"}]
    async with client.messages.stream(
        model="claude-sonnet-4-6", max_tokens=50, system=system, messages=other
    ) as stream:
        second = await stream.get_final_message()
    assert second.usage.cache_read_input_tokens == prefix and second.usage.cache_creation_input_tokens == 0

    # The cache is per model, and haiku needs 2048 tokens before it caches anything.
    haiku = await client.messages.create(model="claude-haiku-4-5", max_tokens=50, system=system, messages=USER)
    assert haiku.usage.cache_creation_input_tokens == 0 and haiku.usage.cache_read_input_tokens == 0
    # No breakpoint, no caching.
    plain = await client.messages.create(model="claude-sonnet-4-6", max_tokens=50, system=LONG, messages=USER)
    assert plain.usage.cache_read_input_tokens == 0 and plain.usage.cache_creation_input_tokens == 0

    fake.reset()
    again = await client.messages.create(model="claude-sonnet-4-6", max_tokens=50, system=system, messages=USER)
    assert again.usage.cache_creation_input_tokens == prefix and fake.requests[0].body["system"] == system


async def test_openai_automatic_prompt_cache(fake: FakeLLMServer) -> None:
    client = gpt(fake)
    base: Any = [{"role": "system", "content": LONG}]
    first = await client.chat.completions.create(model="gpt-5", messages=[*base, *USER])
    assert first.usage is not None and first.usage.prompt_tokens_details is not None
    assert first.usage.prompt_tokens >= 1024 and first.usage.prompt_tokens_details.cached_tokens == 0

    second = await client.chat.completions.create(
        model="gpt-5", messages=[*base, {"role": "user", "content": "And the boiler?"}]
    )
    assert second.usage is not None and second.usage.prompt_tokens_details is not None
    cached = second.usage.prompt_tokens_details.cached_tokens or 0
    assert cached >= 1024 and cached % 128 == 0 and cached <= second.usage.prompt_tokens

    short = await client.chat.completions.create(model="gpt-5", messages=USER)
    short2 = await client.chat.completions.create(model="gpt-5", messages=USER)
    assert short.usage is not None and short2.usage is not None and short2.usage.prompt_tokens_details is not None
    assert short2.usage.prompt_tokens_details.cached_tokens == 0  # under 1024 tokens: never cached


# --------------------------------------------------------------------------- errors


async def test_rate_limit_surfaces_as_sdk_errors(fake: FakeLLMServer) -> None:
    fake.script([Fail(status=429, retry_after=1.0), Fail(status=429, retry_after=2.5, message="slow down")])
    with pytest.raises(anthropic.RateLimitError) as a_err:
        await claude(fake).messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=USER)
    assert a_err.value.status_code == 429 and a_err.value.type == "rate_limit_error"
    assert a_err.value.response.headers["retry-after"] == "1"
    assert a_err.value.response.headers["retry-after-ms"] == "1000"

    with pytest.raises(openai.RateLimitError) as o_err:
        await gpt(fake).chat.completions.create(model="gpt-5", messages=USER)
    assert o_err.value.status_code == 429 and o_err.value.code == "rate_limit_exceeded"
    assert "slow down" in str(o_err.value) and o_err.value.response.headers["retry-after"] == "2.5"


async def test_sdk_retries_through_a_rate_limit(fake: FakeLLMServer) -> None:
    fake.script([Fail(status=429, retry_after=0.05), Reply(text="after retry")])
    msg = await claude(fake, retries=2).messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=USER)
    assert msg.content[0].type == "text" and msg.content[0].text == "after retry"

    fake.script([Fail(status=429, retry_after=0.05), Fail(status=500, retry_after=0.05), Reply(text="third time")])
    completion = await gpt(fake, retries=2).chat.completions.create(model="gpt-5", messages=USER)
    assert completion.choices[0].message.content == "third time"
    assert len(fake.requests) == 5


async def test_overloaded_529_and_server_errors(fake: FakeLLMServer) -> None:
    fake.script([Fail(status=529), Fail(status=500), Fail(status=503)])
    client = claude(fake)
    with pytest.raises(anthropic.InternalServerError) as err:
        await client.messages.create(model="claude-opus-4-7", max_tokens=10, messages=USER)
    assert isinstance(err.value, anthropic.APIStatusError) and err.value.status_code == 529
    assert err.value.type == "overloaded_error" and err.value.body is not None
    with pytest.raises(anthropic.InternalServerError) as err500:
        await client.messages.create(model="claude-opus-4-7", max_tokens=10, messages=USER, stream=True)
    assert err500.value.status_code == 500 and err500.value.type == "api_error"
    with pytest.raises(openai.InternalServerError) as err503:
        await gpt(fake).chat.completions.create(model="gpt-5", messages=USER)
    assert err503.value.status_code == 503


async def test_missing_key_is_401_and_bad_requests_are_400(fake: FakeLLMServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{fake.base_url}/v1/messages", json={"model": "x", "max_tokens": 1, "messages": USER}
        ) as r:
            assert r.status == 401
            body = await r.json()
            assert body["type"] == "error" and body["error"]["type"] == "authentication_error"
        async with http.post(f"{fake.openai_base_url}/chat/completions", json={"model": "x", "messages": USER}) as r:
            assert r.status == 401
            assert (await r.json())["error"]["code"] == "invalid_api_key"
        async with http.post(f"{fake.base_url}/v1/messages", data=b"{not json", headers={"x-api-key": "k"}) as r:
            assert r.status == 400
    with pytest.raises(anthropic.BadRequestError):
        await claude(fake).messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=[])


# --------------------------------------------------------------------------- modelled behaviour


async def test_modelled_is_deterministic_given_seed() -> None:
    async def outcomes(seed: int) -> list[str]:
        async with FakeLLMServer(seed=seed, latency_scale=0.0) as server:
            client = claude(server)
            out = []
            for i in range(12):
                msg = await client.messages.create(
                    model="claude-haiku-4-5",
                    max_tokens=50,
                    messages=[{"role": "user", "content": f"question {i}"}],
                    extra_headers={"x-fake-difficulty": "0.45"},
                )
                out.append(msg.content[0].text if msg.content[0].type == "text" else "")
            return out

    a, b, c = await outcomes(0), await outcomes(0), await outcomes(1)
    assert a == b
    assert set(a) <= {"OK.", HEDGE_TEXT} and len(set(a)) == 2  # p(haiku, 0.45) = 0.5: both occur
    assert a != c


async def test_competence_orders_the_tiers(fake: FakeLLMServer) -> None:
    assert success_probability("claude-opus-4-7", 0.3) > success_probability("gpt-5", 0.3)
    assert success_probability("gpt-5", 0.3) > success_probability("gpt-5-mini", 0.3)
    wins: dict[str, int] = {}
    client = claude(fake)
    for model in ("claude-haiku-4-5", "claude-opus-4-7"):
        wins[model] = 0
        for i in range(40):
            msg = await client.messages.create(
                model=model, max_tokens=50, messages=[{"role": "user", "content": f"case {i}"}]
            )
            wins[model] += msg.content[0].type == "text" and msg.content[0].text == "OK."
    assert wins["claude-opus-4-7"] > wins["claude-haiku-4-5"] >= 10


async def test_oracle_success_and_failure(fake: FakeLLMServer) -> None:
    oracle = encode_oracle(tool_calls=[ToolCall("find_slots", {"kind": "maintenance", "unit": "4B"})])
    seen = {"right": 0, "wrong": 0, "no call": 0}
    client = gpt(fake)
    for i in range(30):
        completion = await client.chat.completions.create(
            model="gpt-5-nano",
            messages=[{"role": "user", "content": f"ticket {i}"}],
            tools=[FIND_SLOTS_OPENAI],
            extra_headers={"x-fake-oracle": oracle, "x-fake-difficulty": "0.5"},
        )
        message = completion.choices[0].message
        if message.tool_calls:
            call = message.tool_calls[0]
            assert call.type == "function"
            args = json.loads(call.function.arguments)
            if args == {"kind": "maintenance", "unit": "4B"}:
                seen["right"] += 1
                assert completion.choices[0].finish_reason == "tool_calls"
            else:  # a wrong value or a missing argument: never silently the same call
                assert call.function.name == "find_slots" and set(args) <= {"kind", "unit"}
                seen["wrong"] += 1
        else:
            assert message.content in (HEDGE_TEXT, REFUSAL_TEXT)
            seen["no call"] += 1
    assert all(v > 0 for v in seen.values()), seen

    text_oracle = encode_oracle(text="Your plumber comes Tuesday at 10.")
    msg = await claude(fake).messages.create(
        model="claude-opus-4-7",
        max_tokens=100,
        messages=USER,
        extra_headers={"x-fake-oracle": text_oracle, "x-fake-difficulty": "0"},
    )
    assert msg.content[0].type == "text" and msg.content[0].text == "Your plumber comes Tuesday at 10."


async def test_logprobs_presence_rules(fake: FakeLLMServer, openai_spec: dict[str, Any]) -> None:
    client = gpt(fake)
    raw = await client.chat.completions.with_raw_response.create(
        model="gpt-4.1-mini", messages=USER, logprobs=True, top_logprobs=2
    )
    check_spec(openai_spec, "CreateChatCompletionResponse", raw.http_response.json())
    choice = raw.parse().choices[0]
    assert choice.logprobs is not None and choice.logprobs.content
    assert "".join(t.token for t in choice.logprobs.content) == choice.message.content
    assert all(len(t.top_logprobs) == 2 and t.bytes == list(t.token.encode()) for t in choice.logprobs.content)
    mean = sum(t.logprob for t in choice.logprobs.content) / len(choice.logprobs.content)
    assert -0.1 < mean < 0 if choice.message.content == "OK." else mean < -1.0

    for model in ("gpt-5", "gpt-5-mini"):
        no = await client.chat.completions.create(model=model, messages=USER, logprobs=True)
        assert no.choices[0].logprobs is None
    unasked = await client.chat.completions.create(model="gpt-4.1-mini", messages=USER)
    assert unasked.choices[0].logprobs is None

    stream = await client.chat.completions.create(model="llama-3-8b", messages=USER, logprobs=True, stream=True)
    streamed = [
        t
        for c in [c async for c in stream]
        if c.choices and c.choices[0].logprobs
        for t in c.choices[0].logprobs.content or []
    ]
    assert streamed and all(t.logprob <= 0 for t in streamed)

    fake.script([Reply(text="yes", logprobs=[-0.01])])
    scripted = await client.chat.completions.create(model="gpt-4.1-mini", messages=USER, logprobs=True)
    lp = scripted.choices[0].logprobs
    assert lp is not None and [(t.token, t.logprob) for t in lp.content or []] == [("yes", -0.01)]


# --------------------------------------------------------------------------- script controls


async def test_script_pinned_to_model_and_delays(fake: FakeLLMServer) -> None:
    fake.script([Reply(text="for sonnet")], model="claude-sonnet-4-6")
    fake.script([Slow(0.2, text="slow")])
    client = claude(fake)
    t0 = time.perf_counter()
    msg = await client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=USER)
    assert msg.content[0].type == "text" and msg.content[0].text == "slow"
    assert time.perf_counter() - t0 >= 0.2
    msg = await client.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=USER)
    assert msg.content[0].type == "text" and msg.content[0].text == "for sonnet"
    assert fake.pending == 0

    fake.script([Reply(text="late", ttft_s=0.15)])
    t0 = time.perf_counter()
    async with client.messages.stream(model="claude-haiku-4-5", max_tokens=10, messages=USER) as stream:
        first_at = None
        async for _ in stream.text_stream:
            first_at = first_at or time.perf_counter() - t0
    assert first_at is not None and first_at >= 0.15


async def test_models_endpoint_for_both_sdks(fake: FakeLLMServer) -> None:
    a_ids = [m.id async for m in claude(fake).models.list()]
    o_ids = [m.id async for m in gpt(fake).models.list()]
    assert a_ids == o_ids == list(fake.models)
    assert (await gpt(fake).models.retrieve("gpt-5")).owned_by == "fakellm"
    info = await claude(fake).models.retrieve("claude-opus-4-7")
    assert info.type == "model" and info.created_at.year == 2025


async def test_script_file_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "script.json"
    path.write_text(
        json.dumps(
            [
                {"text": "scripted", "model": "gpt-5"},
                {"status": 429, "retry_after": 1},
                {"tool_calls": [{"name": "find_slots", "arguments": {"kind": "x"}}], "usage": {"output_tokens": 7}},
            ]
        )
    )
    entries = load_script(path)
    assert [m for m, _ in entries] == ["gpt-5", None, None]
    assert entries[1][1] == Fail(status=429, retry_after=1.0)

    parser = argparse.ArgumentParser()
    fake_commands.register(parser.add_subparsers())
    args = parser.parse_args(["fake-llm", "--port", "0", "--seed", "3", "--script", str(path), "--latency-scale", "0"])
    ready = asyncio.Event()
    task = asyncio.create_task(fake_commands.serve(args, ready))
    await asyncio.wait_for(ready.wait(), 5)
    out = capsys.readouterr().out
    base = next(line.split("=", 1)[1] for line in out.splitlines() if "OPENAI_BASE_URL=" in line)
    assert "ANTHROPIC_BASE_URL=http://127.0.0.1:" in out and "3 from" in out
    client = openai.AsyncOpenAI(base_url=base, api_key="test", max_retries=0)
    first = await client.chat.completions.create(model="gpt-5", messages=USER)
    assert first.choices[0].message.content == "scripted"
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model="gpt-5", messages=USER)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

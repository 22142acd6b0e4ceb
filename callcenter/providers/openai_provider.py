"""OpenAI Chat Completions through the official `openai` SDK (AsyncOpenAI).

The same provider serves any OpenAI-compatible server (vLLM, llama.cpp, Ollama): the
catalog entry's `base_url` picks the endpoint, and only parameters such servers accept
are sent to them.

Usage normalisation matters here: OpenAI's `prompt_tokens` INCLUDES the cached tokens
(`prompt_tokens_details.cached_tokens`), so uncached input = prompt - cached. Counting
prompt_tokens as uncached input and cached tokens again as reads overstates cost.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from callcenter.providers.base import (
    ChatMessage,
    ModelInfo,
    ModelRequest,
    ModelResponse,
    OnDelta,
    ProviderError,
    ToolCallRequest,
    parse_retry_after,
    parse_tool_arguments,
)
from callcenter.providers.cache_plan import CachePlan
from callcenter.providers.caching import layout_tools, sorted_tools
from callcenter.providers.keepalive import kept_open
from callcenter.types import Usage

COMPATIBLE = "openai_compatible"

_STOP_REASONS = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


def normalise_stop_reason(raw: str | None) -> str:
    if raw is None:
        return "end_turn"
    return _STOP_REASONS.get(raw, raw)


def _message(msg: ChatMessage) -> dict[str, Any]:
    if msg.role == "tool":
        text = f"ERROR: {msg.text}" if msg.is_error else msg.text
        return {"role": "tool", "tool_call_id": msg.tool_call_id or "", "content": text}
    if msg.role == "assistant" and msg.tool_calls:
        return {
            "role": "assistant",
            "content": msg.text or None,
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.raw_arguments},
                }
                for c in msg.tool_calls
            ],
        }
    return {"role": msg.role, "content": msg.text}


async def _post(client: openai.AsyncOpenAI, body: dict[str, Any], headers: dict[str, str], *, stream: bool) -> Any:
    """`chat.completions.create`, less the SDK's walk over every parameter against its TypedDicts.

    `build_request` already writes the body the API takes, and that walk (over the messages and
    the tools' nested JSON Schemas) cost more CPU than the rest of our turn. The SDK's own client
    still sends it: same retries, headers, errors and response types.
    """
    return await client.post(
        "/chat/completions",
        body=body,
        cast_to=ChatCompletion,
        options={"headers": headers},
        stream=stream,
        stream_cls=openai.AsyncStream[ChatCompletionChunk],
    )


def build_request(model: ModelInfo, request: ModelRequest, plan: CachePlan | None = None) -> dict[str, Any]:
    """The kwargs for `chat.completions.create` (pure).

    The prefix is kept byte-stable for OpenAI's automatic prompt cache: system first,
    tools in name order, and `prompt_cache_key` so requests sharing a prefix land on the
    same cache. In the shared layout (when the cache plan picks it for this model) every
    agent sends all tools and the shared system message, names its own tools in
    `allowed_tools`, and shares one key (one per agent above the key's request rate).
    """
    model_plan = plan.get(model.id) if plan is not None else None
    compatible = model.provider == COMPATIBLE
    shared = bool(request.shared_system) and (model_plan is None or model_plan.uses_shared(request.agent))
    messages: list[dict[str, Any]] = []
    for text in [request.shared_system, request.system] if shared else [request.system]:
        if text:
            messages.append({"role": "system", "content": text})
    messages.extend(_message(m) for m in request.messages)
    kwargs: dict[str, Any] = {"model": model.model, "messages": messages}
    tools = layout_tools(request, shared=shared)
    if tools:
        kwargs["tools"] = [t.openai_schema() for t in sorted_tools(tools)]
        if shared and request.allowed_tools is not None and not compatible:
            kwargs["tool_choice"] = (
                {
                    "type": "allowed_tools",
                    "allowed_tools": {
                        "mode": "auto",
                        "tools": [{"type": "function", "function": {"name": name}} for name in request.allowed_tools],
                    },
                }
                if request.allowed_tools
                else "none"
            )
    if compatible:
        kwargs["max_tokens"] = request.max_tokens
    else:
        kwargs["max_completion_tokens"] = request.max_tokens
        key = request.cache_key
        if request.shared_system and not shared and request.agent:
            key = f"callcenter:{request.agent}"
        elif key and model_plan is not None and model_plan.key_per_agent and request.agent:
            key = f"{key}:{request.agent}"
        if key:
            kwargs["prompt_cache_key"] = key
        if model.reasoning_effort:
            kwargs["reasoning_effort"] = model.reasoning_effort
    if model.supports_temperature:
        kwargs["temperature"] = request.temperature
    if request.want_logprobs and model.logprobs:
        kwargs["logprobs"] = True
    return kwargs


def usage_from(raw: Any) -> Usage:
    """Our Usage from an OpenAI CompletionUsage: uncached input = prompt - cached.

    OpenAI bills cache writes at the plain input price, so there is no separate write
    count: written tokens stay in input_tokens.
    """
    if raw is None:
        return Usage()
    details = getattr(raw, "prompt_tokens_details", None)
    cached = int(getattr(details, "cached_tokens", 0) or 0) if details is not None else 0
    prompt = int(raw.prompt_tokens or 0)
    return Usage(
        input_tokens=max(prompt - cached, 0),
        output_tokens=int(raw.completion_tokens or 0),
        cache_write_tokens=0,
        cache_read_tokens=cached,
    )


def mean_token_probability(logprobs: list[float]) -> float | None:
    """Mean of exp(logprob) over the generated tokens: a 0..1 confidence signal."""
    if not logprobs:
        return None
    return sum(math.exp(lp) for lp in logprobs) / len(logprobs)


def map_error(err: Exception) -> ProviderError:
    """SDK exception -> ProviderError: 408/409/429/5xx, timeouts and connection drops retry."""
    if isinstance(err, openai.APIStatusError):
        status = err.status_code
        retry_after = parse_retry_after(err.response.headers if err.response is not None else None)
        retryable = status in (408, 409, 429) or status >= 500
        return ProviderError(
            f"openai {status}: {err.message}", retryable=retryable, status=status, retry_after=retry_after
        )
    if isinstance(err, openai.APITimeoutError):
        return ProviderError("openai timeout", retryable=True)
    if isinstance(err, openai.APIConnectionError):
        return ProviderError(f"openai connection error: {err}", retryable=True)
    return ProviderError(f"openai error: {err}", retryable=False)


class OpenAIProvider:
    """Provider over AsyncOpenAI, one client per base_url. SDK retries are off: ModelClient owns them."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        name: str = "openai",
        cache_plan: CachePlan | None = None,
    ) -> None:
        self.name = name
        self.cache_plan = cache_plan
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._clients: dict[tuple[str | None, str | None], openai.AsyncOpenAI] = {}

    def _client_for(self, model: ModelInfo) -> openai.AsyncOpenAI:
        base_url = model.base_url or self._base_url
        api_key = self._api_key
        if model.api_key_env:
            api_key = os.environ.get(model.api_key_env, api_key)
        if api_key is None:
            api_key = "not-needed"  # local servers usually accept any key
        key = (base_url, api_key)
        client = self._clients.get(key)
        if client is None:
            client = openai.AsyncOpenAI(
                api_key=api_key,
                base_url=base_url,
                max_retries=0,
                timeout=self._timeout_s,
                http_client=openai.DefaultAsyncHttpxClient(limits=kept_open(openai.DEFAULT_CONNECTION_LIMITS)),
            )  # the connection outlives a customer's pause between turns (providers/keepalive.py)
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    async def complete(self, model: ModelInfo, request: ModelRequest, on_delta: OnDelta | None = None) -> ModelResponse:
        kwargs = build_request(model, request, self.cache_plan)
        client = self._client_for(model)
        headers = dict(request.extra_headers)
        started = time.perf_counter()
        try:
            if on_delta is None:
                completion = await _post(client, kwargs, headers, stream=False)
                return self._from_completion(model, completion, started)
            return await self._stream(client, model, kwargs, headers, on_delta, started)
        except openai.OpenAIError as err:
            raise map_error(err) from err

    def _from_completion(self, model: ModelInfo, completion: Any, started: float) -> ModelResponse:
        if not completion.choices:
            raise ProviderError("openai: response has no choices", retryable=True)
        choice = completion.choices[0]
        message = choice.message
        calls = []
        for call in message.tool_calls or []:
            function = getattr(call, "function", None)
            if function is None:
                continue
            raw = function.arguments or ""
            calls.append(ToolCallRequest(call.id, function.name, raw, parse_tool_arguments(raw)))
        stop = normalise_stop_reason(choice.finish_reason)
        text = message.content or ""
        if message.refusal:
            stop, text = "refusal", message.refusal
        logprobs = [t.logprob for t in (choice.logprobs.content or [])] if choice.logprobs else []
        return ModelResponse(
            text=text,
            tool_calls=calls,
            stop_reason=stop,
            usage=usage_from(completion.usage),
            logprob_confidence=mean_token_probability(logprobs),
            model=model,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            ttft_ms=None,
        )

    async def _stream(
        self,
        client: openai.AsyncOpenAI,
        model: ModelInfo,
        kwargs: dict[str, Any],
        headers: dict[str, str],
        on_delta: OnDelta,
        started: float,
    ) -> ModelResponse:
        texts: list[str] = []
        refusal: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        logprobs: list[float] = []
        finish: str | None = None
        usage = Usage()
        ttft_ms: float | None = None
        body = {**kwargs, "stream": True, "stream_options": {"include_usage": True}}
        stream = await _post(client, body, headers, stream=True)
        async for chunk in stream:
            if chunk.usage is not None:
                usage = usage_from(chunk.usage)
            for choice in chunk.choices:
                if choice.index != 0:
                    continue
                delta = choice.delta
                if delta.content:
                    if ttft_ms is None:
                        ttft_ms = (time.perf_counter() - started) * 1000.0
                    texts.append(delta.content)
                    await on_delta(delta.content)
                if delta.refusal:
                    refusal.append(delta.refusal)
                for tc in delta.tool_calls or []:
                    if ttft_ms is None:
                        ttft_ms = (time.perf_counter() - started) * 1000.0
                    slot = calls.setdefault(tc.index, {"id": "", "name": "", "args": []})
                    if tc.id:
                        slot["id"] = tc.id
                    if tc.function is not None:
                        if tc.function.name:
                            slot["name"] += tc.function.name
                        if tc.function.arguments:
                            slot["args"].append(tc.function.arguments)
                if choice.logprobs is not None and choice.logprobs.content:
                    logprobs.extend(t.logprob for t in choice.logprobs.content)
                if choice.finish_reason:
                    finish = choice.finish_reason
        tool_calls = []
        for index in sorted(calls):
            slot = calls[index]
            raw = "".join(slot["args"])
            tool_calls.append(ToolCallRequest(slot["id"], slot["name"], raw, parse_tool_arguments(raw)))
        stop = normalise_stop_reason(finish)
        text = "".join(texts)
        if refusal:
            stop, text = "refusal", "".join(refusal)
        return ModelResponse(
            text=text,
            tool_calls=tool_calls,
            stop_reason=stop,
            usage=usage,
            logprob_confidence=mean_token_probability(logprobs),
            model=model,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            ttft_ms=ttft_ms,
        )

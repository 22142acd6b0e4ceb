"""Anthropic Messages API through the official `anthropic` SDK (AsyncAnthropic).

Translates ModelRequest into Messages kwargs (tools, a cacheable system prompt, tool
results as `tool_result` blocks), and the response or event stream back into a
ModelResponse with usage normalised: Anthropic's `input_tokens` already excludes cache
reads and writes, so the three counts map one to one.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anthropic
import structlog

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
from callcenter.providers.caching import apply_anthropic_cache, apply_shared_layout_cache, layout_tools, sorted_tools
from callcenter.providers.keepalive import kept_open
from callcenter.types import Usage

log = structlog.get_logger(__name__)

_STOP_REASONS = {
    "end_turn": "end_turn",
    "stop_sequence": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "refusal": "refusal",
}
_RETRYABLE_ERROR_TYPES = {"overloaded_error", "rate_limit_error", "api_error", "timeout_error"}


def normalise_stop_reason(raw: str | None) -> str:
    if raw is None:
        return "end_turn"
    return _STOP_REASONS.get(raw, raw)


def _message_blocks(msg: ChatMessage) -> list[dict[str, Any]]:
    if msg.role == "tool":
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": msg.tool_call_id or "",
            "content": msg.text,
        }
        if msg.is_error:
            block["is_error"] = True
        return [block]
    blocks: list[dict[str, Any]] = []
    if msg.text:
        blocks.append({"type": "text", "text": msg.text})
    for call in msg.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments or {}})
    return blocks


def build_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Anthropic `messages`: tool results become user turns, and consecutive same-role
    turns are merged (the API wants strict user/assistant alternation, with all results of
    a parallel tool call in one user message)."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        role = "assistant" if msg.role == "assistant" else "user"
        blocks = _message_blocks(msg)
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def build_request(model: ModelInfo, request: ModelRequest, plan: CachePlan | None = None) -> dict[str, Any]:
    """The kwargs for `messages.create`, cache breakpoints included (pure).

    A request in the shared layout (`shared_system` set) is sent as laid out when the cache
    plan picks that layout for this model (or there is no plan), else in the agent's own
    layout: only its allowed tools and its instructions.
    """
    kwargs: dict[str, Any] = {
        "model": model.model,
        "max_tokens": request.max_tokens,
        "messages": build_messages(request.messages),
    }
    model_plan = plan.get(model.id) if plan is not None else None
    shared = bool(request.shared_system) and (model_plan is None or model_plan.uses_shared(request.agent))
    tools = layout_tools(request, shared=shared)
    system = [request.shared_system, request.system] if shared else [request.system]
    kwargs["system"] = [{"type": "text", "text": text} for text in system if text]
    if not kwargs["system"]:
        del kwargs["system"]
    if tools:
        kwargs["tools"] = [t.anthropic_schema() for t in sorted_tools(tools)]
        if shared and request.allowed_tools == ():
            kwargs["tool_choice"] = {"type": "none"}  # the agent has no tools of its own
    # No temperature: the current Messages API (SDK 2.x) has no sampling parameters;
    # determinism comes from the prompt and tool schemas instead.
    if not shared:
        own = model_plan.breakpoints(request.agent)[0] if model_plan is not None and request.agent else True
        if own:
            apply_anthropic_cache(kwargs, model.min_cacheable_tokens)
        return kwargs
    if model_plan is not None:
        shared_bp, agent_bp = model_plan.breakpoints(request.agent)
    else:
        shared_bp = agent_bp = True
    tail = bool(tools) or len(request.messages) > 1
    apply_shared_layout_cache(kwargs, model.min_cacheable_tokens, shared=shared_bp, agent=agent_bp, tail=tail)
    return kwargs


def usage_from(raw: Any) -> Usage:
    """Our Usage from an Anthropic usage object (input_tokens is already uncached-only)."""
    return Usage(
        input_tokens=int(getattr(raw, "input_tokens", 0) or 0),
        output_tokens=int(getattr(raw, "output_tokens", 0) or 0),
        cache_write_tokens=int(getattr(raw, "cache_creation_input_tokens", 0) or 0),
        cache_read_tokens=int(getattr(raw, "cache_read_input_tokens", 0) or 0),
    )


def map_error(err: Exception) -> ProviderError:
    """SDK exception -> ProviderError: 408/409/429/5xx/529, timeouts and connection drops retry."""
    if isinstance(err, anthropic.APIStatusError):
        status = err.status_code
        headers = err.response.headers if err.response is not None else None
        retry_after = parse_retry_after(headers)
        err_type = _error_type(err.body)
        retryable = status in (408, 409, 429) or status >= 500 or err_type in _RETRYABLE_ERROR_TYPES
        return ProviderError(
            f"anthropic {status}: {err.message}", retryable=retryable, status=status, retry_after=retry_after
        )
    if isinstance(err, anthropic.APITimeoutError):
        return ProviderError("anthropic timeout", retryable=True)
    if isinstance(err, anthropic.APIConnectionError):
        return ProviderError(f"anthropic connection error: {err}", retryable=True)
    if isinstance(err, anthropic.APIError):
        return ProviderError(f"anthropic error: {err}", retryable=_error_type(err.body) in _RETRYABLE_ERROR_TYPES)
    return ProviderError(f"anthropic client error: {err}", retryable=False)


def _error_type(body: object) -> str | None:
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("type"), str):
            return str(inner["type"])
        if isinstance(body.get("type"), str):
            return str(body["type"])
    return None


class AnthropicProvider:
    """Provider over AsyncAnthropic. The SDK's own retries are off: ModelClient owns them."""

    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        client: anthropic.AsyncAnthropic | None = None,
        cache_plan: CachePlan | None = None,
        cache_diagnostics: bool = False,
    ) -> None:
        self._client = client or anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            timeout=timeout_s,
            http_client=anthropic.DefaultAsyncHttpxClient(limits=kept_open(anthropic.DEFAULT_CONNECTION_LIMITS)),
        )  # the connection outlives a customer's pause between turns (providers/keepalive.py)
        self.cache_plan = cache_plan
        self.cache_diagnostics = cache_diagnostics
        self._previous: dict[tuple[str, str], str] = {}  # (model, agent) -> last message id

    async def aclose(self) -> None:
        await self._client.close()

    async def complete(self, model: ModelInfo, request: ModelRequest, on_delta: OnDelta | None = None) -> ModelResponse:
        kwargs = build_request(model, request, self.cache_plan)
        lineage = (model.id, request.agent)
        if self.cache_diagnostics:
            kwargs["diagnostics"] = {"previous_message_id": self._previous.get(lineage)}
        headers = dict(request.extra_headers)
        started = time.perf_counter()
        try:
            if on_delta is None:
                message = await self._client.messages.create(**kwargs, extra_headers=headers)
                self._diagnosed(lineage, message)
                return self._from_message(model, message, started)
            return await self._stream(model, kwargs, headers, on_delta, started, lineage)
        except anthropic.AnthropicError as err:
            raise map_error(err) from err

    def _diagnosed(self, lineage: tuple[str, str], message: Any) -> None:
        """Remember the message id for the next request of this model and agent, and log why the
        prompt cache could not reuse the previous one's prefix (cache diagnostics). A change in
        the model, system prompt or tools means the shared prefix is not stable: a warning; a
        different conversation after the same prefix is expected: debug."""
        if not self.cache_diagnostics:
            return
        self._previous[lineage] = str(message.id)
        diagnostics = getattr(message, "diagnostics", None)
        reason = getattr(diagnostics, "cache_miss_reason", None) if diagnostics is not None else None
        if reason is None:
            return
        kind = str(getattr(reason, "type", "unknown"))
        level = log.warning if kind in ("model_changed", "system_changed", "tools_changed") else log.debug
        level(
            "model.cache_miss",
            model=lineage[0],
            agent=lineage[1],
            reason=kind,
            missed_tokens=getattr(reason, "cache_missed_input_tokens", None),
        )

    def _from_message(self, model: ModelInfo, message: Any, started: float) -> ModelResponse:
        texts: list[str] = []
        calls: list[ToolCallRequest] = []
        for block in message.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                # `input` is parsed JSON; a string means the server could not parse it.
                raw = block.input if isinstance(block.input, str) else json.dumps(block.input)
                calls.append(ToolCallRequest(block.id, block.name, raw, parse_tool_arguments(raw)))
        return ModelResponse(
            text="".join(texts),
            tool_calls=calls,
            stop_reason=normalise_stop_reason(message.stop_reason),
            usage=usage_from(message.usage),
            logprob_confidence=None,
            model=model,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            ttft_ms=None,
        )

    async def _stream(
        self,
        model: ModelInfo,
        kwargs: dict[str, Any],
        headers: dict[str, str],
        on_delta: OnDelta,
        started: float,
        lineage: tuple[str, str] = ("", ""),
    ) -> ModelResponse:
        texts: list[str] = []
        tool_blocks: dict[int, dict[str, Any]] = {}
        usage: dict[str, int] = {}
        stop_reason: str | None = None
        ttft_ms: float | None = None
        stream = await self._client.messages.create(**kwargs, stream=True, extra_headers=headers)
        async for event in stream:
            if event.type == "message_start":
                _merge_usage(usage, event.message.usage)
                self._diagnosed(lineage, event.message)
            elif event.type == "content_block_start":
                block = event.content_block
                if block.type == "tool_use":
                    tool_blocks[event.index] = {"id": block.id, "name": block.name, "json": []}
                    if ttft_ms is None:
                        ttft_ms = (time.perf_counter() - started) * 1000.0
            elif event.type == "content_block_delta":
                delta = event.delta
                if delta.type == "text_delta":
                    if ttft_ms is None:
                        ttft_ms = (time.perf_counter() - started) * 1000.0
                    texts.append(delta.text)
                    await on_delta(delta.text)
                elif delta.type == "input_json_delta" and event.index in tool_blocks:
                    tool_blocks[event.index]["json"].append(delta.partial_json)
            elif event.type == "message_delta":
                stop_reason = event.delta.stop_reason or stop_reason
                _merge_usage(usage, event.usage)
        calls = []
        for index in sorted(tool_blocks):
            tb = tool_blocks[index]
            raw = "".join(tb["json"]) or "{}"
            calls.append(ToolCallRequest(tb["id"], tb["name"], raw, parse_tool_arguments(raw)))
        return ModelResponse(
            text="".join(texts),
            tool_calls=calls,
            stop_reason=normalise_stop_reason(stop_reason),
            usage=Usage(
                input_tokens=usage.get("input_tokens", 0),
                output_tokens=usage.get("output_tokens", 0),
                cache_write_tokens=usage.get("cache_creation_input_tokens", 0),
                cache_read_tokens=usage.get("cache_read_input_tokens", 0),
            ),
            logprob_confidence=None,
            model=model,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            ttft_ms=ttft_ms,
        )


def _merge_usage(acc: dict[str, int], raw: Any) -> None:
    """message_start carries input counts, message_delta the (cumulative) final ones;
    a later non-null value wins."""
    for key in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        value = getattr(raw, key, None)
        if value is not None:
            acc[key] = int(value)

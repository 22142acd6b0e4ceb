"""The provider contract: plain dataclasses in, plain dataclasses out.

The orchestrator speaks only these types; each provider module translates them to
one vendor SDK. Keeping the contract free of SDK types is what lets a step move
between Anthropic, OpenAI and a local OpenAI-compatible server without the caller
noticing.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from callcenter.tooling.toolkit import Tool
from callcenter.types import StepType, Tier, Usage

Role = Literal["user", "assistant", "tool"]
OnDelta = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PriceEntry:
    """USD per million tokens, in force from `effective_from` until a later entry starts."""

    effective_from: date
    input: Decimal
    output: Decimal
    cache_write_5m: Decimal = Decimal(0)
    cache_write_1h: Decimal = Decimal(0)
    cache_read: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One catalog entry. `id` is the catalog key, `model` the id sent to the API."""

    id: str
    provider: str
    model: str
    tier: Tier
    prices: tuple[PriceEntry, ...]
    min_cacheable_tokens: int = 0
    logprobs: bool = False
    prices_read_on: date | None = None
    base_url: str | None = None
    enabled: bool = True
    supports_temperature: bool = True
    reasoning_effort: str | None = None
    api_key_env: str | None = None

    def prices_on(self, day: date) -> PriceEntry:
        """The price entry in force on `day`: the latest one that started on or before it.

        A day before every entry gets the earliest entry, so a call is never priced at zero
        just because the catalog's history starts late.
        """
        ordered = sorted(self.prices, key=lambda p: p.effective_from)
        if not ordered:
            raise ValueError(f"model {self.id} has no prices")
        current = ordered[0]
        for entry in ordered:
            if entry.effective_from <= day:
                current = entry
        return current


@dataclass(slots=True)
class ToolCallRequest:
    """A tool call the model asked for. `arguments` is None when `raw_arguments` is not a JSON object."""

    id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None


@dataclass(slots=True)
class ChatMessage:
    role: Role
    text: str = ""
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    tool_call_id: str | None = None
    is_error: bool = False


@dataclass(slots=True)
class ModelRequest:
    """One model step. `shared_system` (when set) is the prefix every agent sends before its own
    `system`, and `tools` is then every agent's tools, of which `allowed_tools` names the ones
    this agent may call (None: all of them); see callcenter/specialists/prompt_layout.py."""

    system: str
    messages: list[ChatMessage]
    tools: Sequence[Tool[Any]] = ()
    shared_system: str = ""
    allowed_tools: tuple[str, ...] | None = None
    step_type: StepType = StepType.RESPONSE
    agent: str = ""
    max_tokens: int = 1024
    temperature: float = 0.0
    cache_key: str | None = None
    want_logprobs: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ModelResponse:
    text: str
    tool_calls: list[ToolCallRequest]
    stop_reason: str
    usage: Usage
    logprob_confidence: float | None
    model: ModelInfo
    latency_ms: float
    ttft_ms: float | None
    cost_usd: Decimal = Decimal(0)
    frontier_cost_usd: Decimal = Decimal(0)
    call_id: int | None = None
    """The model_calls row id of this answer (set by ModelClient when a recorder is present)."""


class ProviderError(Exception):
    """A failed provider call, reduced to what retry and fallback decisions need."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class Provider(Protocol):
    name: str

    async def complete(self, model: ModelInfo, request: ModelRequest, on_delta: OnDelta | None = None) -> ModelResponse:
        """Streams (calling `on_delta` with each text delta) when `on_delta` is given."""
        ...

    async def aclose(self) -> None:
        """Release the SDK client's connections (the runtime calls it once, when it closes)."""
        ...


@dataclass(frozen=True, slots=True)
class ModelCallRecord:
    """One row of `model_calls`: every attempt, successful or not."""

    session_id: str | None
    turn_id: int | None
    agent: str
    step_type: StepType
    provider: str
    model: str
    tier: Tier
    usage: Usage
    cost_usd: Decimal
    frontier_cost_usd: Decimal
    latency_ms: float | None
    ttft_ms: float | None
    escalation_of: int | None
    escalation_reason: str | None
    status: Literal["ok", "error"]
    error: str | None
    prices_read_on: date | None


class CallRecorder(Protocol):
    async def record(self, call: ModelCallRecord) -> int:
        """Persist one attempt; returns its model_calls id."""
        ...


def parse_tool_arguments(raw: str) -> dict[str, Any] | None:
    """The model's argument JSON as a dict, or None when it is not a JSON object."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `retry-after` (seconds or an HTTP date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)

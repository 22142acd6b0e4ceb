"""ModelClient: the one entry point the orchestrator calls for a model step.

It turns "a step of tier T" into a concrete model call: pick the tier's models that have
a configured provider, retry transient errors honouring the server's retry-after, fall
back to another model of the tier and then to the next tier up, price the answer, and
record every attempt (successful or not) so the cost report sees exactly what was paid.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

import structlog

from callcenter.providers.base import (
    CallRecorder,
    ModelCallRecord,
    ModelInfo,
    ModelRequest,
    ModelResponse,
    OnDelta,
    Provider,
    ProviderError,
)
from callcenter.providers.caching import estimate_tokens
from callcenter.providers.catalog import Catalog
from callcenter.providers.cost import cost_usd, frontier_cost_usd
from callcenter.types import Tier, Usage

log = structlog.get_logger(__name__)

MAX_RETRY_WAIT_S = 20.0
"""Longest retry-after we wait out on one model; a longer one means "go elsewhere"."""
BACKOFF_BASE_S = 0.5


@dataclass(frozen=True, slots=True)
class CallContext:
    """Where a call belongs, for the model_calls row."""

    session_id: str | None = None
    turn_id: int | None = None
    escalation_of: int | None = None
    escalation_reason: str | None = None


class AllProvidersFailed(Exception):
    """No model of the requested tier or above answered."""

    def __init__(self, message: str, errors: list[tuple[str, ProviderError]]) -> None:
        super().__init__(message)
        self.errors = errors


def retry_delay(error: ProviderError, attempt: int, cap: float = MAX_RETRY_WAIT_S) -> float | None:
    """Seconds to wait before retry number `attempt` (1-based) on the same model.

    None means do not retry this model: the error is permanent, or the server asked for a
    wait longer than `cap` (in a live conversation another model is the better bet).
    Without a retry-after the wait doubles from BACKOFF_BASE_S.
    """
    if not error.retryable:
        return None
    if error.retry_after is not None:
        return error.retry_after if error.retry_after <= cap else None
    return float(min(BACKOFF_BASE_S * (2 ** (attempt - 1)), cap))


def expected_cost_usd(model: ModelInfo, request: ModelRequest, day: date, output_tokens: int = 150) -> Decimal:
    """A pre-call estimate of one call's cost, for ordering same-tier models.

    The stable prefix (tools and system prompt) is priced as a cache read when it reaches
    the model's minimum cacheable length and the model has a cache price, else as input.
    """
    prices = model.prices_on(day)
    prefix = (
        estimate_tokens([t.name for t in request.tools])
        + estimate_tokens([t.json_schema() for t in request.tools])
        + estimate_tokens(request.system)
    )
    rest = estimate_tokens([m.text for m in request.messages])
    cached = prices.cache_read > 0 and model.min_cacheable_tokens > 0 and prefix >= model.min_cacheable_tokens
    prefix_price = prices.cache_read if cached else prices.input
    per_million = Decimal(prefix) * prefix_price + Decimal(rest) * prices.input + Decimal(output_tokens) * prices.output
    return per_million / Decimal(1_000_000)


class ModelClient:
    def __init__(
        self,
        catalog: Catalog,
        providers: dict[str, Provider],
        recorder: CallRecorder | None = None,
        max_retries: int = 2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        max_retry_wait_s: float = MAX_RETRY_WAIT_S,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.catalog = catalog
        self.providers = providers
        self.recorder = recorder
        self.max_retries = max_retries
        self._sleep = sleep
        self._max_wait = max_retry_wait_s
        self._today = today or (lambda: datetime.now(UTC).date())

    def candidates(self, tier: Tier, request: ModelRequest | None = None) -> list[ModelInfo]:
        """Models to try, in order: the tier's models, then each tier above.

        Within a tier the cheapest model for this request comes first (see
        `expected_cost_usd`), catalog order breaking ties: a model whose cache the prompt's
        stable prefix cannot reach may cost more per call than a pricier one it can.
        """
        out: list[ModelInfo] = []
        today = self._today()
        for value in range(int(tier), int(Tier.FRONTIER) + 1):
            models = self.catalog.models_for(Tier(value), self.providers)
            if request is not None and len(models) > 1:
                models = sorted(models, key=lambda m: expected_cost_usd(m, request, today))
            out.extend(models)
        return out

    async def complete(
        self,
        request: ModelRequest,
        tier: Tier,
        *,
        on_delta: OnDelta | None = None,
        context: CallContext | None = None,
    ) -> ModelResponse:
        context = context or CallContext()
        errors: list[tuple[str, ProviderError]] = []
        models = self.candidates(tier, request)
        if not models:
            raise AllProvidersFailed(f"no configured model for tier {int(tier)} or above", errors)
        for model in models:
            provider = self.providers[model.provider]
            attempt = 0
            while True:
                attempt += 1
                started = time.perf_counter()
                try:
                    response = await provider.complete(model, request, on_delta)
                except ProviderError as err:
                    errors.append((model.id, err))
                    elapsed_ms = (time.perf_counter() - started) * 1000.0
                    await self._record_error(model, request, context, err, elapsed_ms)
                    delay = retry_delay(err, attempt, self._max_wait) if attempt <= self.max_retries else None
                    log.warning(
                        "model_call_failed",
                        model=model.id,
                        status=err.status,
                        retryable=err.retryable,
                        attempt=attempt,
                        retry_in_s=delay,
                    )
                    if delay is None:
                        break
                    await self._sleep(delay)
                    continue
                return await self._finish(model, request, context, response)
        summary = "; ".join(f"{mid}: {err}" for mid, err in errors)
        raise AllProvidersFailed(f"every model failed for tier {int(tier)}+: {summary}", errors)

    async def _finish(
        self, model: ModelInfo, request: ModelRequest, context: CallContext, response: ModelResponse
    ) -> ModelResponse:
        day = self._today()
        cost = cost_usd(response.usage, model.prices_on(day))
        frontier = frontier_cost_usd(response.usage, self.catalog, model.provider, day)
        response = replace(response, cost_usd=cost, frontier_cost_usd=frontier)
        if self.recorder is not None:
            record = self._record(model, request, context, usage=response.usage, cost=cost, frontier=frontier)
            record = replace(record, latency_ms=response.latency_ms, ttft_ms=response.ttft_ms)
            call_id = await self.recorder.record(record)
            response.call_id = call_id
        return response

    async def _record_error(
        self,
        model: ModelInfo,
        request: ModelRequest,
        context: CallContext,
        err: ProviderError,
        elapsed_ms: float,
    ) -> None:
        if self.recorder is None:
            return
        record = self._record(model, request, context, usage=Usage(), cost=Decimal(0), frontier=Decimal(0))
        record = replace(record, status="error", error=str(err)[:2000], latency_ms=elapsed_ms)
        try:
            await self.recorder.record(record)
        except Exception:  # noqa: BLE001 - a failed audit write must not hide the provider error
            log.exception("model_call_record_failed", model=model.id)

    def _record(
        self,
        model: ModelInfo,
        request: ModelRequest,
        context: CallContext,
        *,
        usage: Usage,
        cost: Decimal,
        frontier: Decimal,
    ) -> ModelCallRecord:
        return ModelCallRecord(
            session_id=context.session_id,
            turn_id=context.turn_id,
            agent=request.agent,
            step_type=request.step_type,
            provider=model.provider,
            model=model.id,
            tier=model.tier,
            usage=usage,
            cost_usd=cost,
            frontier_cost_usd=frontier,
            latency_ms=None,
            ttft_ms=None,
            escalation_of=context.escalation_of,
            escalation_reason=context.escalation_reason,
            status="ok",
            error=None,
            prices_read_on=model.prices_read_on,
        )

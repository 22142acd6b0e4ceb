"""ModelClient: the one entry point the orchestrator calls for a model step.

It turns "a step of tier T" into a concrete model call: pick the tier's models that have
a configured provider, retry transient errors honouring the server's retry-after, fall
back to another model of the tier and then to the next tier up, price the answer, and
record every attempt (successful or not) so the cost report sees exactly what was paid.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from callcenter.providers.breaker import CircuitBreaker, Permit
from callcenter.providers.caching import estimate_tokens
from callcenter.providers.catalog import Catalog
from callcenter.providers.cost import cost_usd, frontier_cost_usd
from callcenter.providers.deadline import remaining_s
from callcenter.telemetry.metrics import observe_model_call
from callcenter.telemetry.tracing import span
from callcenter.types import Tier, Usage

log = structlog.get_logger(__name__)

MAX_RETRY_WAIT_S = 20.0
"""Longest retry-after we wait out on one model; a longer one means "go elsewhere"."""
BACKOFF_BASE_S = 0.5
MIN_ATTEMPT_S = 0.05
"""Below this much of the turn's deadline left, no further model call is started."""


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


HANG_CHECK_S = 0.25
"""How often a waiting call looks at its provider's breaker."""


async def watch_call(
    call: Awaitable[ModelResponse],
    breaker: CircuitBreaker,
    permit: Permit,
    limit: float | None,
    heard: Callable[[], float] = lambda: 0.0,
) -> ModelResponse:
    """Await one provider call, giving up (TimeoutError) when it cannot be worth waiting for.

    That is: `limit` passed (the turn's deadline, or a probe's timeout); or the provider looks
    hung - it finished nothing and this call heard nothing from it (`heard`: the monotonic time
    of its last streamed delta) for `breaker.hang_s`; or its breaker opened meanwhile because
    another call found it hung. So calls already waiting on a provider that stopped answering
    are released together, a few seconds in, not one timeout each; a reply still streaming is
    alive however long it is (an Opus reply of 250 tokens takes ~6 s at the modelled 50 tokens/s).
    """
    task = asyncio.ensure_future(call)
    began = time.monotonic()
    try:
        while True:
            wait = HANG_CHECK_S if limit is None else min(HANG_CHECK_S, began + limit - time.monotonic())
            done, _ = await asyncio.wait({task}, timeout=max(0.0, wait))
            if done:
                return task.result()
            waited = time.monotonic() - began
            if limit is not None and waited >= limit:
                raise TimeoutError(f"no answer within {limit:.1f}s")
            if breaker.is_open and not permit.probe:
                raise TimeoutError(f"{breaker.name} stopped answering (breaker opened after {waited:.1f}s)")
            quiet = time.monotonic() - max(began, heard())
            if quiet >= breaker.hang_s and breaker.last_success < began:
                raise TimeoutError(f"{breaker.name} answered nothing for {quiet:.1f}s")
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _hearing(on_delta: OnDelta | None) -> tuple[Callable[[], float], OnDelta | None]:
    """`on_delta` noting when the call last streamed something, and how to read that time."""
    if on_delta is None:
        return lambda: 0.0, None
    last = [0.0]

    async def noted(piece: str) -> None:
        last[0] = time.monotonic()
        await on_delta(piece)

    return lambda: last[0], noted


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
        breaker_factory: Callable[[str], CircuitBreaker] | None = None,
    ) -> None:
        self.catalog = catalog
        self.providers = providers
        self.recorder = recorder
        self.max_retries = max_retries
        self._sleep = sleep
        self._max_wait = max_retry_wait_s
        self._today = today or (lambda: datetime.now(UTC).date())
        self._breaker_factory = breaker_factory or (lambda name: CircuitBreaker(name))
        self.breakers: dict[str, CircuitBreaker] = {}

    def breaker(self, provider: str) -> CircuitBreaker:
        """This process's circuit breaker for `provider` (created closed on first use)."""
        found = self.breakers.get(provider)
        if found is None:
            found = self.breakers[provider] = self._breaker_factory(provider)
        return found

    async def aclose(self) -> None:
        """Close every provider's connections; the runtime calls it when it closes."""
        for provider in self.providers.values():
            await provider.aclose()

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
            breaker = self.breaker(model.provider)
            attempt = 0
            while True:
                permit = breaker.acquire()
                if permit is None:  # open: skip this provider until its cooldown ends
                    errors.append((model.id, ProviderError(f"{model.provider} circuit open", retryable=True)))
                    break
                left = remaining_s()
                if left is not None and left <= MIN_ATTEMPT_S:
                    breaker.release(permit)
                    summary = "; ".join(f"{mid}: {err}" for mid, err in errors)
                    raise AllProvidersFailed(f"turn deadline reached for tier {int(tier)}+: {summary}", errors)
                limits = [t for t in (permit.timeout_s, left) if t is not None]
                limit = min(limits) if limits else None
                attempt += 1
                started = time.perf_counter()
                heard, noted = _hearing(on_delta)
                try:
                    with span("model.call", model=model.id, tier=int(model.tier), attempt=attempt):
                        call = provider.complete(model, request, noted)
                        response = await watch_call(call, breaker, permit, limit, heard)
                except (ProviderError, TimeoutError) as exc:
                    timed_out = isinstance(exc, TimeoutError) or "timeout" in str(exc).lower()
                    err = exc if isinstance(exc, ProviderError) else ProviderError(str(exc), retryable=True)
                    if err.status is None and err.retryable:  # no answer: a timeout, a broken connection
                        breaker.failure(permit, timeout=timed_out)
                    else:  # it answered (429, 5xx, 400): alive; retries and fallback handle the rest
                        breaker.success(permit)
                    errors.append((model.id, err))
                    elapsed_ms = (time.perf_counter() - started) * 1000.0
                    await self._record_error(model, request, context, err, elapsed_ms)
                    delay = retry_delay(err, attempt, self._max_wait) if attempt <= self.max_retries else None
                    left = remaining_s()
                    if delay is not None and (breaker.is_open or (left is not None and delay >= left)):
                        delay = None  # the provider is out, or waiting would outlive the turn
                    log.warning(
                        "model_call_failed",
                        model=model.id,
                        status=err.status,
                        retryable=err.retryable,
                        timeout=timed_out,
                        attempt=attempt,
                        retry_in_s=delay,
                    )
                    if delay is None:
                        break
                    await self._sleep(delay)
                    continue
                breaker.success(permit)
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
        u = response.usage
        observe_model_call(
            provider=model.provider,
            model=model.id,
            tier=int(model.tier),
            status="ok",
            latency_ms=response.latency_ms,
            ttft_ms=response.ttft_ms,
            cost_usd=cost,
            frontier_cost_usd=frontier,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cache_read_tokens=u.cache_read_tokens,
            cache_write_tokens=u.cache_write_tokens,
        )
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
        observe_model_call(
            provider=model.provider,
            model=model.id,
            tier=int(model.tier),
            status="error",
            latency_ms=elapsed_ms,
            ttft_ms=None,
            cost_usd=Decimal(0),
            frontier_cost_usd=Decimal(0),
        )
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

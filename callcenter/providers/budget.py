"""A spending cap for runs against real providers (`callcenter eval --live --max-usd X`).

Every call reserves its worst case before it is sent — the prompt priced as a cache write
(the dearest input) with a pessimistic two characters per token, plus `max_tokens` of
output — and settles to its real cost from the returned usage. A call whose reservation
would take spent + reserved past the cap is not sent at all, so the cap holds even with
calls in flight in parallel. Calls that fail cost nothing and release their reservation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from callcenter.providers.base import ModelInfo, ModelRequest, ModelResponse, OnDelta, Provider, ProviderError
from callcenter.providers.cost import PER_MILLION, cost_usd

WORST_CHARS_PER_TOKEN = 2
"""Deliberately low (real English text runs 3.5–4 characters per token): an estimate that
is too high only stops a run a little early; one that is too low could overspend."""


class BudgetExceeded(ProviderError):
    """The next call could take spending past the cap; it was not sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


@dataclass
class Budget:
    max_usd: Decimal
    spent_usd: Decimal = Decimal(0)
    reserved_usd: Decimal = Decimal(0)
    refused: int = 0

    @property
    def exhausted(self) -> bool:
        return self.refused > 0

    def reserve(self, amount: Decimal) -> None:
        if self.spent_usd + self.reserved_usd + amount > self.max_usd:
            self.refused += 1
            raise BudgetExceeded(
                f"budget: a call of up to ${amount:.4f} would pass the cap of ${self.max_usd:.2f} "
                f"(spent ${self.spent_usd:.4f}); raise --max-usd to run further"
            )
        self.reserved_usd += amount

    def settle(self, reserved: Decimal, actual: Decimal) -> None:
        self.reserved_usd -= reserved
        self.spent_usd += actual


def worst_case_usd(model: ModelInfo, request: ModelRequest, day: datetime | None = None) -> Decimal:
    """The most this request can cost on `model` (see the module docstring)."""
    prices = model.prices_on((day or datetime.now(UTC)).date())
    text = (
        request.shared_system
        + request.system
        + "".join(m.text + "".join(c.raw_arguments for c in m.tool_calls) for m in request.messages)
    )
    schemas = json.dumps([t.anthropic_schema() for t in request.tools])
    tokens = (len(text) + len(schemas)) // WORST_CHARS_PER_TOKEN + 1
    per_input = max(prices.input, prices.cache_write_5m)
    return (Decimal(tokens) * per_input + Decimal(request.max_tokens) * prices.output) / PER_MILLION


class BudgetedProvider:
    """A provider that sends a call only when the budget can take its worst case."""

    def __init__(self, inner: Provider, budget: Budget) -> None:
        self.inner = inner
        self.budget = budget
        self.name = inner.name

    async def complete(self, model: ModelInfo, request: ModelRequest, on_delta: OnDelta | None = None) -> ModelResponse:
        reserved = worst_case_usd(model, request)
        self.budget.reserve(reserved)
        try:
            response = await self.inner.complete(model, request, on_delta)
        except BaseException:
            self.budget.settle(reserved, Decimal(0))
            raise
        self.budget.settle(reserved, cost_usd(response.usage, model.prices_on(datetime.now(UTC).date())))
        return response

    async def aclose(self) -> None:
        closer = getattr(self.inner, "aclose", None)
        if closer is not None:
            await closer()

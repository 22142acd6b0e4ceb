"""Exact cost of a model call: token counts x dated list prices, in Decimal.

Usage is normalised so the four counts are disjoint (uncached input, output, cache
writes, cache reads); cost is therefore a plain sum with no provider special cases.
Getting that normalisation wrong is how cost gets overstated several-fold, so it is done
once, in the providers, and this module only multiplies.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from callcenter.providers.base import PriceEntry
from callcenter.providers.catalog import Catalog
from callcenter.types import Usage

PER_MILLION = Decimal(1_000_000)


def cost_usd(usage: Usage, prices: PriceEntry) -> Decimal:
    """USD for `usage` at `prices`. Cache writes are priced at the 5-minute TTL (the one we use)."""
    total = (
        usage.input_tokens * prices.input
        + usage.output_tokens * prices.output
        + usage.cache_write_tokens * prices.cache_write_5m
        + usage.cache_read_tokens * prices.cache_read
    )
    return total / PER_MILLION


def frontier_cost_usd(usage: Usage, catalog: Catalog, provider: str, day: date | None = None) -> Decimal:
    """The same usage priced on `provider`'s frontier (tier 3) model on `day` (default today).

    This is the baseline the savings report compares against: what the call would have cost
    had every step run on the frontier model.
    """
    frontier = catalog.frontier_for(provider)
    return cost_usd(usage, frontier.prices_on(day or date.today()))

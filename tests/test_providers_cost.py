"""Cost arithmetic: Decimal, per field, and usage normalised per provider before pricing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from callcenter.providers import anthropic_provider, openai_provider
from callcenter.providers.catalog import Catalog
from callcenter.providers.cost import cost_usd, frontier_cost_usd
from callcenter.types import Usage, to_cents

DAY = date(2026, 11, 1)


def test_cost_is_exact_decimal_sum_of_fields() -> None:
    sonnet = Catalog.load(None).get("claude-sonnet-4-6").prices_on(DAY)
    usage = Usage(input_tokens=1_000, output_tokens=500, cache_write_tokens=2_000, cache_read_tokens=10_000)
    # 1000*3 + 500*15 + 2000*3.75 + 10000*0.30 = 3000 + 7500 + 7500 + 3000 = 21000 per million
    assert cost_usd(usage, sonnet) == Decimal("0.021")
    assert isinstance(cost_usd(usage, sonnet), Decimal)


def test_anthropic_usage_input_excludes_cache_and_cost_reconciles_to_the_cent() -> None:
    """A realistic agent step: 12k-token cached prefix read, 300 new tokens, 420 out."""
    raw = SimpleNamespace(
        input_tokens=300, output_tokens=420, cache_creation_input_tokens=1_500, cache_read_input_tokens=12_000
    )
    usage = anthropic_provider.usage_from(raw)
    assert usage == Usage(input_tokens=300, output_tokens=420, cache_write_tokens=1_500, cache_read_tokens=12_000)
    assert usage.prompt_tokens == 13_800
    sonnet = Catalog.load(None).get("claude-sonnet-4-6").prices_on(DAY)
    # 300*3 + 420*15 + 1500*3.75 + 12000*0.3 = 900 + 6300 + 5625 + 3600 = 16425 -> $0.016425
    cost = cost_usd(usage, sonnet)
    assert cost == Decimal("0.016425")
    # 1000 such steps: $16.43, not the ~$52 that pricing all 13,800 prompt tokens as input gives.
    assert to_cents(cost * 1000) == 1643


def test_openai_prompt_tokens_include_cached_tokens() -> None:
    """OpenAI reports prompt_tokens=20,000 of which 18,048 cached: only 1,952 are uncached."""
    raw = SimpleNamespace(
        prompt_tokens=20_000,
        completion_tokens=800,
        prompt_tokens_details=SimpleNamespace(cached_tokens=18_048, cache_write_tokens=None),
    )
    usage = openai_provider.usage_from(raw)
    assert usage == Usage(input_tokens=1_952, output_tokens=800, cache_write_tokens=0, cache_read_tokens=18_048)
    gpt5 = Catalog.load(None).get("gpt-5").prices_on(DAY)
    # 1952*1.25 + 800*10 + 18048*0.125 = 2440 + 8000 + 2256 = 12696 -> $0.012696
    cost = cost_usd(usage, gpt5)
    assert cost == Decimal("0.012696")
    assert to_cents(cost * 100) == 127
    # The classic mistake (prompt_tokens as uncached input AND cached again as reads):
    wrong = cost_usd(Usage(input_tokens=20_000, output_tokens=800, cache_read_tokens=18_048), gpt5)
    assert wrong - cost == Decimal("0.02256")  # 18,048 tokens x $1.25/M overstated


def test_openai_usage_without_details() -> None:
    raw = SimpleNamespace(prompt_tokens=50, completion_tokens=7, prompt_tokens_details=None)
    assert openai_provider.usage_from(raw) == Usage(input_tokens=50, output_tokens=7)
    assert openai_provider.usage_from(None) == Usage()


def test_frontier_cost_prices_same_usage_on_the_tier3_model() -> None:
    catalog = Catalog.load(None)
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=1_000_000)
    # opus: 5 + 2.5 + 0.5
    assert frontier_cost_usd(usage, catalog, "anthropic", DAY) == Decimal("8")
    # gpt-5-pro: 15 + 12 + 15 (no caching: reads priced as input)
    assert frontier_cost_usd(usage, catalog, "openai", DAY) == Decimal("42")
    haiku = catalog.get("claude-haiku-4-5").prices_on(DAY)
    assert cost_usd(usage, haiku) == Decimal("1.6")


def test_zero_usage_costs_nothing() -> None:
    assert cost_usd(Usage(), Catalog.load(None).get("gpt-5-mini").prices_on(DAY)) == 0

"""The catalog is data: defaults, operator overrides and dated prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from callcenter.providers.catalog import Catalog, CatalogError
from callcenter.providers.cost import cost_usd
from callcenter.types import Tier, Usage


def test_builtin_defaults() -> None:
    c = Catalog.load(None)
    haiku = c.get("claude-haiku-4-5")
    p = haiku.prices_on(date(2026, 11, 1))
    assert (p.input, p.output, p.cache_write_5m, p.cache_write_1h, p.cache_read) == (
        Decimal("1"),
        Decimal("5"),
        Decimal("1.25"),
        Decimal("2"),
        Decimal("0.10"),
    )
    assert haiku.min_cacheable_tokens == 4096 and haiku.tier == Tier.CHEAP
    assert haiku.prices_read_on == date(2026, 11, 1)
    assert c.get("claude-sonnet-4-6").min_cacheable_tokens == 1024
    assert c.get("gpt-5-mini").prices_on(date(2026, 11, 1)).cache_read == Decimal("0.025")
    tiers = {m.id: int(m.tier) for m in c.models}
    assert tiers["gpt-5"] == tiers["claude-sonnet-4-6"] == 2
    assert tiers["gpt-5-pro"] == tiers["claude-opus-4-7"] == 3


def test_models_for_filters_tier_provider_and_enabled() -> None:
    c = Catalog.load(None)
    assert [m.id for m in c.models_for(Tier.CHEAP, ["anthropic", "openai"])] == ["claude-haiku-4-5", "gpt-5-mini"]
    assert [m.id for m in c.models_for(Tier.MID, ["openai"])] == ["gpt-5"]
    # the local example is disabled until configured
    assert c.models_for(Tier.CHEAP, ["openai_compatible"]) == []
    assert not c.get("llama-3.1-8b").enabled
    assert c.frontier_for("anthropic").id == "claude-opus-4-7"
    assert c.frontier_for("openai").id == "gpt-5-pro"
    assert c.frontier_for("openai_compatible").tier == Tier.FRONTIER


def test_override_file_merges_enables_and_adds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(
        """
[models."llama-3.1-8b"]
enabled = true
base_url = "http://10.0.0.5:8000/v1"

[models."gpt-5-mini"]
enabled = false

[models."mistral-small"]
provider = "openai_compatible"
model = "mistral-small-2506"
tier = 2
base_url = "http://10.0.0.6:8000/v1"
logprobs = true
[[models."mistral-small".prices]]
effective_from = 2025-01-01
input = 0.1
output = 0.3
"""
    )
    monkeypatch.setenv("CALLCENTER_CATALOG_PATH", str(path))
    c = Catalog.load()  # from Settings / the environment
    llama = c.get("llama-3.1-8b")
    assert llama.enabled and llama.base_url == "http://10.0.0.5:8000/v1" and llama.logprobs
    assert [m.id for m in c.models_for(Tier.CHEAP, ["openai", "openai_compatible"])] == ["llama-3.1-8b"]
    assert c.get("mistral-small").prices_on(date(2026, 1, 1)).output == Decimal("0.3")
    assert c.get("claude-opus-4-7").tier == Tier.FRONTIER  # untouched built-in entries remain
    assert Catalog.load(path).get("mistral-small").tier == Tier.MID  # explicit path works too


def test_override_can_drop_builtin() -> None:
    c = Catalog.from_toml(
        """
inherit_builtin = false
[models.only]
provider = "anthropic"
tier = 3
prices = [{ input = 1, output = 2 }]
"""
    )
    assert [m.id for m in c.models] == ["only"]
    assert c.get("only").model == "only"


def test_price_history_uses_the_entry_in_force_on_the_call_date() -> None:
    c = Catalog.from_toml(
        """
[[models."claude-sonnet-4-6".prices]]
effective_from = 2025-09-29
input = 3.00
output = 15.00
cache_write_5m = 3.75
cache_read = 0.30

[[models."claude-sonnet-4-6".prices]]
effective_from = 2026-12-01
input = 2.00
output = 10.00
cache_write_5m = 2.50
cache_read = 0.20
"""
    )
    sonnet = c.get("claude-sonnet-4-6")
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost_usd(usage, sonnet.prices_on(date(2026, 11, 30))) == Decimal("18")
    assert cost_usd(usage, sonnet.prices_on(date(2026, 12, 1))) == Decimal("12")  # from that day on
    assert cost_usd(usage, sonnet.prices_on(date(2027, 6, 1))) == Decimal("12")
    assert sonnet.prices_on(date(2020, 1, 1)).input == Decimal("3")  # before history: earliest entry


def test_prices_are_decimal_not_float() -> None:
    c = Catalog.from_toml('[models."gpt-5-mini"]\nprices = [{ input = 0.1, output = 0.2 }]\n')
    p = c.get("gpt-5-mini").prices[0]
    assert isinstance(p.input, Decimal) and p.input + p.output == Decimal("0.3")


def test_malformed_entry_is_reported() -> None:
    with pytest.raises(CatalogError, match="models.broken: missing tier"):
        Catalog.from_toml('[models.broken]\nprovider = "openai"\nprices = [{ input = 1, output = 1 }]\n')
    with pytest.raises(CatalogError, match="needs input and output"):
        Catalog.from_toml('[models.broken]\nprovider = "openai"\ntier = 1\nprices = [{ input = 1 }]\n')

"""The cache plan's arithmetic on the shipped catalog and the demo business's prompts."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from structlog.testing import capture_logs

from callcenter.app import load_app
from callcenter.providers.cache_plan import (
    CACHE_LIFETIME_S,
    OPENAI_KEY_MAX_RPM,
    PrefixSizes,
    Traffic,
    breakpoint_pays,
    build_cache_plan,
    cached_price,
)
from callcenter.providers.catalog import Catalog
from callcenter.settings import Settings
from callcenter.specialists.prompt_layout import SharedPrefix, cache_plan_for, prefix_sizes

DAY = date(2026, 11, 30)
CATALOG = Catalog.load(None)
APP = load_app()
SIZES = prefix_sizes(SharedPrefix.from_app(APP), list(APP.agents.values()))
ANTHROPIC = [m for m in CATALOG.enabled() if m.provider == "anthropic"]


def test_no_agent_prefix_alone_reaches_haiku_but_the_shared_one_reaches_every_tier() -> None:
    haiku = CATALOG.get("claude-haiku-4-5")
    assert haiku.min_cacheable_tokens == 4096
    assert all(tokens < haiku.min_cacheable_tokens for tokens in SIZES.own_tokens.values())
    assert all(SIZES.shared_tokens >= m.min_cacheable_tokens for m in ANTHROPIC)


def test_haiku_takes_the_shared_layout_and_its_calls_get_cheaper() -> None:
    plan = build_cache_plan(CATALOG.enabled(), SIZES, Traffic(1200), DAY)
    haiku = plan.models["claude-haiku-4-5"]
    assert haiku.shared_breakpoint
    assert {"booking", "billing", "escalation", "general"} <= haiku.shared_agents
    assert all(a.breakpoint and not a.own_breakpoint for a in haiku.agents.values())
    cost = haiku.usd_per_1k_calls
    assert cost["planned"] <= cost["shared"] < cost["per_agent"] == cost["uncached"]  # before: never cached


def test_sonnet_keeps_per_agent_prefixes_where_they_already_cache_and_are_shorter() -> None:
    sonnet = build_cache_plan(CATALOG.enabled(), SIZES, Traffic(1200), DAY).models["claude-sonnet-4-6"]
    assert sonnet.usd_per_1k_calls["per_agent"] < sonnet.usd_per_1k_calls["shared"]
    assert sonnet.agents["booking"].own_breakpoint  # ~1.5k tokens >= 1,024
    assert not sonnet.uses_shared("booking") and not sonnet.uses_shared("billing")
    assert sonnet.breakpoints("booking") == (True, True)  # its own tools and instructions, cached


def test_each_agent_takes_the_cheaper_layout_on_each_model() -> None:
    """An agent whose own prefix is under the model's minimum pays full price for it; when that
    costs more than reading the shared prefix at 0.1x, it reads the shared one (general on
    Sonnet, ~800 tokens < 1,024), and a tiny prefix is cheaper uncached than any shared read."""
    # The shipped general prompt grows and shrinks with the handbook (1,063 tokens on 2026-12-02, over
    # Sonnet's minimum); the rule is checked on a general prefix of ~800 tokens, the rest as shipped.
    sizes = replace(SIZES, own_tokens={**SIZES.own_tokens, "general": 800})
    plan = build_cache_plan(ANTHROPIC, sizes, Traffic(1200), DAY)
    sonnet, haiku = plan.models["claude-sonnet-4-6"], plan.models["claude-haiku-4-5"]
    assert sizes.own_tokens["general"] < sonnet.min_tokens
    assert sonnet.uses_shared("general") and sonnet.layout == "mixed"
    assert sonnet.breakpoints("general") == (True, True)
    assert not haiku.uses_shared("out_of_scope")  # 272 tokens at 1x < 5k tokens at 0.1x
    for model in plan.models.values():
        cost = model.usd_per_1k_calls
        assert cost["planned"] <= min(cost["shared"], cost["per_agent"])
    assert plan.as_json()["claude-sonnet-4-6"]["shared_agents"] == ["general"]


def test_break_even_is_a_quarter_call_per_cache_lifetime_at_anthropic_prices() -> None:
    haiku = CATALOG.get("claude-haiku-4-5")
    prices = haiku.prices_on(DAY)
    k = math.log((1.25 - 0.1) / (1.0 - 0.1))  # write 1.25x, read 0.1x, input 1x
    assert not breakpoint_pays(haiku, prices, 5000, k * 0.95)[0]
    assert breakpoint_pays(haiku, prices, 5000, k * 1.05)[0]
    assert not breakpoint_pays(haiku, prices, 4000, 100)[0]  # below the minimum, whatever the traffic
    # first call of a window pays the write, later ones the read
    assert cached_price(haiku, prices, 0) == prices.cache_write_5m
    assert abs(cached_price(haiku, prices, 50) - prices.cache_read) < Decimal("0.000001")


def test_thin_traffic_on_the_frontier_model_drops_the_shared_layout() -> None:
    busy = build_cache_plan(ANTHROPIC, SIZES, Traffic(1200), DAY).models["claude-opus-4-7"]
    thin = build_cache_plan(ANTHROPIC, SIZES, Traffic(60), DAY).models["claude-opus-4-7"]
    assert busy.uses_shared("booking") and busy.shared_breakpoint
    assert thin.layout == "per_agent"
    assert not any(a.breakpoint for a in thin.agents.values())


def test_a_model_without_a_cache_discount_is_never_cached() -> None:
    pro = build_cache_plan(CATALOG.enabled(), SIZES, Traffic(100_000), DAY).models["gpt-5-pro"]
    assert not pro.shared_breakpoint and pro.layout == "per_agent"
    assert "no cache discount" in pro.why


def test_openai_splits_the_cache_key_per_agent_only_above_its_rate() -> None:
    rpm_per_hour = OPENAI_KEY_MAX_RPM * 60
    tier1_share = Traffic(1).tier_share[1]
    below = build_cache_plan(CATALOG.enabled(), SIZES, Traffic(0.9 * rpm_per_hour / tier1_share), DAY)
    above = build_cache_plan(CATALOG.enabled(), SIZES, Traffic(1.1 * rpm_per_hour / tier1_share), DAY)
    assert not below.models["gpt-5-mini"].key_per_agent
    assert above.models["gpt-5-mini"].key_per_agent
    assert not above.models["claude-haiku-4-5"].key_per_agent


def test_traffic_is_split_over_tiers_and_agents() -> None:
    traffic = Traffic(1200, agent_share={"booking": 0.5, "billing": 0.5})
    per_window = traffic.per_window(1, "booking", ["booking", "billing"])
    assert per_window == pytest.approx(1200 * 0.67 * 0.5 * CACHE_LIFETIME_S / 3600)
    sizes = replace(PrefixSizes(5000, {"booking": 500, "billing": 500}, {"booking": 1500, "billing": 1500}))
    plan = build_cache_plan(ANTHROPIC, sizes, traffic, DAY)
    assert plan.models["claude-haiku-4-5"].calls_per_window == pytest.approx(2 * per_window)


def test_the_plan_is_logged_at_start_up_one_line_per_model(debug_logs: None) -> None:
    with capture_logs() as logs:
        plan = cache_plan_for(APP, CATALOG, Settings(cache_plan_calls_per_hour=1200), DAY)
    lines = [e["plan"] for e in logs if e["event"] == "cache.plan"]
    assert len(lines) == len(CATALOG.enabled()) == len(plan.models)
    assert any(line.startswith("claude-haiku-4-5 (tier 1, min 4096") and "shared: billing" in line for line in lines)
    assert "booking" in plan.as_json()["claude-haiku-4-5"]["shared_agents"]

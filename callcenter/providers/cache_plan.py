"""The cache plan: which prompt-cache breakpoints pay on which model, decided by arithmetic.

Inputs are the catalog (each model's minimum cacheable prefix and its prices), the prefix
sizes of the shared prompt layout (`callcenter.specialists.prompt_layout`) and the expected traffic.

Anthropic caches a prefix only from the model's minimum length up (Claude Haiku 4.5 and
Opus 4.5/4.6: 4,096 tokens; Opus 4.7: 2,048; Sonnet 4.5/4.6: 1,024), bills a write at 1.25x
input (5-minute cache) and a read at 0.1x, and refreshes the 5 minutes on every read.
OpenAI caches from 1,024 tokens on its own, bills the write as plain input and the read at
the cached price. With calls arriving at random (Poisson) at k per cache lifetime, a call
finds the prefix cached with probability 1 - e^-k, so a cached prefix of T tokens costs

    T x (e^-k x write + (1 - e^-k) x read)   per call, against   T x input   uncached.

Caching pays when the first is lower: on Anthropic's prices from k = ln(1.15 / 0.9) = 0.25
calls per 5 minutes (3 an hour) on the same model. The shared prefix pools the traffic of
every agent on a model, so it pays where one agent's would not, and it is long enough to
reach every tier's minimum where one agent's prefix (1–2k tokens) is not. But it is longer
(every tool and the handbook), so on a model where an agent's own prefix already caches
(Sonnet's 1,024 minimum) or traffic is thin, the per-agent layout can be cheaper. The plan
picks the layout per model and agent, whichever has the lower expected prefix cost per call:
on Sonnet an agent whose own prefix caches keeps it, while one whose own prefix is under the
minimum (and not tiny) reads the shared prefix instead of paying full price for its own.
The shared prefix's traffic is that of the agents that use it, so the choice is repeated
until no agent moves (leaving only makes the shared prefix dearer, so it ends).

OpenAI routes a `prompt_cache_key` to one machine up to roughly 15 requests a minute; above
that the plan gives each agent its own key (same prefix, so each still reads it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from callcenter.providers.base import ModelInfo, PriceEntry

CACHE_LIFETIME_S = 300
"""Anthropic's default (5-minute) cache lifetime, refreshed on each read; OpenAI keeps a
prefix 5–10 minutes when idle, so the same window is used for both."""
OPENAI_KEY_MAX_RPM = 15.0
"""Roughly how many requests a minute one prefix + prompt_cache_key pair keeps on one
machine before overflowing to others (OpenAI's prompt caching guide)."""
DEFAULT_TIER_SHARE: Mapping[int, float] = {1: 0.67, 2: 0.25, 3: 0.08}
"""Share of model calls per tier under the routed policy (its tier mix on the shipped evals)."""
PER_THOUSAND = Decimal(1000) / Decimal(1_000_000)  # USD per 1,000 calls from a per-million price


@dataclass(frozen=True)
class PrefixSizes:
    """Token counts of the layouts compared (estimates; see `caching.estimate_tokens`).

    `shared_tokens` is everything before the agent breakpoint's own part (all tools and
    the shared context), `agent_tokens` each agent's part after it, and `own_tokens` each
    agent's prefix in the per-agent layout (its own tools and instructions only).
    """

    shared_tokens: int
    agent_tokens: Mapping[str, int]
    own_tokens: Mapping[str, int]


@dataclass(frozen=True)
class Traffic:
    """Expected model calls per hour, split over tiers and agents (uniform when not given)."""

    calls_per_hour: float
    tier_share: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_TIER_SHARE))
    agent_share: Mapping[str, float] | None = None

    def per_window(self, tier: int, agent: str, agents: Iterable[str]) -> float:
        """Calls of `agent` on one model of `tier` within one cache lifetime."""
        names = list(agents)
        share = (self.agent_share or {}).get(agent, 1.0 / len(names) if names else 0.0)
        per_hour = self.calls_per_hour * self.tier_share.get(tier, 0.0) * share
        return per_hour * CACHE_LIFETIME_S / 3600.0


@dataclass(frozen=True)
class AgentPlan:
    prefix_tokens: int
    """Shared layout: tokens up to and including the agent's instructions (its breakpoint)."""
    own_tokens: int
    """Per-agent layout: the agent's own tools and instructions."""
    calls_per_window: float
    breakpoint: bool
    why: str
    own_breakpoint: bool
    own_why: str


@dataclass(frozen=True)
class ModelPlan:
    model: str
    provider: str
    tier: int
    min_tokens: int
    layout: Literal["shared", "per_agent", "mixed"]
    """The layout on this model at the expected traffic: every agent's choice (`agent_layout`)
    when they agree, else `mixed`."""
    shared_tokens: int
    calls_per_window: float
    shared_breakpoint: bool
    why: str
    agents: Mapping[str, AgentPlan]
    key_per_agent: bool
    usd_per_1k_calls: Mapping[str, Decimal]
    """Expected prompt-prefix cost per 1,000 calls, traffic-weighted over agents: `uncached`
    (each agent's own prefix, no cache), `per_agent` (the same, cached where it pays),
    `shared` (every agent in the shared layout, cached where it pays) and `planned` (each
    agent in the layout the plan gives it)."""
    shared_agents: frozenset[str] = frozenset()
    """The agents that use the shared layout on this model (the rest send their own prefix)."""

    def uses_shared(self, agent: str) -> bool:
        """Whether `agent` sends the shared layout on this model (an agent the plan does not
        know follows the model's layout)."""
        if agent in self.agents:
            return agent in self.shared_agents
        return self.layout != "per_agent"

    def breakpoints(self, agent: str) -> tuple[bool, bool]:
        """(breakpoint after the shared prefix, breakpoint after the agent's part) in the
        shared layout; in the per-agent layout both mean the agent's own tools and instructions."""
        plan = self.agents.get(agent)
        if not self.uses_shared(agent):
            own = plan.own_breakpoint if plan is not None else False
            return own, own
        return self.shared_breakpoint, plan.breakpoint if plan is not None else self.shared_breakpoint


@dataclass(frozen=True)
class CachePlan:
    models: Mapping[str, ModelPlan]
    sizes: PrefixSizes
    traffic: Traffic

    def get(self, model_id: str) -> ModelPlan | None:
        return self.models.get(model_id)

    def lines(self) -> list[str]:
        """One human-readable line per model, for the start-up log and the notes."""
        out = []
        for p in self.models.values():
            agents = ", ".join(f"{a} {'yes' if ap.breakpoint else 'no'}" for a, ap in p.agents.items())
            mixed = (
                f" (shared: {', '.join(sorted(p.shared_agents))}; own: "
                f"{', '.join(sorted(set(p.agents) - p.shared_agents))})"
                if p.layout == "mixed"
                else ""
            )
            cost = p.usd_per_1k_calls
            own = ", ".join(f"{a} {'yes' if ap.own_breakpoint else 'no'}" for a, ap in p.agents.items())
            out.append(
                f"{p.model} (tier {p.tier}, min {p.min_tokens}, {p.calls_per_window:.1f} calls/5 min): "
                f"layout {p.layout.replace('_', '-')}{mixed}; shared prefix {p.shared_tokens} tok "
                f"{'cached' if p.shared_breakpoint else 'not cached'} ({p.why}), agent breakpoints: {agents}; "
                f"per-agent prefixes cached: {own}; prefix $/1k calls: uncached {cost['uncached']:.3f}, "
                f"per-agent {cost['per_agent']:.3f}, shared {cost['shared']:.3f}, planned {cost['planned']:.3f}"
                + ("; prompt_cache_key per agent" if p.key_per_agent else "")
            )
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            m: {
                "tier": p.tier,
                "min_tokens": p.min_tokens,
                "layout": p.layout,
                "shared_agents": sorted(p.shared_agents),
                "shared_tokens": p.shared_tokens,
                "shared_breakpoint": p.shared_breakpoint,
                "why": p.why,
                "calls_per_window": round(p.calls_per_window, 3),
                "key_per_agent": p.key_per_agent,
                "agents": {
                    a: {
                        "prefix_tokens": ap.prefix_tokens,
                        "breakpoint": ap.breakpoint,
                        "why": ap.why,
                        "own_tokens": ap.own_tokens,
                        "own_breakpoint": ap.own_breakpoint,
                        "calls_per_window": round(ap.calls_per_window, 3),
                    }
                    for a, ap in p.agents.items()
                },
                "usd_per_1k_calls": {k: float(v) for k, v in p.usd_per_1k_calls.items()},
            }
            for m, p in self.models.items()
        }


def write_price(model: ModelInfo, prices: PriceEntry) -> Decimal:
    """USD per million written tokens: Anthropic's 5-minute write price, else plain input."""
    return prices.cache_write_5m if model.provider == "anthropic" and prices.cache_write_5m > 0 else prices.input


def hit_probability(calls_per_window: float) -> float:
    """Chance the previous call on this prefix came within the cache lifetime (Poisson arrivals)."""
    return 1.0 - math.exp(-max(calls_per_window, 0.0))


def cached_price(model: ModelInfo, prices: PriceEntry, calls_per_window: float) -> Decimal:
    """Expected USD per million prefix tokens per call when the prefix is cached."""
    hit = Decimal(str(hit_probability(calls_per_window)))
    return (1 - hit) * write_price(model, prices) + hit * prices.cache_read


def breakpoint_pays(model: ModelInfo, prices: PriceEntry, tokens: int, calls_per_window: float) -> tuple[bool, str]:
    """Whether caching a prefix of `tokens` on `model` is cheaper than not, and why (or why not)."""
    if tokens < model.min_cacheable_tokens:
        return False, f"{tokens} < minimum {model.min_cacheable_tokens}"
    if prices.cache_read <= 0 or prices.cache_read >= prices.input:
        return False, "no cache discount"
    if cached_price(model, prices, calls_per_window) >= prices.input:
        return False, f"{calls_per_window:.2f} calls per {CACHE_LIFETIME_S // 60} min too few to repay the write"
    return True, f"{calls_per_window:.2f} calls per {CACHE_LIFETIME_S // 60} min"


def plan_model(model: ModelInfo, sizes: PrefixSizes, traffic: Traffic, day: date) -> ModelPlan:
    """The layout and breakpoints for one model: per agent, the cheaper of the shared and its own layout."""
    prices = model.prices_on(day)
    names = list(sizes.agent_tokens)
    per_agent_k = {a: traffic.per_window(int(model.tier), a, names) for a in names}
    total_k = sum(per_agent_k.values())

    def shared_price(users: Iterable[str]) -> Decimal:
        """USD per million shared-prefix tokens per call when `users` share it."""
        k = sum(per_agent_k[a] for a in users)
        ok, _ = breakpoint_pays(model, prices, sizes.shared_tokens, k)
        return cached_price(model, prices, k) if ok else prices.input

    agents: dict[str, AgentPlan] = {}
    shared_cost: dict[str, Decimal] = {}
    own_cost: dict[str, Decimal] = {}
    for a in names:
        k = per_agent_k[a]
        prefix = sizes.shared_tokens + sizes.agent_tokens[a]
        ok, a_why = breakpoint_pays(model, prices, prefix, k)
        own = sizes.own_tokens.get(a, 0)
        own_ok, own_why = breakpoint_pays(model, prices, own, k)
        agents[a] = AgentPlan(prefix, own, k, ok, a_why, own_ok, own_why)
        agent_price = cached_price(model, prices, k) if ok else prices.input
        shared_cost[a] = Decimal(sizes.agent_tokens[a]) * agent_price  # plus the shared prefix's part
        own_cost[a] = Decimal(own) * (cached_price(model, prices, k) if own_ok else prices.input)

    users = set(names)
    while True:  # agents whose own prefix is cheaper leave; that can only make the shared one dearer
        price = shared_price(users)
        leaving = {a for a in users if own_cost[a] < Decimal(sizes.shared_tokens) * price + shared_cost[a]}
        if not leaving:
            break
        users -= leaving
    shared_ok, why = breakpoint_pays(model, prices, sizes.shared_tokens, sum(per_agent_k[a] for a in users))
    if not users:
        shared_ok, why = breakpoint_pays(model, prices, sizes.shared_tokens, total_k)
    all_price, users_price = shared_price(names), shared_price(users)
    cost = {"uncached": Decimal(0), "per_agent": Decimal(0), "shared": Decimal(0), "planned": Decimal(0)}
    for a in names:
        weight = Decimal(str(per_agent_k[a] / total_k)) if total_k else Decimal(1) / Decimal(len(names))
        cost["uncached"] += weight * Decimal(sizes.own_tokens.get(a, 0)) * prices.input
        cost["per_agent"] += weight * own_cost[a]
        cost["shared"] += weight * (Decimal(sizes.shared_tokens) * all_price + shared_cost[a])
        planned = Decimal(sizes.shared_tokens) * users_price + shared_cost[a] if a in users else own_cost[a]
        cost["planned"] += weight * planned
    layout: Literal["shared", "per_agent", "mixed"] = (
        "shared" if users == set(names) else "per_agent" if not users else "mixed"
    )
    rpm = total_k * 60.0 / CACHE_LIFETIME_S
    return ModelPlan(
        model=model.id,
        provider=model.provider,
        tier=int(model.tier),
        min_tokens=model.min_cacheable_tokens,
        layout=layout,
        shared_tokens=sizes.shared_tokens,
        calls_per_window=total_k,
        shared_breakpoint=shared_ok,
        why=why,
        agents=agents,
        key_per_agent=model.provider == "openai" and rpm > OPENAI_KEY_MAX_RPM,
        usd_per_1k_calls={k: (v * PER_THOUSAND).quantize(Decimal("0.000001")) for k, v in cost.items()},
        shared_agents=frozenset(users),
    )


def build_cache_plan(models: Iterable[ModelInfo], sizes: PrefixSizes, traffic: Traffic, day: date) -> CachePlan:
    """The plan for every given model (normally the catalog's enabled ones)."""
    return CachePlan({m.id: plan_model(m, sizes, traffic, day) for m in models}, sizes, traffic)

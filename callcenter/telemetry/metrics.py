"""The process's Prometheus metrics: counters, histograms and gauges updated as work happens.

In-process instruments (not SQL on scrape) so `/metrics` is cheap, answers while the
database is down, and carries latency histograms Prometheus can aggregate across replicas.
Every name is prefixed `callcenter_`; counters get `_total` from prometheus_client.

`ROUTE` is the routing policy of the turn being served (bound by the orchestrator), so cost
lands under route/agent/tier/model without threading it through every call.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Set by `serve --workers N` for its workers: each writes its samples to files there, and a
scrape of any worker (the kernel picks one per connection) reports the sum over all of them."""

REGISTRY = CollectorRegistry(auto_describe=True)
ROUTE: ContextVar[str] = ContextVar("callcenter_route", default="routed")
AGENT: ContextVar[str] = ContextVar("callcenter_agent", default="")

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
_SLOW = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

TURNS = Counter("callcenter_turns", "Turns answered", ["channel", "agent", "outcome"], registry=REGISTRY)
MODEL_CALLS = Counter(
    "callcenter_model_calls", "Model call attempts", ["provider", "model", "tier", "status"], registry=REGISTRY
)
TOOL_CALLS = Counter("callcenter_tool_calls", "Tool calls", ["tool", "status"], registry=REGISTRY)
HANDOFFS = Counter("callcenter_handoffs", "Agent changes and handoffs to a person", ["to", "kind"], registry=REGISTRY)
ERRORS = Counter(
    "callcenter_errors", "Error frames and responses sent to clients, by code", ["channel", "code"], registry=REGISTRY
)
RATE_LIMITED = Counter(
    "callcenter_rate_limited_frames", "Client frames refused by a rate limit", ["channel"], registry=REGISTRY
)
COST = Counter(
    "callcenter_model_cost_usd",
    "Model spend in USD (catalog price x usage)",
    ["route", "agent", "tier", "model"],
    registry=REGISTRY,
)
FRONTIER_COST = Counter(
    "callcenter_model_frontier_cost_usd",
    "What the same usage would cost on the frontier tier",
    ["route", "agent", "tier", "model"],
    registry=REGISTRY,
)
TOKENS = Counter("callcenter_model_tokens", "Model tokens by kind", ["model", "kind"], registry=REGISTRY)

TURN_LATENCY = Histogram(
    "callcenter_turn_latency_seconds", "Whole-turn latency", ["channel", "agent"], buckets=_SLOW, registry=REGISTRY
)
MODEL_LATENCY = Histogram(
    "callcenter_model_latency_seconds", "Model call latency", ["model", "tier"], buckets=_SLOW, registry=REGISTRY
)
MODEL_TTFT = Histogram(
    "callcenter_model_ttft_seconds", "Model time to first token", ["model", "tier"], buckets=_SLOW, registry=REGISTRY
)
ROUTER_LATENCY = Histogram(
    "callcenter_router_latency_seconds", "Tier-1 router decision latency", buckets=_FAST, registry=REGISTRY
)

OPEN_SESSIONS = Gauge(
    "callcenter_open_sessions",
    "Connections with an open session",
    ["channel"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
WEBSOCKETS = Gauge(
    "callcenter_websockets", "Open websockets", ["channel"], registry=REGISTRY, multiprocess_mode="livesum"
)


def observe_model_call(
    *,
    provider: str,
    model: str,
    tier: int,
    status: str,
    latency_ms: float | None,
    ttft_ms: float | None,
    cost_usd: Decimal,
    frontier_cost_usd: Decimal,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> None:
    """Count one model attempt, its latency, tokens and cost (under the current route and agent)."""
    t = str(tier)
    MODEL_CALLS.labels(provider, model, t, status).inc()
    if latency_ms is not None:
        MODEL_LATENCY.labels(model, t).observe(latency_ms / 1000)
    if ttft_ms is not None:
        MODEL_TTFT.labels(model, t).observe(ttft_ms / 1000)
    labels = (ROUTE.get(), AGENT.get() or "none", t, model)
    if cost_usd:
        COST.labels(*labels).inc(float(cost_usd))
    if frontier_cost_usd:
        FRONTIER_COST.labels(*labels).inc(float(frontier_cost_usd))
    for kind, n in (
        ("input", input_tokens),
        ("output", output_tokens),
        ("cache_read", cache_read_tokens),
        ("cache_write", cache_write_tokens),
    ):
        if n:
            TOKENS.labels(model, kind).inc(n)


def exposition() -> bytes:
    """The metrics in Prometheus text format: this process's, or the whole node's under `--workers N`."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return generate_latest(REGISTRY)
    node = CollectorRegistry()
    MultiProcessCollector(node, path)  # type: ignore[no-untyped-call] # every worker's files, dead workers' counters included
    return generate_latest(node)

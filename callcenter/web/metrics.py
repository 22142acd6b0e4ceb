"""`/metrics` for Prometheus: the report's figures as gauges, read from the database on scrape.

Reading from PostgreSQL (not in-process counters) makes every replica expose the same
truth, whichever process served the turns.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from callcenter.reporting import build_report
from callcenter.runtime import RUNTIME_KEY, Runtime


async def metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    report = await build_report(runtime.pool)
    registry = CollectorRegistry()
    labels = ["route"]
    g = {
        "turns": Gauge("callcenter_turns", "Finished turns", labels, registry=registry),
        "success": Gauge(
            "callcenter_success_ratio", "Share of turns resolved without a failure", labels, registry=registry
        ),
        "p50": Gauge("callcenter_turn_latency_p50_ms", "Median turn latency", labels, registry=registry),
        "p95": Gauge("callcenter_turn_latency_p95_ms", "95th percentile turn latency", labels, registry=registry),
        "cost": Gauge("callcenter_cost_usd", "Model spend", labels, registry=registry),
        "cpt": Gauge("callcenter_cost_per_task_usd", "Blended model cost per session", labels, registry=registry),
        "frontier": Gauge(
            "callcenter_frontier_cost_usd", "What the same usage costs all on frontier", labels, registry=registry
        ),
        "esc": Gauge("callcenter_escalation_ratio", "Share of turns escalated a tier", labels, registry=registry),
        "human": Gauge("callcenter_handoff_ratio", "Share of turns handed to a human", labels, registry=registry),
    }
    tier = Gauge("callcenter_tier_share", "Share of model calls per tier", ["route", "tier"], registry=registry)
    for f in [*report.routes, report.overall]:
        g["turns"].labels(f.route).set(f.turns)
        g["success"].labels(f.route).set(f.success_rate)
        g["p50"].labels(f.route).set(f.p50_latency_ms or 0)
        g["p95"].labels(f.route).set(f.p95_latency_ms or 0)
        g["cost"].labels(f.route).set(float(f.cost_usd))
        g["cpt"].labels(f.route).set(float(f.cost_per_task_usd))
        g["frontier"].labels(f.route).set(float(f.frontier_cost_usd))
        g["esc"].labels(f.route).set(f.escalation_rate)
        g["human"].labels(f.route).set(f.handoff_rate)
        for t, share in f.tier_mix.items():
            tier.labels(f.route, t).set(share)
    Gauge("callcenter_cache_hit_ratio", "Cache-read share of prompt tokens", registry=registry).set(
        report.cache_hit_rate
    )
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup_routes(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/metrics", metrics)

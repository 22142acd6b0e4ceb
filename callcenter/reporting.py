"""Cost and quality figures from what the product stored: per route, per session, overall.

Everything is computed from `model_calls`, `turns` and `sessions`, so the bill is
shown, not claimed: cost is what each call's usage cost at the catalog price of its
day, and `frontier_cost_usd` is what the same usage would have cost on the frontier tier.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

COST_SOURCE = (
    "cost = each model call's token usage as the provider returned it (stored in model_calls) x the catalog's "
    "list price on the day of the call (callcenter/catalog.toml, prices_read_on per model); all-frontier = the "
    "same calls' usage re-priced at the provider's tier-3 price (not a frontier-only run, which would make other "
    "calls: `callcenter eval` measures that); turns answered with no model call (emergency rules, a flow at tier 0 "
    "or under CALLCENTER_FLOW_FIRST, the offline backend) cost $0 and add nothing to all-frontier; cache hit rate = "
    "cache-read tokens / all prompt tokens. Calls answered by `callcenter fake-llm` have modelled usage, so "
    "their cost is modelled too."
)


@dataclass(slots=True)
class RouteFigures:
    route: str
    turns: int
    sessions: int
    success_rate: float
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    cost_usd: Decimal
    cost_per_task_usd: Decimal
    frontier_cost_usd: Decimal
    tier_mix: dict[str, float]
    escalation_rate: float
    handoff_rate: float
    no_model_turns: int = 0
    """Turns answered without any model call (rules, flows): $0, and nothing in all-frontier either."""


@dataclass(slots=True)
class Report:
    since: datetime | None
    overall: RouteFigures
    routes: list[RouteFigures]
    cache_hit_rate: float
    calls: int
    savings_vs_frontier: float
    sessions: list[dict[str, Any]] = field(default_factory=list)
    cost_source: str = COST_SOURCE

    def as_json(self) -> dict[str, Any]:
        def conv(obj: Any) -> Any:
            if isinstance(obj, Decimal):
                return float(obj)
            if isinstance(obj, datetime):
                return obj.isoformat()
            if isinstance(obj, dict):
                return {k: conv(v) for k, v in obj.items()}
            if isinstance(obj, list):
                return [conv(v) for v in obj]
            return obj

        return conv(asdict(self))  # type: ignore[no-any-return]


_SUCCESS = ("ok", "fallback_flow", "flow")

_ROUTE_SQL = """
WITH t AS (
    SELECT t.*, COALESCE(t.vertical, 'unrouted') AS route FROM turns t
    WHERE t.finished_at IS NOT NULL AND ($1::timestamptz IS NULL OR t.created_at >= $1)
), c AS (
    SELECT m.turn_id, sum(m.cost_usd) AS cost, sum(m.frontier_cost_usd) AS frontier FROM model_calls m
    WHERE m.status = 'ok' AND ($1::timestamptz IS NULL OR m.created_at >= $1) GROUP BY m.turn_id
)
SELECT {group} AS route,
       count(*) AS turns,
       count(DISTINCT t.session_id) AS sessions,
       avg(CASE WHEN t.outcome = ANY($2::text[]) THEN 1.0 ELSE 0.0 END) AS success_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.latency_ms) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY t.latency_ms) AS p95,
       COALESCE(sum(c.cost), 0) AS cost,
       COALESCE(sum(c.frontier), 0) AS frontier,
       avg(CASE WHEN t.escalations > 0 THEN 1.0 ELSE 0.0 END) AS escalation_rate,
       avg(CASE WHEN t.outcome = 'human' THEN 1.0 ELSE 0.0 END) AS handoff_rate,
       count(*) FILTER (WHERE c.turn_id IS NULL) AS no_model_turns
FROM t LEFT JOIN c ON c.turn_id = t.id
GROUP BY {group} ORDER BY {group}
"""

_TIER_SQL = """
SELECT {group} AS route, m.tier, count(*) AS n
FROM model_calls m LEFT JOIN turns t ON t.id = m.turn_id
WHERE m.status = 'ok' AND ($1::timestamptz IS NULL OR m.created_at >= $1)
GROUP BY 1, 2
"""


def _figures(row: asyncpg.Record, tiers: dict[str, dict[str, int]]) -> RouteFigures:
    mix = tiers.get(row["route"], {})
    total = sum(mix.values()) or 1
    sessions = row["sessions"] or 1
    return RouteFigures(
        route=row["route"],
        turns=row["turns"],
        sessions=row["sessions"],
        success_rate=float(row["success_rate"] or 0),
        p50_latency_ms=row["p50"],
        p95_latency_ms=row["p95"],
        cost_usd=Decimal(row["cost"]),
        cost_per_task_usd=Decimal(row["cost"]) / sessions,
        frontier_cost_usd=Decimal(row["frontier"]),
        tier_mix={k: v / total for k, v in sorted(mix.items())},
        escalation_rate=float(row["escalation_rate"] or 0),
        handoff_rate=float(row["handoff_rate"] or 0),
        no_model_turns=int(row["no_model_turns"] or 0),
    )


async def build_report(
    conn: asyncpg.Connection | asyncpg.Pool, *, since: datetime | None = None, sessions: int = 0
) -> Report:
    success = list(_SUCCESS)
    by_route = await conn.fetch(_ROUTE_SQL.format(group="t.route"), since, success)
    overall_rows = await conn.fetch(_ROUTE_SQL.format(group="'all'::text"), since, success)
    tiers: dict[str, dict[str, int]] = {}
    for group in ("COALESCE(t.vertical, 'unrouted')", "'all'::text"):
        for r in await conn.fetch(_TIER_SQL.format(group=group), since):
            tiers.setdefault(r["route"], {})[str(r["tier"])] = r["n"]
    totals = await conn.fetchrow(
        """SELECT count(*) AS calls, COALESCE(sum(cache_read_tokens),0) AS cached,
                  COALESCE(sum(input_tokens + cache_read_tokens + cache_write_tokens),0) AS prompt,
                  COALESCE(sum(cost_usd),0) AS cost, COALESCE(sum(frontier_cost_usd),0) AS frontier
           FROM model_calls WHERE status='ok' AND ($1::timestamptz IS NULL OR created_at >= $1)""",
        since,
    )
    assert totals is not None
    empty = RouteFigures("all", 0, 0, 0.0, None, None, Decimal(0), Decimal(0), Decimal(0), {}, 0.0, 0.0)
    overall = _figures(overall_rows[0], tiers) if overall_rows else empty
    frontier = Decimal(totals["frontier"])
    savings = float(1 - Decimal(totals["cost"]) / frontier) if frontier > 0 else 0.0
    session_rows: list[dict[str, Any]] = []
    if sessions:
        session_rows = [
            dict(r)
            for r in await conn.fetch(
                """SELECT s.id::text AS session_id, s.channel, s.policy, count(m.id) AS calls,
                      COALESCE(sum(m.cost_usd),0) AS cost_usd, COALESCE(sum(m.frontier_cost_usd),0) AS frontier_cost_usd
               FROM sessions s LEFT JOIN model_calls m ON m.session_id = s.id AND m.status = 'ok'
               WHERE ($1::timestamptz IS NULL OR s.created_at >= $1)
               GROUP BY s.id ORDER BY max(s.updated_at) DESC LIMIT $2""",
                since,
                sessions,
            )
        ]
    return Report(
        since=since,
        overall=overall,
        routes=[_figures(r, tiers) for r in by_route],
        cache_hit_rate=(totals["cached"] / totals["prompt"]) if totals["prompt"] else 0.0,
        calls=totals["calls"],
        savings_vs_frontier=savings,
        sessions=session_rows,
    )


def format_report(report: Report) -> str:
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:,.0f}"

    lines = [
        f"{'route':<14}{'turns':>7}{'success':>9}{'p50 ms':>9}{'p95 ms':>9}{'cost/task':>12}"
        f"{'esc':>6}{'human':>7}  tier mix",
    ]
    for f in [*report.routes, report.overall]:
        mix = " ".join(f"T{k}:{v:.0%}" for k, v in f.tier_mix.items()) or "-"
        lines.append(
            f"{f.route:<14}{f.turns:>7}{f.success_rate:>9.1%}{ms(f.p50_latency_ms):>9}{ms(f.p95_latency_ms):>9}"
            f"{'$' + format(f.cost_per_task_usd, '.5f'):>12}{f.escalation_rate:>6.0%}{f.handoff_rate:>7.0%}  {mix}"
        )
    lines.append("")
    lines.append(
        f"model calls: {report.calls}   cache hit rate: {report.cache_hit_rate:.1%}   "
        f"spent ${report.overall.cost_usd:.4f} vs ${report.overall.frontier_cost_usd:.4f} all-frontier "
        f"({report.savings_vs_frontier:.0%} saved)" + f"   turns with no model call: {report.overall.no_model_turns}"
    )
    lines.append(f"Figures: {report.cost_source}")
    for s in report.sessions:
        lines.append(
            f"  session {s['session_id']} {s['channel']:<6} calls={s['calls']:<4} "
            f"cost=${Decimal(s['cost_usd']):.5f} frontier=${Decimal(s['frontier_cost_usd']):.5f}"
        )
    return "\n".join(lines)

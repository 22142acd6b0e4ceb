"""Eval figures as pure functions over per-trial results: pass^k, percentiles, cost, tier mix.

Kept free of I/O so the report, the gates and calibration compute the same numbers, and so
the formulas can be tested on hand-made data. Money stays `Decimal` until the report rounds it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from math import comb
from typing import Any


@dataclass
class TrialResult:
    """One run of one scenario under one policy."""

    scenario_id: str
    route: str
    policy: str
    trial: int
    passed: bool
    reason: str
    cost_usd: Decimal = Decimal(0)
    frontier_cost_usd: Decimal = Decimal(0)
    turn_latencies_ms: list[float] = field(default_factory=list)
    tier_calls: dict[int, int] = field(default_factory=dict)
    tier_usage: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    """Per tier: cost_usd and the four token counts (input, output, cache_read, cache_write)."""
    turns: int = 0
    flow_turns: int = 0
    """Turns a deterministic flow answered with no model call (tier 0 or the flow-first policy)."""
    agent_turns: list[tuple[str, bool]] = field(default_factory=list)
    """Per turn a specialist answered: its agent, and whether it called a tool."""
    escalated_turns: int = 0
    handoff: bool = False
    session_id: str = ""
    replies: list[str] = field(default_factory=list)

    @property
    def latency_ms(self) -> float:
        return float(sum(self.turn_latencies_ms))


def pass_hat_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """τ-bench's pass^k: the chance that k i.i.d. tries of a task all succeed, averaged over tasks.

    Unbiased from n ≥ k trials with c successes per task: C(c, k) / C(n, k).
    """
    usable = [(c, n) for c, n in counts if n >= k]
    if not usable or k < 1:
        return 0.0
    return sum(comb(c, k) / comb(n, k) for c, n in usable) / len(usable)


def percentile(values: Iterable[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); 0.0 for no data."""
    data = sorted(values)
    if not data:
        return 0.0
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return float(data[lo] + (data[hi] - data[lo]) * (pos - lo))


def tier_mix(tier_calls: Mapping[int, int]) -> dict[str, float]:
    """Share of model calls per tier, keys "1", "2", "3" always present."""
    total = sum(tier_calls.values())
    return {str(t): (tier_calls.get(t, 0) / total if total else 0.0) for t in (1, 2, 3)}


USAGE_KEYS = (
    "cost_usd",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_cost_usd",
    "rerun_cost_usd",
)


def per_tier(trials: Sequence[TrialResult]) -> dict[str, dict[str, float]]:
    """Per tier, per task: calls, cost and tokens, and `cache_read_share` (cache reads over all
    prompt tokens): where the money goes, and whether each tier's calls hit the prompt cache."""
    n = len(trials) or 1
    out: dict[str, dict[str, float]] = {}
    for tier in (1, 2, 3):
        calls = sum(t.tier_calls.get(tier, 0) for t in trials)
        sums = {k: sum((t.tier_usage.get(tier, {}).get(k, Decimal(0)) for t in trials), Decimal(0)) for k in USAGE_KEYS}
        prompt = sums["input_tokens"] + sums["cache_read_tokens"] + sums["cache_write_tokens"]
        block = {"calls_per_task": calls / n}
        block.update({f"{k}_per_task": float(v / n) for k, v in sums.items()})
        block["cache_read_share"] = float(sums["cache_read_tokens"] / prompt) if prompt else 0.0
        out[str(tier)] = block
    return out


def ratio(num: Decimal | float, den: Decimal | float) -> float | None:
    return None if not den else float(Decimal(str(num)) / Decimal(str(den)))


def _summary(trials: Sequence[TrialResult]) -> dict[str, Any]:
    n = len(trials)
    if n == 0:
        return {"n_trials": 0, "success_rate": 0.0, "cost_per_task_usd": 0.0}
    cost = sum((t.cost_usd for t in trials), Decimal(0)) / n
    return {
        "n_trials": n,
        "success_rate": sum(t.passed for t in trials) / n,
        "cost_per_task_usd": float(cost),
        "turns": sum(t.turns for t in trials),
        "flow_turns": sum(t.flow_turns for t in trials),
    }


def summarize_policy(trials: Sequence[TrialResult], ks: Sequence[int]) -> dict[str, Any]:
    """The per-policy block of report.json (without the comparisons to frontier-only)."""
    by_scenario: dict[str, list[TrialResult]] = defaultdict(list)
    for t in trials:
        by_scenario[t.scenario_id].append(t)
    counts = [(sum(t.passed for t in ts), len(ts)) for ts in by_scenario.values()]
    tiers: dict[int, int] = defaultdict(int)
    for t in trials:
        for tier, n in t.tier_calls.items():
            tiers[int(tier)] += n
    latencies = [lat for t in trials for lat in t.turn_latencies_ms]
    turns = sum(t.turns for t in trials)
    n = len(trials)
    cost = sum((t.cost_usd for t in trials), Decimal(0))
    frontier = sum((t.frontier_cost_usd for t in trials), Decimal(0))
    routes: dict[str, list[TrialResult]] = defaultdict(list)
    for t in trials:
        routes[t.route].append(t)
    out: dict[str, Any] = _summary(trials)
    by_trial: dict[int, list[TrialResult]] = defaultdict(list)
    for t in trials:
        by_trial[t.trial].append(t)
    out.update(
        {
            # One point per repeated trial, so charts can show the spread, not just the mean.
            "per_trial": [{"trial": k, **_summary(ts)} for k, ts in sorted(by_trial.items())],
            "n_scenarios": len(by_scenario),
            "pass_hat_k": {str(k): pass_hat_k(counts, k) for k in ks},
            "p50_latency_ms": percentile(latencies, 50),
            "p95_latency_ms": percentile(latencies, 95),
            "tier_mix": tier_mix(tiers),
            "per_tier": per_tier(trials),
            "model_calls": sum(tiers.values()),
            "model_calls_per_task": (sum(tiers.values()) / n) if n else 0.0,
            "escalation_rate": (sum(t.escalated_turns for t in trials) / turns) if turns else 0.0,
            "handoff_rate": (sum(t.handoff for t in trials) / n) if n else 0.0,
            "cost_total_usd": float(cost),
            "cost_if_all_frontier_usd": float(frontier / n) if n else 0.0,
            "per_route": {r: _summary(ts) for r, ts in sorted(routes.items())},
            "scenarios": [
                {
                    "id": sid,
                    "pass": all(t.passed for t in ts),
                    "passes": sum(t.passed for t in ts),
                    "trials": len(ts),
                    "reason": next((t.reason for t in ts if not t.passed), "ok"),
                    "cost_usd": float(sum((t.cost_usd for t in ts), Decimal(0)) / len(ts)),
                    "latency_ms": sum(t.latency_ms for t in ts) / len(ts),
                    "route": ts[0].route,
                }
                for sid, ts in by_scenario.items()
            ],
        }
    )
    return out


def compare_to_reference(policies: dict[str, dict[str, Any]], reference: str = "frontier-only") -> None:
    """Add `cost_vs_<ref>` style fields in place: cost ratio and success delta against the reference.

    Without the reference policy in the run, cost is compared with what the same calls would
    have cost on the provider's frontier model (the model_calls.frontier_cost_usd column).
    """
    ref = policies.get(reference)
    for block in policies.values():
        if ref is not None:
            block["cost_vs_frontier"] = ratio(block["cost_per_task_usd"], ref["cost_per_task_usd"])
            block["success_delta_vs_frontier"] = block["success_rate"] - ref["success_rate"]
        else:
            block["cost_vs_frontier"] = ratio(block["cost_per_task_usd"], block["cost_if_all_frontier_usd"])
            block["success_delta_vs_frontier"] = None
    mid = policies.get("mid-only")
    for block in policies.values():
        block["cost_vs_mid"] = ratio(block["cost_per_task_usd"], mid["cost_per_task_usd"]) if mid else None

"""The eval report's presentation: where costs come from, repeated trials with spread, the Pareto frontier."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from callcenter.evals.metrics import TrialResult, summarize_policy
from callcenter.evals.report import cost_source, pareto_frontier, render_markdown, write_report


def _dominated(p: tuple[float, float], by: tuple[float, float]) -> bool:
    return by[0] <= p[0] and by[1] >= p[1] and by != p


def test_pareto_frontier_keeps_exactly_the_undominated_points() -> None:
    rng = random.Random(12)
    for _ in range(300):
        points = [(round(rng.uniform(0, 0.02), 4), round(rng.uniform(50, 100), 1)) for _ in range(rng.randint(1, 12))]
        frontier = pareto_frontier(points)
        assert frontier == sorted(frontier)  # cheapest first, success rising
        for p in set(points):
            on = p in frontier
            assert on != any(_dominated(p, q) for q in points), (p, points, frontier)


def _trial(trial: int, passed: bool, cost: str) -> TrialResult:
    return TrialResult(
        "s1", "billing", "routed", trial, passed, "ok", cost_usd=Decimal(cost), tier_calls={1: 1}, turns=1
    )


def test_summary_keeps_one_point_per_trial() -> None:
    trials = [_trial(0, True, "0.002"), _trial(1, False, "0.004"), _trial(2, True, "0.003")]
    block = summarize_policy(trials, [1])
    assert [t["trial"] for t in block["per_trial"]] == [0, 1, 2]
    assert [t["success_rate"] for t in block["per_trial"]] == [1.0, 0.0, 1.0]
    assert [round(t["cost_per_task_usd"], 4) for t in block["per_trial"]] == [0.002, 0.004, 0.003]


def _policy(success: float, cost: float, spread: float) -> dict[str, Any]:
    per_trial = [
        {"trial": i, "n_trials": 10, "success_rate": success + d, "cost_per_task_usd": cost * (1 + d)}
        for i, d in enumerate((-spread, 0.0, spread))
    ]
    return {
        "success_rate": success,
        "cost_per_task_usd": cost,
        "per_trial": per_trial,
        "pass_hat_k": {"1": success},
        "cost_vs_frontier": None,
        "cost_vs_mid": None,
        "p50_latency_ms": 5.0,
        "p95_latency_ms": 9.0,
        "tier_mix": {"1": 0.7, "2": 0.2, "3": 0.1},
        "escalation_rate": 0.1,
        "handoff_rate": 0.0,
        "per_route": {},
        "scenarios": [],
    }


def test_report_says_where_costs_come_from_and_charts_the_trials(tmp_path: Path) -> None:
    report = {
        "version": 1,
        "started_at": "2026-11-30T00:00:00Z",
        "seconds": 1.0,
        "mode": "offline",
        "suite": {"scenarios": 10, "trials": 3, "seed": 1, "today": "2026-11-30", "providers": ["anthropic"]},
        "cost_source": cost_source("offline"),
        "policies": {
            "routed": _policy(0.96, 0.002, 0.02),
            "frontier-only": _policy(0.97, 0.012, 0.01),
            "cheap-only": _policy(0.80, 0.001, 0.05),
            "mid-only": _policy(0.90, 0.006, 0.03),
        },
    }
    json_path, md_path, png = write_report(tmp_path, report)
    assert "MODELLED" in json.loads(json_path.read_text())["cost_source"]
    assert "MODELLED" in md_path.read_text()
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "reported token usage" in cost_source("live") and "MODELLED" not in cost_source("live")
    assert "MODELLED" in render_markdown({**report, "cost_source": None})

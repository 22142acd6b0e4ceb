"""Pure eval figures: pass^k, percentiles, tier mix, per-policy summary and gates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callcenter.evals.calibrate import choose
from callcenter.evals.gates import Gates, check_baseline, check_gates
from callcenter.evals.metrics import (
    TrialResult,
    compare_to_reference,
    pass_hat_k,
    percentile,
    summarize_policy,
    tier_mix,
)


def test_pass_hat_k_is_the_unbiased_estimator() -> None:
    # One task 2/4 successes: pass^1 = 0.5, pass^2 = C(2,2)/C(4,2) = 1/6; another 4/4: always 1.
    counts = [(2, 4), (4, 4)]
    assert pass_hat_k(counts, 1) == pytest.approx((0.5 + 1) / 2)
    assert pass_hat_k(counts, 2) == pytest.approx((1 / 6 + 1) / 2)
    assert pass_hat_k(counts, 4) == pytest.approx((0 + 1) / 2)
    assert pass_hat_k(counts, 5) == 0.0  # not enough trials to estimate


def test_percentile_interpolates() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([10.0], 95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile(range(1, 101), 95) == pytest.approx(95.05)


def test_tier_mix_shares_sum_to_one() -> None:
    mix = tier_mix({1: 7, 2: 2, 3: 1})
    assert mix == {"1": 0.7, "2": 0.2, "3": 0.1}
    assert tier_mix({}) == {"1": 0.0, "2": 0.0, "3": 0.0}


def _trial(sid: str, policy: str, passed: bool, cost: str, tiers: dict[int, int], trial: int = 0) -> TrialResult:
    return TrialResult(
        sid,
        "billing",
        policy,
        trial,
        passed,
        "ok" if passed else "missing row",
        cost_usd=Decimal(cost),
        turn_latencies_ms=[10.0, 30.0],
        tier_calls=tiers,
        turns=2,
        escalated_turns=1 if tiers.get(2) else 0,
    )


def test_summary_and_comparison_to_frontier() -> None:
    routed = summarize_policy(
        [_trial("a", "routed", True, "0.002", {1: 3, 2: 1}), _trial("b", "routed", True, "0.004", {1: 2})], [1]
    )
    frontier = summarize_policy(
        [_trial("a", "frontier-only", True, "0.010", {3: 2}), _trial("b", "frontier-only", False, "0.010", {3: 2})], [1]
    )
    policies = {"routed": routed, "frontier-only": frontier}
    compare_to_reference(policies)
    assert routed["success_rate"] == 1.0
    assert routed["cost_per_task_usd"] == pytest.approx(0.003)
    assert routed["cost_vs_frontier"] == pytest.approx(0.3)
    assert routed["success_delta_vs_frontier"] == pytest.approx(0.5)
    assert routed["tier_mix"]["1"] == pytest.approx(5 / 6)
    assert routed["escalation_rate"] == pytest.approx(0.25)
    assert [s["id"] for s in frontier["scenarios"] if not s["pass"]] == ["b"]


def _report(success: float, cost: float, p95: float) -> dict[str, object]:
    return {"policies": {"routed": {"success_rate": success, "cost_per_task_usd": cost, "p95_latency_ms": p95}}}


def test_gates_give_one_line_reasons() -> None:
    report = _report(0.9, 0.01, 200.0)
    assert check_gates(report, Gates(min_success=0.85)) is None
    assert check_gates(report, Gates(min_success=0.95)) == "routed success 90.0% < min 95.0%"
    assert "cost per task" in (check_gates(report, Gates(max_cost_per_task=0.005)) or "")
    assert "p95 latency" in (check_gates(report, Gates(max_p95_ms=100)) or "")
    assert "not in the report" in (check_gates(report, Gates(policy="nope")) or "")


def test_baseline_regressions_beyond_tolerance_fail() -> None:
    baseline = _report(0.95, 0.010, 200.0)
    assert check_baseline(_report(0.93, 0.0104, 250.0), baseline, Gates(tolerance=0.05)) is None
    assert "success regressed" in (check_baseline(_report(0.85, 0.010, 200.0), baseline, Gates()) or "")
    assert "cost per task regressed" in (check_baseline(_report(0.95, 0.012, 200.0), baseline, Gates()) or "")
    assert "p95 latency regressed" in (check_baseline(_report(0.95, 0.010, 400.0), baseline, Gates()) or "")


def test_calibration_picks_cheapest_meeting_target() -> None:
    rows = [
        {"name": "a", "success_rate": 0.99, "cost_per_task_usd": 0.010, "frontier_share": 0.12},
        {"name": "b", "success_rate": 0.96, "cost_per_task_usd": 0.006, "frontier_share": 0.05},
        {"name": "c", "success_rate": 0.80, "cost_per_task_usd": 0.003, "frontier_share": 0.00},
    ]
    assert choose([dict(r) for r in rows], target_success=0.95)["name"] == "b"  # type: ignore[index]
    assert choose([dict(r) for r in rows], max_frontier_share=0.1)["name"] == "b"  # type: ignore[index]
    assert choose([dict(r) for r in rows], target_success=0.999) is None

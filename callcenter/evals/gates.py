"""CI gates over a report: absolute thresholds and regressions against a stored baseline.

Each check returns the first failure as one line, so a CI log says exactly why the build
failed ("routed success 81.2% < min 95.0%") and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Gates:
    policy: str = "routed"
    min_success: float | None = None
    max_cost_per_task: float | None = None
    max_p95_ms: float | None = None
    tolerance: float = 0.05  # absolute points of success; relative rise of cost per task
    latency_tolerance: float = 0.5  # relative rise of p95: wall-clock latency is noisy on shared CI machines


def check_gates(report: dict[str, Any], gates: Gates) -> str | None:
    """Why the report fails the absolute gates, or None."""
    block = report["policies"].get(gates.policy)
    if block is None:
        return f"gate policy {gates.policy!r} is not in the report (ran: {', '.join(report['policies'])})"
    name = gates.policy
    if gates.min_success is not None and block["success_rate"] < gates.min_success:
        return f"{name} success {100 * block['success_rate']:.1f}% < min {100 * gates.min_success:.1f}%"
    if gates.max_cost_per_task is not None and block["cost_per_task_usd"] > gates.max_cost_per_task:
        return f"{name} cost per task ${block['cost_per_task_usd']:.4f} > max ${gates.max_cost_per_task:.4f}"
    if gates.max_p95_ms is not None and block["p95_latency_ms"] > gates.max_p95_ms:
        return f"{name} p95 latency {block['p95_latency_ms']:.0f} ms > max {gates.max_p95_ms:.0f} ms"
    return None


def check_baseline(report: dict[str, Any], baseline: dict[str, Any], gates: Gates) -> str | None:
    """Regression of the gate policy against the same policy in a baseline report.

    Success may drop by at most `tolerance` (absolute), cost per task rise by at most
    `tolerance` (relative), p95 by at most `latency_tolerance` (relative). The first regression found is the reason.
    """
    name = gates.policy
    now = report["policies"].get(name)
    then = baseline.get("policies", {}).get(name)
    if now is None:
        return f"gate policy {name!r} is not in the report"
    if then is None:
        return f"baseline has no policy {name!r}"
    tol = gates.tolerance
    if now["success_rate"] < then["success_rate"] - tol:
        return (
            f"{name} success regressed: {100 * now['success_rate']:.1f}% vs baseline "
            f"{100 * then['success_rate']:.1f}% (tolerance {100 * tol:.1f} pt)"
        )
    if then["cost_per_task_usd"] > 0 and now["cost_per_task_usd"] > then["cost_per_task_usd"] * (1 + tol):
        return (
            f"{name} cost per task regressed: ${now['cost_per_task_usd']:.4f} vs baseline "
            f"${then['cost_per_task_usd']:.4f} (tolerance {100 * tol:.0f}%)"
        )
    lat = gates.latency_tolerance
    if then["p95_latency_ms"] > 0 and now["p95_latency_ms"] > then["p95_latency_ms"] * (1 + lat):
        return (
            f"{name} p95 latency regressed: {now['p95_latency_ms']:.0f} ms vs baseline "
            f"{then['p95_latency_ms']:.0f} ms (tolerance {100 * lat:.0f}%)"
        )
    return None

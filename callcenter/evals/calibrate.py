"""Calibrate the routed policy's thresholds on an eval suite, the way RouteLLM calibrates its router.

RouteLLM picks the router threshold that yields a target share of strong-model calls. We
sweep the knobs that decide how much work reaches the expensive tiers — the difficulty
threshold (a turn at or above it starts one tier up) and the per-turn escalation cap — run
the suite once per setting (all settings side by side in one run, on the same fixtures and
the same fake-provider draws), and pick the cheapest setting that meets the target: a
minimum success rate, or a maximum share of frontier calls (then the most successful, then
the cheapest). The choice is written to the TOML config that `Settings` reads, so the next
`callcenter eval` and the service itself use it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callcenter.evals.metrics import TrialResult, summarize_policy

OFF = 1.01  # a difficulty threshold no turn reaches (difficulty is 0..1): never start a tier up
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.3, 0.5, 0.7, 0.9, OFF)
DEFAULT_ESCALATIONS: tuple[int, ...] = (0, 1, 2)


@dataclass(frozen=True)
class SweepPoint:
    difficulty_threshold: float
    max_escalations: int

    @property
    def name(self) -> str:
        th = "off" if self.difficulty_threshold >= 1.0 else f"{self.difficulty_threshold:.2f}"
        return f"routed#t{th}-e{self.max_escalations}"

    @property
    def overrides(self) -> dict[str, Any]:
        return {"difficulty_threshold": self.difficulty_threshold, "max_escalations": self.max_escalations}


def grid(
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS, escalations: Sequence[int] = DEFAULT_ESCALATIONS
) -> list[SweepPoint]:
    return [SweepPoint(t, e) for t in thresholds for e in escalations]


def parse_thresholds(text: str) -> list[float]:
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        if part:
            out.append(OFF if part in ("off", "none") else float(part))
    return out


def sweep_rows(points: Sequence[SweepPoint], results: dict[str, list[TrialResult]]) -> list[dict[str, Any]]:
    """One row per setting: its figures, in the shape report.md and pareto.png take."""
    rows = []
    for pt in points:
        block = summarize_policy(results.get(pt.name, []), [1])
        rows.append(
            {
                "name": pt.name,
                "difficulty_threshold": None if pt.difficulty_threshold >= 1.0 else pt.difficulty_threshold,
                "max_escalations": pt.max_escalations,
                "success_rate": block["success_rate"],
                "cost_per_task_usd": block["cost_per_task_usd"],
                "frontier_share": block["tier_mix"]["3"],
                "tier_mix": block["tier_mix"],
                "p95_latency_ms": block["p95_latency_ms"],
                "chosen": False,
            }
        )
    return rows


def choose(
    rows: list[dict[str, Any]], *, target_success: float | None = None, max_frontier_share: float | None = None
) -> dict[str, Any] | None:
    """The setting to adopt, or None when no setting meets the target. Marks it `chosen`."""
    if target_success is not None:
        ok = [r for r in rows if r["success_rate"] >= target_success]
        best = min(ok, key=lambda r: (r["cost_per_task_usd"], -r["success_rate"]), default=None)
    elif max_frontier_share is not None:
        ok = [r for r in rows if r["frontier_share"] <= max_frontier_share]
        best = min(ok, key=lambda r: (-r["success_rate"], r["cost_per_task_usd"]), default=None)
    else:
        raise ValueError("give a target: a minimum success rate or a maximum frontier share")
    if best is not None:
        best["chosen"] = True
    return best


# --------------------------------------------------------------------------- config file


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def dump_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for the config file: top-level scalars/lists, then one level of tables."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines += ["", f"[{k}]"] + [f"{kk} = {_toml_value(vv)}" for kk, vv in v.items() if not isinstance(vv, dict)]
    return "\n".join(lines) + "\n"


def write_thresholds(path: Path, values: dict[str, Any]) -> dict[str, Any]:
    """Merge `values` into the TOML config at `path` (other keys kept); returns the new content."""
    data: dict[str, Any] = tomllib.loads(path.read_text()) if path.exists() else {}
    data.update(values)
    header = "# Written by `callcenter calibrate`; Settings reads it (env and .env take precedence).\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + dump_toml(data))
    return data


def settings_values(row: dict[str, Any]) -> dict[str, Any]:
    """The Settings fields a chosen sweep row sets."""
    threshold = row["difficulty_threshold"]
    return {
        "difficulty_threshold": OFF if threshold is None else float(threshold),
        "max_escalations_per_turn": int(row["max_escalations"]),
    }

"""The eval report: report.json (stable keys, for CI and baselines), report.md (for people) and
pareto.png (cost per task against success, one point per policy and per calibration setting).

Keys under `policies.<name>` are a contract: gates, baselines and dashboards read them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from callcenter.evals.metrics import compare_to_reference, summarize_policy

REPORT_VERSION = 1


def build_report(run: Any, ks: Sequence[int] | None = None) -> dict[str, Any]:
    """report.json's content from an EvalRun."""
    trials = run.config.trials
    ks = list(ks or sorted({1, trials} | ({2} if trials >= 2 else set())))
    policies = {name: summarize_policy(results, ks) for name, results in run.results.items()}
    compare_to_reference(policies)
    return {
        "version": REPORT_VERSION,
        "started_at": run.started_at,
        "seconds": round(run.seconds, 2),
        "mode": run.mode,
        "cost_source": cost_source(run.mode),
        "budget": getattr(run, "budget", None),
        "suite": {
            "scenarios": len(run.scenarios),
            "trials": trials,
            "seed": run.config.seed,
            "today": run.config.today.isoformat(),
            "providers": list(run.config.providers),
        },
        "policies": policies,
    }


MODELLED = (
    "MODELLED, not measured: every model call was answered by the fake provider (callcenter/fakellm), whose "
    "token counts, prompt caching, success per tier and turn difficulty, failure modes and speed are a model "
    "(fakellm/modelled.py, failures.py, pacing.py); cost = those token counts x the catalog's list prices "
    "(callcenter/catalog.toml), each policy on a fake provider of its own, so it starts with cold prompt caches "
    'and pays its own cache writes; "vs frontier" = cost per task / the frontier-only policy\'s own run; '
    "latencies are modelled speeds x --latency-scale."
)
LIVE = (
    "Measured: cost = the providers' reported token usage x the catalog's list prices (callcenter/catalog.toml, "
    "see prices_read_on); latencies are wall-clock."
)


def cost_source(mode: str) -> str:
    """Where this report's cost and latency figures come from, stated in every report."""
    return LIVE if mode == "live" else MODELLED


def cost_source_line(report: dict[str, Any]) -> str:
    line = "Figures: " + str(report.get("cost_source") or cost_source(str(report.get("mode"))))
    budget = report.get("budget")
    if budget:
        line += (
            f"\nBudget: spent ${budget['spent_usd']:.4f} of ${budget['max_usd']:.2f}; "
            f"{budget['calls_refused']} call(s) refused, {budget['not_run']} run(s) not started."
        )
    return line


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _usd(x: float) -> str:
    return f"${x:.4f}"


def _delta(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:+.1f} pt"


def _flow_share(block: dict[str, Any]) -> str:
    """Turns answered by a deterministic flow with no model call (tier 0, flow-first), of all turns."""
    turns = int(block.get("turns", 0))
    return "–" if not turns else f"{int(block.get('flow_turns', 0))}/{turns}"


def flow_table(report: dict[str, Any]) -> str | None:
    """Per route, the turns each flow-using policy answered by flow: what its cost leaves out."""
    names = [n for n, p in report["policies"].items() if p.get("flow_turns")]
    if not names:
        return None
    routes = sorted({r for n in names for r in report["policies"][n]["per_route"]})
    rows = ["| route | " + " | ".join(f"{n}: turns by flow" for n in names) + " |", "|---|" + "---|" * len(names)]
    for route in routes:
        cells = [_flow_share(report["policies"][n]["per_route"].get(route, {})) for n in names]
        rows.append(f"| {route} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def summary_table(report: dict[str, Any]) -> str:
    """The policy comparison as a markdown table (also printed by `callcenter eval`)."""
    rows = [
        "| policy | success | pass^k | cost/task | vs frontier | vs all-mid | Δ success vs frontier | "
        "p50 ms | p95 ms | tier mix 1/2/3 | escalation | handoff | turns by flow |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in report["policies"].items():
        mix = p["tier_mix"]
        passk = ", ".join(f"k={k}: {_pct(v)}" for k, v in p["pass_hat_k"].items())
        vs_f = p.get("cost_vs_frontier")
        vs_m = p.get("cost_vs_mid")
        rows.append(
            f"| {name} | {_pct(p['success_rate'])} | {passk} | {_usd(p['cost_per_task_usd'])} | "
            f"{'–' if vs_f is None else f'{100 * (vs_f - 1):+.0f}%'} | "
            f"{'–' if vs_m is None else f'{100 * (vs_m - 1):+.0f}%'} | {_delta(p.get('success_delta_vs_frontier'))} | "
            f"{p['p50_latency_ms']:.0f} | {p['p95_latency_ms']:.0f} | "
            f"{100 * mix['1']:.0f} / {100 * mix['2']:.0f} / {100 * mix['3']:.0f} % | "
            f"{_pct(p['escalation_rate'])} | {_pct(p['handoff_rate'])} | {_flow_share(p)} |"
        )
    return "\n".join(rows)


def render_markdown(report: dict[str, Any], sweep: Sequence[dict[str, Any]] | None = None) -> str:
    suite = report["suite"]
    out = [
        "# Eval report",
        "",
        f"{suite['scenarios']} scenarios × {suite['trials']} trial(s), {report['mode']}, "
        f"run {report['started_at']} in {report['seconds']} s (clock fixed at {suite['today']}).",
        "",
        "## Policies",
        "",
        summary_table(report),
        "",
        "Cost is the blended model spend per scenario (list prices from the catalog); "
        '"vs frontier" is relative to the frontier-only policy when it ran. Latency is per turn.',
        "",
        cost_source_line(report),
        "",
        "## Per route",
        "",
    ]
    names = list(report["policies"])
    routes = sorted({r for p in report["policies"].values() for r in p["per_route"]})
    out.append("| route | " + " | ".join(f"{n} success | {n} cost" for n in names) + " |")
    out.append("|---|" + "---|---|" * len(names))
    for route in routes:
        cells = []
        for n in names:
            r = report["policies"][n]["per_route"].get(route)
            cells.append("– | –" if r is None else f"{_pct(r['success_rate'])} | {_usd(r['cost_per_task_usd'])}")
        out.append(f"| {route} | " + " | ".join(cells) + " |")
    flows = flow_table(report)
    if flows is not None:
        out += [
            "",
            "## Turns answered by flows (no model call)",
            "",
            "Under `routed` (and `flow-first`) the easy turns of agents whose flow passed a held-out split "
            "(agents/flow_reliability.json, tier 0) are answered by that flow at $0; under `flow-first` also "
            "every turn of agents marked `flow_first`; the single-tier policies, frontier-only included, send "
            "every turn to models.",
            "",
            flows,
        ]
    out += [
        "",
        "## Where the cost goes (per task, by tier)",
        "",
        tier_table(report),
        "",
        "Cache writes are mostly each prompt prefix's first write, paid once per policy and cache lifetime "
        "however many calls then read it: a policy spread over three models writes three sets, and a short "
        "eval spreads them over few calls, so they weigh more here than in service. Re-run calls are the "
        "calls a later call re-ran one tier up (a hedge, a refusal, a wrong tool or argument): what a "
        "policy pays to learn that a tier was too weak for a step.",
    ]
    if sweep:
        out += ["", "## Calibration sweep", "", sweep_table(sweep)]
    out += ["", "## Failures", ""]
    any_fail = False
    for n, p in report["policies"].items():
        failed = [s for s in p["scenarios"] if not s["pass"]]
        if not failed:
            continue
        any_fail = True
        out.append(f"### {n} ({len(failed)} failed)")
        out.append("")
        out.extend(f"- `{s['id']}` ({s['passes']}/{s['trials']}): {s['reason']}" for s in failed)
        out.append("")
    if not any_fail:
        out.append("None.")
    return "\n".join(out) + "\n"


def tier_table(report: dict[str, Any]) -> str:
    """Per policy and tier: calls, cost and the share of prompt tokens read from the cache."""
    rows = [
        "| policy | tier | calls/task | cost/task | of it cache writes | of it re-run calls | input tok | "
        "cache read tok | cache write tok | output tok | cache read share |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in report["policies"].items():
        for tier, t in (p.get("per_tier") or {}).items():
            if not t["calls_per_task"]:
                continue
            rows.append(
                f"| {name} | {tier} | {t['calls_per_task']:.2f} | {_usd(t['cost_usd_per_task'])} | "
                f"{_usd(t.get('cache_write_cost_usd_per_task', 0.0))} | "
                f"{_usd(t.get('rerun_cost_usd_per_task', 0.0))} | {t['input_tokens_per_task']:.0f} | "
                f"{t['cache_read_tokens_per_task']:.0f} | {t['cache_write_tokens_per_task']:.0f} | "
                f"{t['output_tokens_per_task']:.0f} | "
                f"{_pct(t['cache_read_share'])} |"
            )
    return "\n".join(rows)


def sweep_table(sweep: Sequence[dict[str, Any]]) -> str:
    rows = [
        "| difficulty threshold | max escalations | success | cost/task | frontier share | p95 ms | chosen |",
        "|---|---|---|---|---|---|---|",
    ]
    for pt in sweep:
        th = pt["difficulty_threshold"]
        rows.append(
            f"| {'off' if th is None else f'{th:.2f}'} | {pt['max_escalations']} | {_pct(pt['success_rate'])} | "
            f"{_usd(pt['cost_per_task_usd'])} | {_pct(pt['frontier_share'])} | {pt['p95_latency_ms']:.0f} | "
            f"{'**yes**' if pt.get('chosen') else ''} |"
        )
    return "\n".join(rows)


def pareto_frontier(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (cost, success) points no other point beats on both (cheaper-or-equal and at least as
    successful, better on one), cheapest first: the choices worth considering."""
    best: list[tuple[float, float]] = []
    for cost, success in sorted(set(points), key=lambda p: (p[0], -p[1])):
        if not best or success > best[-1][1]:
            best.append((cost, success))
    return best


def pareto_chart(report: dict[str, Any] | None, path: Path, sweep: Sequence[dict[str, Any]] | None = None) -> Path:
    """Cost per task (x) against success (y): each policy's repeated trials (small dots) and their
    mean with the min-max spread (error bars), sweep points in grey, and the Pareto frontier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5), dpi=110)
    candidates: list[tuple[float, float]] = []
    if sweep:
        xs = [p["cost_per_task_usd"] for p in sweep]
        ys = [100 * p["success_rate"] for p in sweep]
        candidates += list(zip(xs, ys, strict=True))
        ax.scatter(xs, ys, c="#999999", s=22, label="calibration sweep (routed)", zorder=2)
        for p in sweep:
            if p.get("chosen"):
                ax.scatter(
                    [p["cost_per_task_usd"]],
                    [100 * p["success_rate"]],
                    marker="*",
                    s=180,
                    c="#d62728",
                    label="chosen thresholds",
                    zorder=4,
                )
    trials = 1
    if report is not None:
        trials = report.get("suite", {}).get("trials", 1)
        for i, (name, p) in enumerate(report["policies"].items()):
            color = f"C{i % 10}"
            x, y = p["cost_per_task_usd"], 100 * p["success_rate"]
            candidates.append((x, y))
            per_trial = p.get("per_trial") or []
            if len(per_trial) > 1:
                tx = [t["cost_per_task_usd"] for t in per_trial]
                ty = [100 * t["success_rate"] for t in per_trial]
                ax.scatter(tx, ty, s=14, color=color, alpha=0.35, zorder=2)
                ax.errorbar(
                    [x],
                    [y],
                    xerr=[[x - min(tx)], [max(tx) - x]],
                    yerr=[[y - min(ty)], [max(ty) - y]],
                    fmt="none",
                    ecolor=color,
                    elinewidth=1,
                    capsize=3,
                    zorder=3,
                )
            ax.scatter([x], [y], s=60, color=color, zorder=4)
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
    frontier = pareto_frontier(candidates)
    if len(frontier) > 1:
        fx, fy = zip(*frontier, strict=True)
        ax.step(fx, fy, where="post", linestyle="--", color="#444444", linewidth=1, label="Pareto frontier", zorder=1)
    ax.set_xlabel("cost per task (USD)")
    ax.set_ylabel("success rate (%)")
    spread = f"{trials} trials per policy: dots = trials, bars = min-max" if trials > 1 else "1 trial per policy"
    ax.set_title(f"Cost vs success ({spread})", fontsize=10)
    ax.grid(True, alpha=0.3)
    if sweep or len(frontier) > 1:
        ax.legend(loc="lower right", fontsize=8)
    source = report.get("cost_source") if report is not None else None
    if source:
        fig.text(0.01, 0.01, source, fontsize=6, color="#555555", wrap=True)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(directory: Path, report: dict[str, Any], sweep: Sequence[dict[str, Any]] | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    out_json = directory / "report.json"
    data = dict(report)
    if sweep:
        data["calibration_sweep"] = list(sweep)
    out_json.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    out_md = directory / "report.md"
    out_md.write_text(render_markdown(report, sweep))
    png = pareto_chart(report, directory / "pareto.png", sweep)
    return [out_json, out_md, png]


def load_report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    if "policies" not in data:
        raise ValueError(f"{path} is not an eval report (no `policies`)")
    return data

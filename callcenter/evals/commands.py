"""`callcenter eval SUITE…`, `callcenter eval export SESSION_ID…` and `callcenter calibrate`.

Thin: parse, call the library, print the table, apply the gates, return the exit code
(0 pass, 1 gate failed — with one line saying why on stderr, 2 bad input).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_POLICIES = ("routed", "flow-first", "frontier-only", "mid-only", "cheap-only")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    e = sub.add_parser(
        "eval",
        help="run conversation evals; compare routing policies; gate CI",
        description="Run every scenario of SUITE (YAML files or directories) against a fresh copy of the "
        "fixtures under each policy, print the comparison, write report.json / report.md / pareto.png, and "
        "exit non-zero with a one-line reason when a gate fails. `callcenter eval export SESSION_ID…` turns "
        "stored sessions into scenarios.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("suite", nargs="+", metavar="SUITE", help="scenario files/directories (or: export SESSION_ID…)")
    _run_options(e)
    e.add_argument(
        "--policy",
        action="append",
        dest="policies",
        metavar="NAME",
        help="routed | flow-first | frontier-only | mid-only | cheap-only | local (repeatable; "
        f"default: {' '.join(DEFAULT_POLICIES)})",
    )
    e.add_argument("--gate-policy", default=None, help="policy the gates apply to (default: routed, else the first)")
    e.add_argument("--min-success", type=float, help="fail below this success rate (0..1)")
    e.add_argument("--max-cost-per-task", type=float, help="fail above this cost per task (USD)")
    e.add_argument("--max-p95-ms", type=float, help="fail above this p95 turn latency (ms)")
    e.add_argument("--baseline", type=Path, help="report.json to compare against (regressions fail)")
    e.add_argument(
        "--tolerance",
        type=float,
        default=0.05,
        help="allowed success drop (absolute) and cost rise (relative) vs the baseline (default 0.05)",
    )
    e.add_argument(
        "--latency-tolerance",
        type=float,
        default=0.5,
        help="allowed p95 rise vs the baseline, relative (default 0.5: wall-clock is noisy)",
    )
    e.add_argument(
        "--flow-reliability",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --policy local on a held-out split (generated conversations, not evals/): write per agent "
        "how its flow did, the routed policy's tier 0 (agents/flow_reliability.json; docs/evals.md)",
    )
    e.add_argument(
        "--out", type=Path, default=None, help="with `export` / `generate`: directory for the YAML (default: stdout)"
    )
    e.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="with `generate`: draws per template times this (default 1.0: the file's own counts)",
    )
    e.set_defaults(func=cmd_eval)

    c = sub.add_parser(
        "calibrate",
        help="sweep the routed policy's thresholds on an eval suite and write the best to the config",
        description="Run the suite under a grid of (difficulty threshold × escalation cap) settings of the routed "
        "policy, pick the cheapest that meets --target-success (or the most successful within "
        "--max-frontier-share), print the sweep and write the choice to the TOML config.",
    )
    c.add_argument("--suite", nargs="+", default=["evals"], metavar="SUITE")
    _run_options(c)
    target = c.add_mutually_exclusive_group(required=True)
    target.add_argument("--target-success", type=float, help="minimum success rate to meet (0..1)")
    target.add_argument("--max-frontier-share", type=float, help="maximum share of frontier-tier model calls (0..1)")
    c.add_argument("--thresholds", default="0.3,0.5,0.7,0.9,off", help="difficulty thresholds to try")
    c.add_argument("--escalations", default="0,1,2", help="per-turn escalation caps to try")
    c.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML file to write (default: $CALLCENTER_CONFIG or ./callcenter.toml)",
    )
    c.add_argument("--dry-run", action="store_true", help="print the choice without writing the config")
    c.set_defaults(func=cmd_calibrate)


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trials", type=int, default=1, help="runs per scenario and policy (pass^k uses them)")
    p.add_argument("--concurrency", type=int, default=4, help="scenarios in flight at once")
    p.add_argument("--report", type=Path, default=None, help="directory for report.json / report.md / pareto.png")
    p.add_argument("--only", action="append", default=[], metavar="ID", help="scenario ids or id prefixes to run")
    p.add_argument("--tag", action="append", default=[], help="only scenarios with this tag")
    p.add_argument("--seed", type=int, default=0, help="fake provider seed (trial t uses seed+t)")
    p.add_argument("--latency-scale", type=float, default=0.1, help="fake provider latency multiplier")
    p.add_argument("--providers", default="anthropic", help="fake providers to route to: anthropic,openai")
    p.add_argument("--today", type=date.fromisoformat, default=None, help="the fixed date of the fixtures")
    p.add_argument(
        "--difficulty",
        choices=("auto", "labels", "model", "none"),
        default="auto",
        help="difficulty the router sees: scenario labels, the trained model, or none (auto: model "
        "when configured, else labels)",
    )
    p.add_argument(
        "--live", action="store_true", help="real providers and the tool-use backend (needs keys and --max-usd)"
    )
    p.add_argument(
        "--max-usd",
        type=Decimal,
        default=None,
        metavar="USD",
        help="spending cap on model calls: a call whose worst case would pass it is not sent and no "
        "further scenario starts (required with --live)",
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="show the service's logs (quiet by default)")
    p.add_argument("--data-dir", metavar="DIR", help="embedded PostgreSQL and cached models (no DATABASE_URL)")


def _quiet(args: argparse.Namespace) -> None:
    """Warnings only: hundreds of conversations' info logs would bury the report."""
    if getattr(args, "verbose", False):
        return
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger().setLevel(logging.WARNING)


def _settings(args: argparse.Namespace) -> Any:
    from callcenter.settings import Settings

    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def _config(args: argparse.Namespace, policies: list[str]) -> Any:
    from callcenter.evals.runner import EvalConfig
    from callcenter.evals.scenario import DEFAULT_TODAY

    return EvalConfig(
        policies=policies,
        trials=max(1, args.trials),
        concurrency=max(1, args.concurrency),
        seed=args.seed,
        latency_scale=args.latency_scale,
        live=args.live,
        providers=tuple(p.strip() for p in args.providers.split(",") if p.strip()),
        today=args.today or DEFAULT_TODAY,
        progress=not args.no_progress,
        difficulty_source=args.difficulty,
        max_usd=args.max_usd,
    )


def _fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


def cmd_eval(args: argparse.Namespace) -> int:
    _quiet(args)
    if args.suite[0] == "export":
        return cmd_export(args)
    if args.suite[0] == "generate":
        return cmd_generate(args)
    from callcenter.evals.gates import Gates, check_baseline, check_gates
    from callcenter.evals.report import build_report, cost_source_line, load_report, summary_table, write_report
    from callcenter.evals.runner import EvalError, run_eval
    from callcenter.evals.scenario import ScenarioError, load_suite

    try:
        scenarios = load_suite(args.suite, only=args.only, tags=args.tag)
    except ScenarioError as exc:
        return _fail(f"error: {exc}", 2)
    if not scenarios:
        return _fail("error: no scenarios matched", 2)
    policies = list(dict.fromkeys(args.policies or DEFAULT_POLICIES))
    if args.flow_reliability is not None and policies != ["local"]:
        return _fail("error: --flow-reliability measures the flows: run it with --policy local only", 2)
    if args.flow_reliability is not None and any(_reported_split(s) for s in args.suite):
        return _fail("error: --flow-reliability must be measured off evals/, the split the cost report uses", 2)
    settings = _settings(args)
    try:
        run = asyncio.run(run_eval(settings, scenarios, _config(args, policies)))
    except EvalError as exc:
        return _fail(f"error: {exc}", 2)
    if args.flow_reliability is not None and _write_flow_reliability(args, run) != 0:
        return 2
    report = build_report(run)
    print(summary_table(report))
    print(cost_source_line(report))
    if args.report is not None:
        paths = write_report(args.report, report)
        print("wrote " + ", ".join(str(p) for p in paths))
    gate_policy = args.gate_policy or ("routed" if "routed" in policies else policies[0])
    gates = Gates(
        policy=gate_policy,
        min_success=args.min_success,
        max_cost_per_task=args.max_cost_per_task,
        max_p95_ms=args.max_p95_ms,
        tolerance=args.tolerance,
        latency_tolerance=args.latency_tolerance,
    )
    reason = check_gates(report, gates)
    if reason is None and args.baseline is not None:
        try:
            reason = check_baseline(report, load_report(args.baseline), gates)
        except (OSError, ValueError) as exc:
            return _fail(f"error: baseline: {exc}", 2)
    if reason is not None:
        return _fail(f"GATE FAILED: {reason}")
    return 0


def _reported_split(suite: str) -> bool:
    """Whether `suite` is (in) the hand-written suite evals/ that cost reports are computed on."""
    path, reported = Path(suite).resolve(), Path("evals").resolve()
    return (path == reported or reported in path.parents) and (reported / "generated") not in (path, *path.parents)


def _write_flow_reliability(args: argparse.Namespace, run: Any) -> int:
    """Write the flows' held-out record (callcenter/specialists/flow_tiers.py) and print it."""
    from callcenter.specialists.flow_tiers import FlowReliability

    generated = sum(1 for s in run.scenarios if s.id.startswith("gen-"))  # generated ids start so
    table = FlowReliability.from_trials(
        ((t.passed, t.agent_turns) for t in run.results["local"]),
        measured_on=f"{len(run.scenarios)} scenarios ({generated} generated) in {' '.join(args.suite)}",
        command=" ".join(["callcenter", "eval", *sys.argv[2:]]),
    )
    args.flow_reliability.write_text(table.to_json())
    failed = [t for t in run.results["local"] if not t.passed]
    print(f"{len(failed)} of {len(run.results['local'])} held-out scenarios failed (judged as usual):")
    for t in failed:
        print(f"  {t.scenario_id}: {t.reason}")
    for name, rec in table.agents.items():
        tier = "tier 0" if rec.reliable else "models"
        print(f"{name:14} {rec.passed:4}/{rec.scenarios:<4} scenarios passed, {rec.turns:5} turns -> {tier}")
    print(f"wrote {args.flow_reliability}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from callcenter.evals.export import export_sessions
    from callcenter.evals.scenario import dump_scenarios
    from callcenter.store.db import resolve_dsn

    ids = args.suite[1:]
    if not ids:
        return _fail("error: give one or more SESSION_IDs after `export`", 2)
    try:
        settings = _settings(args)
        scenarios = asyncio.run(export_sessions(resolve_dsn(settings), ids, settings.tools_module))
    except (LookupError, ValueError) as exc:
        return _fail(f"error: {exc}", 2)
    if args.out is None:
        sys.stdout.write(dump_scenarios(scenarios))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for s in scenarios:
        path = args.out / f"{s.id}.yaml"
        path.write_text(dump_scenarios([s]))
        print(f"wrote {path}")
    return 0


GENERATED_TEMPLATES = Path("evals/generated/templates.yaml")


def cmd_generate(args: argparse.Namespace) -> int:
    """`callcenter eval generate [TEMPLATES] --seed N --out DIR`: paraphrased conversations as scenarios."""
    from callcenter.evals.paraphrase import generate, load_spec
    from callcenter.evals.scenario import ScenarioError, dump_scenarios

    path = Path(args.suite[1]) if len(args.suite) > 1 else GENERATED_TEMPLATES
    try:
        scenarios = generate(load_spec(path), seed=args.seed, scale=args.scale)
    except ScenarioError as exc:
        return _fail(f"error: {exc}", 2)
    text = dump_scenarios(scenarios)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"generated-seed{args.seed}.yaml"
    out.write_text(text)
    print(f"wrote {len(scenarios)} scenarios to {out}; run them: callcenter eval {args.out} --policy local")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from callcenter.evals.calibrate import choose, grid, parse_thresholds, settings_values, sweep_rows, write_thresholds
    from callcenter.evals.report import pareto_chart, sweep_table
    from callcenter.evals.runner import EvalError, run_eval
    from callcenter.evals.scenario import ScenarioError, load_suite
    from callcenter.settings import config_file

    _quiet(args)
    try:
        scenarios = load_suite(args.suite, only=args.only, tags=args.tag)
        points = grid(parse_thresholds(args.thresholds), [int(x) for x in args.escalations.split(",") if x.strip()])
    except (ScenarioError, ValueError) as exc:
        return _fail(f"error: {exc}", 2)
    if not scenarios:
        return _fail("error: no scenarios matched", 2)
    config = _config(args, [p.name for p in points])
    config.overrides = {p.name: p.overrides for p in points}
    try:
        run = asyncio.run(run_eval(_settings(args), scenarios, config))
    except EvalError as exc:
        return _fail(f"error: {exc}", 2)
    rows = sweep_rows(points, run.results)
    best = choose(rows, target_success=args.target_success, max_frontier_share=args.max_frontier_share)
    print(sweep_table(rows))
    if args.report is not None:
        import json

        args.report.mkdir(parents=True, exist_ok=True)
        (args.report / "calibration.json").write_text(json.dumps(rows, indent=2) + "\n")
        pareto_chart(None, args.report / "calibration.png", rows)
    if best is None:
        target = (
            f"success >= {args.target_success}"
            if args.target_success is not None
            else f"frontier share <= {args.max_frontier_share}"
        )
        return _fail(f"CALIBRATION FAILED: no setting meets {target}")
    values = settings_values(best)
    path = args.config or config_file()
    print(
        f"chosen: {best['name']} (success {100 * best['success_rate']:.1f}%, "
        f"${best['cost_per_task_usd']:.4f}/task, frontier share {100 * best['frontier_share']:.1f}%)"
    )
    if args.dry_run:
        print("dry run: would write " + ", ".join(f"{k} = {v}" for k, v in values.items()) + f" to {path}")
    else:
        write_thresholds(path, values)
        print("wrote " + ", ".join(f"{k} = {v}" for k, v in values.items()) + f" to {path}")
    return 0

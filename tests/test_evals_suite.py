"""The shipped suite end to end, offline: every policy, the gates, a baseline and calibration.

This is the CI job the product's cost/quality claim rests on: the routed policy must meet
the success gate on the fake provider's modelled tiers, and cost less than frontier-only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from seeded import with_trained_models

from callcenter.app import load_app
from callcenter.cli.main import main
from callcenter.evals.report import build_report, write_report
from callcenter.evals.runner import EvalConfig, run_eval
from callcenter.evals.scenario import load_suite
from callcenter.settings import Settings

SUITE = Path(__file__).resolve().parents[1] / "evals"
# Easy and hard turns mixed: the hard ones (difficulty 0.6-0.8) are where escalation earns its keep.
SUBSET = [
    "booking-plumbing-tomorrow-morning",
    "pay-exact-amount",
    "dispute-late-fee",
    "waiver-second-late-fee-review",
    "dispute-double-charge-complaint",
    "adv-pay-other-invoice",
    "multi-pay-then-book-electrician",
    "booking-correction-slot-choice",
]


@pytest.fixture
def eval_env(server_dsn: str, tmp_path: Path, trained_models: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DATABASE_URL", server_dsn)
    monkeypatch.setenv("CALLCENTER_DATA_DIR", str(with_trained_models(tmp_path / "data", trained_models)))
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "callcenter.toml"))
    monkeypatch.setenv("CALLCENTER_BACKEND", "local")
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CALLCENTER_MAX_ESCALATIONS_PER_TURN"):
        monkeypatch.delenv(key, raising=False)
    yield tmp_path


async def test_the_flows_pass_the_whole_shipped_suite(eval_env: Path) -> None:
    """The deterministic flows are the product's regression suite: every scenario, every run."""
    config = EvalConfig(policies=["local"], trials=1, concurrency=4, latency_scale=0.02, progress=False)
    report = build_report(await run_eval(Settings(), load_suite([SUITE]), config))
    failed = [s["id"] + ": " + s["reason"] for s in report["policies"]["local"]["scenarios"] if not s["pass"]]
    assert failed == []


@pytest.mark.slow  # the whole suite under four model policies (~45 s idle): `python -m pytest -m slow`, .ci/run
async def test_shipped_suite_all_policies_offline(eval_env: Path) -> None:
    started = time.perf_counter()
    scenarios = load_suite([SUITE])
    config = EvalConfig(
        policies=["routed", "frontier-only", "mid-only", "cheap-only"],
        trials=1,
        concurrency=4,
        latency_scale=0.02,
        progress=False,
    )
    run = await run_eval(Settings(), scenarios, config)
    report = build_report(run)
    p = report["policies"]
    assert p["routed"]["success_rate"] >= 0.95
    assert p["routed"]["cost_per_task_usd"] < 0.5 * p["frontier-only"]["cost_per_task_usd"]
    assert p["routed"]["success_rate"] >= p["frontier-only"]["success_rate"] - 0.02
    assert p["cheap-only"]["success_rate"] < p["routed"]["success_rate"]
    assert p["routed"]["tier_mix"]["1"] > p["routed"]["tier_mix"]["2"] > p["routed"]["tier_mix"]["3"] > 0
    assert p["frontier-only"]["tier_mix"]["3"] == 1.0
    # escalations re-run cheap and mid calls; nothing re-runs a frontier call (there is no tier above)
    reruns = {tier: t["rerun_cost_usd_per_task"] for tier, t in p["routed"]["per_tier"].items()}
    assert reruns["1"] > 0 and reruns["3"] == 0, reruns
    assert {"routed", "frontier-only"} <= set(p) and p["routed"]["cost_vs_frontier"] < 0.5
    paths = write_report(eval_env / "report", report)
    data = json.loads(paths[0].read_text())
    for key in (
        "success_rate",
        "pass_hat_k",
        "cost_per_task_usd",
        "p50_latency_ms",
        "p95_latency_ms",
        "tier_mix",
        "escalation_rate",
        "handoff_rate",
        "cost_vs_frontier",
        "success_delta_vs_frontier",
        "per_route",
        "scenarios",
        "per_trial",
    ):
        assert key in data["policies"]["routed"], key
    assert "catalog" in data["cost_source"]
    first = data["policies"]["routed"]["scenarios"][0]
    assert {"id", "pass", "reason", "cost_usd", "latency_ms", "trials"} <= set(first)
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| routed |" in paths[1].read_text()
    # Wall time is reported, not asserted: ~45 s on an idle 2-core machine, more when it is shared.
    print(f"suite: {len(scenarios)} scenarios x 4 policies in {time.perf_counter() - started:.0f} s")


def _eval(*extra: str) -> list[str]:
    args = ["eval", str(SUITE), "--no-progress", "--latency-scale", "0.02"]
    for sid in SUBSET:
        args += ["--only", sid]
    return args + list(extra)


def test_gate_passes_then_a_never_escalating_change_fails_it(
    eval_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = eval_env / "baseline"
    assert main(_eval("--policy", "routed", "--min-success", "0.95", "--report", str(baseline))) == 0
    capsys.readouterr()
    # The deliberately broken change: escalation switched off, so cheap-tier failures go unchecked.
    monkeypatch.setenv("CALLCENTER_MAX_ESCALATIONS_PER_TURN", "0")
    assert main(_eval("--policy", "routed", "--min-success", "0.95")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("GATE FAILED: routed success ")
    # Same broken change against the stored baseline: a regression, one line.
    assert main(_eval("--policy", "routed", "--baseline", str(baseline / "report.json"))) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "success regressed" in err[0]


def test_cheap_only_fails_a_success_gate(eval_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_eval("--policy", "cheap-only", "--min-success", "0.9")) == 1
    assert capsys.readouterr().err.strip().startswith("GATE FAILED: cheap-only success")


def test_calibrate_writes_thresholds_and_eval_uses_them(eval_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = eval_env / "callcenter.toml"
    args = [
        "calibrate",
        "--suite",
        str(SUITE),
        "--no-progress",
        "--latency-scale",
        "0.02",
        "--thresholds",
        "0.5,off",
        "--escalations",
        "0,2",
        "--target-success",
        "0.95",
        "--report",
        str(eval_env / "cal"),
    ]
    for sid in SUBSET:
        args += ["--only", sid]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "difficulty threshold" in out and "chosen:" in out
    text = config.read_text()
    assert "max_escalations_per_turn = 2" in text  # success 0.95 needs escalation
    settings = Settings()
    assert settings.max_escalations_per_turn == 2
    assert (eval_env / "cal" / "calibration.png").exists()
    # An unreachable target fails with one line and writes nothing new.
    config.unlink()
    args[args.index("0.95")] = "1.01"
    assert main(args) == 1
    assert capsys.readouterr().err.strip().startswith("CALIBRATION FAILED")
    assert not config.exists()


def test_flow_first_is_reported_next_to_routed_with_its_flow_turns(
    eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A noise complaint goes to the escalation agent, whose flow the demo vouches for: under flow-first
    that turn costs nothing and is counted per route; routed and frontier-only still send it to models.
    (Not the double-charge complaint: the glue splits it into a billing question, answered by the billing
    team's person, and "I want someone to look into it" queued behind it, so no escalation turn runs.)"""
    report_dir = eval_env / "flows"
    args = ["eval", str(SUITE), "--no-progress", "--latency-scale", "0.02", "--report", str(report_dir)]
    for sid in ("noise-complaint-ticket", "pay-exact-amount"):
        args += ["--only", sid]
    assert main([*args, "--policy", "routed", "--policy", "flow-first", "--policy", "frontier-only"]) == 0
    printed = capsys.readouterr().out
    assert "| flow-first |" in printed and "turns by flow" in printed
    data = json.loads((report_dir / "report.json").read_text())["policies"]
    # Every conversation ran to its end and passed (else the counts below would only echo the failure).
    runs = {name: [(s["id"], s["pass"], s["reason"]) for s in p["scenarios"]] for name, p in data.items()}
    assert all(ok for scenarios in runs.values() for _, ok, _ in scenarios), runs
    assert data["flow-first"]["flow_turns"] >= 1, runs
    assert data["frontier-only"]["flow_turns"] == 0  # a single-tier baseline never uses flows
    assert data["flow-first"]["per_route"]["escalation"]["flow_turns"] >= 1
    # billing is not marked flow_first, but its flow passed the held-out record (tier 0): its easy turns go
    # to the flow under routed and flow-first alike, so the two policies differ only on escalation's turns
    trusted = load_app("callcenter_agents").flow_reliability.tier0
    for policy in ("routed", "flow-first"):
        billing = data[policy]["per_route"]["billing"]["flow_turns"]
        assert (billing >= 1) is ("billing" in trusted), (policy, billing, trusted)
    assert data["routed"]["flow_turns"] < data["flow-first"]["flow_turns"], runs
    assert data["flow-first"]["cost_per_task_usd"] < data["routed"]["cost_per_task_usd"]
    assert data["flow-first"]["success_rate"] == data["routed"]["success_rate"] == 1.0
    markdown = (report_dir / "report.md").read_text()
    assert "## Turns answered by flows (no model call)" in markdown and "| escalation |" in markdown
    # each policy pays its own cold prompt-cache writes, shown apart from the rest of its cost
    for name in ("routed", "frontier-only"):
        tiers = [t for t in data[name]["per_tier"].values() if t["calls_per_task"]]
        writes = sum(t["cache_write_cost_usd_per_task"] for t in tiers)
        assert 0 < writes < data[name]["cost_per_task_usd"], (name, writes)
    # frontier-only has no tier to escalate to, so none of its calls is ever re-run
    assert all(t["rerun_cost_usd_per_task"] == 0 for t in data["frontier-only"]["per_tier"].values())
    assert "of it cache writes" in markdown and "of it re-run calls" in markdown

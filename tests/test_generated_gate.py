"""CI gate on conversations nobody rehearsed: a seed's generated set, run offline, must not get worse.

`evals/generated/templates.yaml` is drawn (templates x fillers x typos x politeness x Spanish) for
a seed the flows were not tuned on, at a fifth of the file's draws so the run stays under a
minute, and the deterministic flows answer every conversation end to end (router, flows,
verifier, database end state). The threshold is a ratchet: the pass rate main achieved when it
was last raised. Raise it when a class lands (the target is 0.95); never lower it to let a
change through. The per-class figures are printed for the report.
"""

from __future__ import annotations

import time
from pathlib import Path

from callcenter.evals.paraphrase import generate, load_spec, per_class
from callcenter.evals.runner import EvalConfig, run_eval
from callcenter.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
SEED = 11
SCALE = 0.2
# Ratchet: what main passed when this was last raised (2026-12-01, classes 1-6 landed: 68 of 69).
MIN_PASS_RATE = 0.98


async def test_generated_conversations_pass_at_least_the_ratchet(offline_eval_env: Path) -> None:
    started = time.perf_counter()
    scenarios = generate(load_spec(TEMPLATES), seed=SEED, scale=SCALE)
    assert len({s.route for s in scenarios}) >= 6  # every class is in the draw
    config = EvalConfig(policies=["local"], trials=1, concurrency=4, progress=False)
    run = await run_eval(Settings(), scenarios, config)
    results = {r.scenario_id: r for r in run.results["local"]}
    passed = [(s, results[s.id].passed) for s in scenarios]
    rate = sum(ok for _, ok in passed) / len(passed)
    table = per_class(passed)
    classes = ", ".join(f"{k} {v['passed']}/{v['n']}" for k, v in table.items() if not k.startswith("~"))
    seconds = time.perf_counter() - started
    print(f"generated seed {SEED} x{SCALE}: {rate:.1%} of {len(passed)} ({classes}) in {seconds:.0f} s")
    failures = [f"{r.scenario_id}: {r.reason}" for r in run.results["local"] if not r.passed]
    assert rate >= MIN_PASS_RATE, f"{rate:.1%} < {MIN_PASS_RATE:.0%} ({classes}); first failures: {failures[:8]}"

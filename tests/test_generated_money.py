"""Money conversations nobody rehearsed, checked by what ended up in the database.

`evals/generated/money.yaml` draws payment requests with amounts in everyday words ("a thousand",
"fifteen hundred", "two fifty", "half of it", "the rest", "1k"), corrections at the confirm question,
unreadable amounts followed by bare yeses, waiver requests right after a payment offer, and billing
questions other than the balance (last payment, payment plans, refunds, "what's the 97.25 for").
Each conversation runs end to end offline (router, glue, flows, verifier, real tools) on a fresh copy
of the seeded database, and passes only if the payments, invoices and handoffs it left are exactly
what the resident asked for: a bot must never charge an amount the resident did not state or confirm.

Seeds other than the one the flows were tuned on find new wordings: `MONEY_SEED=7 pytest …`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from callcenter.evals.paraphrase import generate, load_spec, per_class
from callcenter.evals.runner import EvalConfig, run_eval
from callcenter.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "money.yaml"
SEED = int(os.environ.get("MONEY_SEED", "3"))
SCALE = 0.5
# Money moves here: every generated conversation must pass (a miss is a class to fix, not a threshold to lower).
MIN_PASS_RATE = 1.0


def test_the_templates_cover_every_money_class() -> None:
    scenarios = generate(load_spec(TEMPLATES), seed=SEED, scale=SCALE)
    classes = {s.route for s in scenarios}
    assert {"money-amount", "money-correction", "money-unclear", "money-waiver", "money-questions"} <= classes
    assert len({s.id for s in scenarios}) == len(scenarios)


async def test_generated_money_conversations_leave_the_right_end_state(offline_eval_env: Path) -> None:
    started = time.perf_counter()
    scenarios = generate(load_spec(TEMPLATES), seed=SEED, scale=SCALE)
    config = EvalConfig(policies=["local"], trials=1, concurrency=4, progress=False)
    run = await run_eval(Settings(), scenarios, config)
    results = {r.scenario_id: r for r in run.results["local"]}
    passed = [(s, results[s.id].passed) for s in scenarios]
    rate = sum(ok for _, ok in passed) / len(passed)
    table = per_class(passed)
    classes = ", ".join(f"{k} {v['passed']}/{v['n']}" for k, v in table.items() if not k.startswith("~"))
    seconds = time.perf_counter() - started
    print(f"money seed {SEED} x{SCALE}: {rate:.1%} of {len(passed)} ({classes}) in {seconds:.0f} s")
    by_id = {s.id: s for s in scenarios}
    failures = [
        f"{r.scenario_id} {by_id[r.scenario_id].user.turns}: {r.reason}" for r in run.results["local"] if not r.passed
    ]
    assert rate >= MIN_PASS_RATE, f"{rate:.1%} ({classes}); failures: {failures[:8]}"

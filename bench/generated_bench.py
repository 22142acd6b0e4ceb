"""The router on the first turns of the generated conversations (`callcenter eval generate`).

    python -m bench.generated_bench [--seeds 0,1,2] [--model M] [--out bench/out/router-generated.json]

Each template of `evals/generated/templates.yaml` names the vertical its first turn should be
routed to; this scores the product's router (emergency rules, then the classifier trained from
the business's agent examples, as `callcenter serve` builds it; or `--model` from
`callcenter router train`) on those turns as generated (typed: greetings, hesitations, typos)
and on a spoken-style copy of each (`callcenter/routing/spoken.py`: lower case, no punctuation,
fillers, repeats, ASR confusions, rambling), the business's own proxy for phone transcripts.
Spanish templates are reported apart: they are answered by the language path, not the classifier.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from callcenter.app import App, load_app
from callcenter.evals.paraphrase import generate, load_spec
from callcenter.routing.classifier import VerticalClassifier, default_classifier
from callcenter.routing.router import LocalRouter
from callcenter.routing.spoken import spoken_variant
from callcenter.settings import Settings

TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
OUT = Path(__file__).resolve().parent / "out" / "router-generated.json"

Row = tuple[str, str, str, str]  # text, expected vertical, template id, language


def first_turns(seeds: Sequence[int]) -> list[Row]:
    """Every generated conversation's first turn with its template's vertical (templates without one are skipped)."""
    spec = load_spec(TEMPLATES)
    templates = {t.id: t for t in spec.templates}
    rows: list[Row] = []
    for seed in seeds:
        for scenario in generate(spec, seed=seed):
            template = templates[str(scenario.source).split(":", 1)[1]]
            if template.vertical is None:
                continue
            turns = scenario.user.turns or []
            if not turns:
                continue
            text = turns[0].text
            rows.append((text, template.vertical, template.id, template.language))
    return rows


def build_router(model: Path | None, spoken_copies: int | None = None) -> tuple[LocalRouter, str]:
    """The router `callcenter serve` builds (its confidence threshold too), or one on `model`, or
    the shipped one trained with `spoken_copies` variants per example (0: as before spoken.py)."""
    app = load_app()
    if model is not None:
        classifier = VerticalClassifier.load(model)
        source = str(model)
    elif spoken_copies is not None:
        classifier = VerticalClassifier.fit(
            app.training_examples(), fallback=app.fallback_vertical, spoken_copies=spoken_copies
        )
        source = f"the business's agent examples, {spoken_copies} spoken copies"
    else:
        classifier = default_classifier(app, Path(tempfile.mkdtemp(prefix="router-bench-")))
        source = "default_classifier (the business's agent examples)"
    classifier.fallback = app.fallback_vertical
    threshold = Settings().router_min_confidence
    return LocalRouter(classifier, app.emergency_terms, None, threshold, app.emergency_vertical), source


def route(router: LocalRouter, app: App, text: str) -> str:
    """Where the product sends a first turn: emergency rules, then the classifier on the request
    without its courtesy ("hi, … thanks"), then the business's ROUTE_RULES (conversation/turn_glue.py)."""
    decision = router.decide(text)
    if decision.emergency:
        return decision.vertical
    core = app.courtesy(text) if app.courtesy is not None else text
    if core and core != " ".join(text.lower().split()):
        decision = router.decide(core)
    for vertical, rule in app.route_rules:
        if rule(text):
            return vertical
    return decision.vertical


def rule_vertical(app: App, text: str) -> str | None:
    """The vertical the business's first matching ROUTE_RULE gives `text`, if any rule matches."""
    return next((vertical for vertical, rule in app.route_rules if rule(text)), None)


def score(router: LocalRouter, rows: Sequence[Row]) -> dict[str, Any]:
    """Accuracy against each template's `vertical`, overall and where that label agrees with the
    product's own ROUTE_RULES: a template may name a vertical the business's rules deliberately
    send elsewhere (a lockout: escalation in the template, the handbook's general answer by
    rule), which no classifier can or should fix; such rows are counted apart, per template."""
    app = load_app()
    per_template: dict[str, list[bool]] = defaultdict(list)
    disagree: dict[str, int] = defaultdict(int)
    agreeing: list[bool] = []
    latencies: list[float] = []
    cpu: list[float] = []
    misses: list[dict[str, str]] = []
    for text, vertical, template, _ in rows:
        started, cpu_started = time.perf_counter(), time.thread_time()
        got = route(router, app, text)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        latencies.append((time.perf_counter() - started) * 1000)
        ok = got == vertical
        per_template[template].append(ok)
        ruled = rule_vertical(app, text)
        if ruled is not None and ruled != vertical:
            disagree[template] += 1
        else:
            agreeing.append(ok)
        if not ok and len(misses) < 40:
            misses.append({"text": text, "expected": vertical, "got": got, "template": template})
    hits = [ok for oks in per_template.values() for ok in oks]
    p50, p95 = np.percentile(latencies, [50, 95]) if latencies else (0.0, 0.0)
    return {
        "n": len(hits),
        "accuracy": sum(hits) / len(hits) if hits else None,
        "per_template": {k: round(sum(v) / len(v), 3) for k, v in sorted(per_template.items())},
        "accuracy_where_labels_agree": sum(agreeing) / len(agreeing) if agreeing else None,
        "n_labels_agree": len(agreeing),
        "rows_where_a_route_rule_names_another_vertical": dict(sorted(disagree.items())),
        "latency_p50_ms": float(p50),
        "latency_p95_ms": float(p95),
        # CPU time of this thread: the router's own cost, without the waits of a shared machine
        "cpu_p50_ms": float(np.percentile(cpu, 50)) if cpu else 0.0,
        "cpu_p95_ms": float(np.percentile(cpu, 95)) if cpu else 0.0,
        "misses": misses,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0,1,2", help="generator seeds (comma-separated)")
    ap.add_argument("--model", type=Path, help="a model from `callcenter router train` (default: the shipped router)")
    ap.add_argument("--spoken-copies", type=int, help="train the shipped router with this many (0: the old way)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    rows = first_turns(seeds)
    router, source = build_router(args.model, args.spoken_copies)
    rng = random.Random(7)
    english = [r for r in rows if r[3] == "en"]
    spoken = [(spoken_variant(t, rng), v, tid, lang) for t, v, tid, lang in english]
    command = "python -m bench.generated_bench " + " ".join(argv or sys.argv[1:])
    report: dict[str, Any] = {
        "command": command,
        "router": source,
        "seeds": seeds,
        "english_as_generated": score(router, english),
        "english_spoken_style": score(router, spoken),
        "spanish_as_generated": score(router, [r for r in rows if r[3] != "en"]),
    }
    for key in ("english_as_generated", "english_spoken_style", "spanish_as_generated"):
        block = report[key]
        acc = "-" if block["accuracy"] is None else f"{block['accuracy']:.1%}"
        print(
            f"{key:24s} n={block['n']:4d}  accuracy {acc}  p95 {block['latency_p95_ms']:.3f} ms "
            f"(CPU time p95 {block['cpu_p95_ms']:.3f} ms)"
        )
        worst = sorted(block["per_template"].items(), key=lambda kv: kv[1])[:4]
        print("    worst templates: " + ", ".join(f"{k} {v:.0%}" for k, v in worst))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

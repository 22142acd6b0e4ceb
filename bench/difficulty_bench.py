"""Difficulty-predictor benchmark on RouteLLM's MMLU responses (shared datasets).

    python -m bench.difficulty_bench [--quick] [--datasets DIR] [--out bench/out/difficulty.json]

Data: 57 `responses/mmlu_<subject>.csv` files (prompt, weak correct, strong correct). Prompts listed
in `contaminated_prompts.jsonl` (either its train or eval prompt) are dropped.

Labels: hard = weak model wrong AND strong model right: the only prompts where paying for the strong
model changes the outcome. Every other row (both right, both wrong, weak right but strong wrong) is
trained as not-hard (0): sending them to the strong model buys nothing, so the router should learn
to keep them cheap. Scoring always uses the real correctness of both models, not the label.

Protocol: GroupKFold over subjects (5 folds): a prompt is scored only by a model that saw no prompt
of its subject, so subject identity cannot leak. Scores are then swept as thresholds: prompts at or
above a threshold go to the strong model. Quality at a strong-call share x is the mean correctness
of the mix. APGR = (area under the router's curve - weak area) / (strong area - weak area) over
x in [0, 1]; CPT(50%) = smallest strong share whose quality recovers half the weak->strong gap
(linear interpolation between sweep points). Ties in scores are one threshold step, so a constant
scorer traces the straight line (APGR 0.5) exactly. Random routing (uniform scores, 20 seeds) is
computed in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from callcenter.routing.difficulty import DifficultyModel

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FALLBACK_DATASETS = Path("/work/shared/datasets")
OUT = Path(__file__).resolve().parent / "out" / "difficulty.json"
WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"

F = npt.NDArray[np.float64]


def load_mmlu(folder: Path) -> tuple[list[dict[str, Any]], int]:
    """Rows {text, subject, weak, strong}; and how many contaminated rows were dropped."""
    contaminated: set[str] = set()
    cpath = folder / "contaminated_prompts.jsonl"
    if cpath.exists():
        for line in cpath.read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                contaminated.update(str(item[k]) for k in ("train_prompt", "eval_prompt") if k in item)
    rows: list[dict[str, Any]] = []
    dropped = 0
    for path in sorted((folder / "responses").glob("mmlu_*.csv")):
        subject = path.stem.removeprefix("mmlu_")
        with path.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["prompt"] in contaminated:
                    dropped += 1
                    continue
                rows.append(
                    {
                        "text": r["prompt"],
                        "subject": subject,
                        "weak": r[WEAK] == "True",
                        "strong": r[STRONG] == "True",
                    }
                )
    return rows, dropped


def quality_curve(scores: F, weak: F, strong: F) -> tuple[F, F]:
    """(strong share, accuracy) at every distinct threshold, from all-weak to all-strong."""
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    gain = (strong - weak)[order]
    n = len(s)
    cum = np.concatenate([[0.0], np.cumsum(gain)])
    # cut points: after the last element of each tie group
    ends = np.flatnonzero(np.diff(s) != 0) + 1
    cuts = np.concatenate([[0], ends, [n]]).astype(int)
    x = cuts / n
    y = weak.mean() + cum[cuts] / n
    return x.astype(np.float64), y.astype(np.float64)


def apgr(x: F, y: F, weak_acc: float, strong_acc: float) -> float:
    area = float(np.trapezoid(y, x))
    return (area - weak_acc) / (strong_acc - weak_acc)


def cpt(x: F, y: F, weak_acc: float, strong_acc: float, target: float = 0.5) -> float | None:
    """Strong-call share needed to recover `target` of the weak->strong gap."""
    goal = weak_acc + target * (strong_acc - weak_acc)
    for i in range(len(x)):
        if y[i] >= goal - 1e-12:
            if i == 0:
                return float(x[0])
            x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
            return float(x0 + (goal - y0) * (x1 - x0) / (y1 - y0)) if y1 != y0 else float(x1)
    return None


def cross_validated_scores(
    rows: Sequence[dict[str, Any]], folds: int, quick: bool
) -> tuple[F, list[float], list[dict[str, Any]]]:
    from sklearn.model_selection import GroupKFold

    subjects = np.array([r["subject"] for r in rows])
    scores = np.zeros(len(rows))
    timings: list[float] = []
    fold_info: list[dict[str, Any]] = []
    for k, (tr, te) in enumerate(GroupKFold(n_splits=folds).split(np.zeros(len(rows)), groups=subjects)):
        train_rows = [{"text": rows[i]["text"], "hard": rows[i]["hard"]} for i in tr]
        start = time.perf_counter()
        model = DifficultyModel.fit(train_rows, c=1.0, min_df=2)
        fit_s = time.perf_counter() - start
        held_subjects = set(subjects[te].tolist())
        assert not held_subjects & set(subjects[tr].tolist()), "subject leaked across folds"
        for n, i in enumerate(te):
            a = time.perf_counter()
            scores[i] = model.score(rows[i]["text"])
            if n < (300 if quick else 3000):
                timings.append((time.perf_counter() - a) * 1000)
        check = [{"text": rows[i]["text"]} for i in te[:200]]
        diff = float(np.max(np.abs(model.sklearn_scores(check) - scores[te[:200]])))
        fold_info.append(
            {
                "fold": k,
                "train_rows": len(tr),
                "test_rows": len(te),
                "test_subjects": len(held_subjects),
                "fit_seconds": fit_s,
                "max_abs_diff_vs_sklearn": diff,
            }
        )
        print(
            f"  fold {k}: trained on {len(tr)} prompts in {fit_s:.1f} s, scored {len(te)} prompts of "
            f"{len(held_subjects)} unseen subjects (compact vs sklearn max |diff| {diff:.1e})"
        )
    return scores, timings, fold_info


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="subsample prompts (every 4th)")
    ap.add_argument("--datasets", type=Path)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    root = args.datasets or (DEFAULT_DATASETS if DEFAULT_DATASETS.exists() else FALLBACK_DATASETS)
    folder = root / "routellm" / "mmlu"
    if not (folder / "responses").exists():
        print(f"difficulty bench skipped: RouteLLM MMLU data not found at {folder} (pass --datasets DIR)")
        return 0
    started = time.perf_counter()
    rows, dropped = load_mmlu(folder)
    if args.quick:
        rows = rows[::4]
    for r in rows:
        r["hard"] = (not r["weak"]) and r["strong"]
    weak = np.array([r["weak"] for r in rows], dtype=np.float64)
    strong = np.array([r["strong"] for r in rows], dtype=np.float64)
    weak_acc, strong_acc = float(weak.mean()), float(strong.mean())
    oracle = float(np.maximum(weak, strong).mean())
    n_hard = int(sum(r["hard"] for r in rows))
    print(
        f"RouteLLM MMLU: {len(rows)} prompts ({dropped} contaminated dropped), "
        f"{len({r['subject'] for r in rows})} subjects; weak {weak_acc:.1%}, strong {strong_acc:.1%}, "
        f"oracle {oracle:.1%}; hard (weak wrong, strong right) {n_hard} = {n_hard / len(rows):.1%}"
    )
    scores, timings, folds = cross_validated_scores(rows, args.folds, args.quick)

    x, y = quality_curve(scores, weak, strong)
    ours_apgr = apgr(x, y, weak_acc, strong_acc)
    ours_cpt = cpt(x, y, weak_acc, strong_acc)
    rand_apgr: list[float] = []
    rand_cpt: list[float] = []
    rng = np.random.default_rng(0)
    for _ in range(20):
        rx, ry = quality_curve(rng.random(len(rows)), weak, strong)
        rand_apgr.append(apgr(rx, ry, weak_acc, strong_acc))
        c = cpt(rx, ry, weak_acc, strong_acc)
        if c is not None:
            rand_cpt.append(c)
    # Accuracy at a few strong-call budgets, for the table.
    budgets = {}
    for share in (0.1, 0.2, 0.3, 0.4, 0.5):
        budgets[f"{int(share * 100)}%"] = float(np.interp(share, x, y))
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score([r["hard"] for r in rows], scores))
    p50, p95 = np.percentile(timings, [50, 95])
    lengths = [len(r["text"]) for r in rows]
    report: dict[str, Any] = {
        "command": "python -m bench.difficulty_bench" + (" --quick" if args.quick else ""),
        "prompts": len(rows),
        "contaminated_dropped": dropped,
        "weak_accuracy": weak_acc,
        "strong_accuracy": strong_acc,
        "oracle_accuracy": oracle,
        "hard_rows": n_hard,
        "label": "hard = weak wrong and strong right; all other rows trained as not-hard",
        "cv": f"GroupKFold({args.folds}) over subjects",
        "folds": folds,
        "router": {"apgr": ours_apgr, "cpt50": ours_cpt, "roc_auc_hard": auc, "accuracy_at_strong_share": budgets},
        "random": {
            "apgr_mean": float(np.mean(rand_apgr)),
            "apgr_std": float(np.std(rand_apgr)),
            "cpt50_mean": float(np.mean(rand_cpt)) if rand_cpt else None,
            "seeds": 20,
        },
        "routellm_published": {"best_apgr": 0.603, "cpt50": 0.354},
        "scoring_latency_ms": {
            "n": len(timings),
            "p50": float(p50),
            "p95": float(p95),
            "prompt_chars_median": float(np.median(lengths)),
        },
    }
    report["total_seconds"] = time.perf_counter() - started
    r, rnd = report["router"], report["random"]
    print(f"\n{'router':28s} {'APGR':>7s} {'CPT(50%)':>9s}")
    print(f"{'difficulty model (CV)':28s} {r['apgr']:7.3f} {_pct(r['cpt50']):>9s}   ROC-AUC(hard) {auc:.3f}")
    print(
        f"{'random (20 seeds)':28s} {rnd['apgr_mean']:7.3f} {_pct(rnd['cpt50_mean']):>9s}   "
        f"(APGR std {rnd['apgr_std']:.3f})"
    )
    print(f"{'RouteLLM best published':28s} {0.603:7.3f} {'35.4%':>9s}")
    print("accuracy at strong-call share: " + ", ".join(f"{k} {v:.1%}" for k, v in budgets.items()))
    print(
        f"per-prompt scoring (compact path, median prompt {np.median(lengths):.0f} chars): "
        f"p50 {p50:.3f} ms, p95 {p95:.3f} ms over {len(timings)} prompts"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out} in {report['total_seconds']:.0f} s")
    return 0


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


if __name__ == "__main__":
    sys.exit(main())

"""Vertical-router benchmark on CLINC150, Banking77 and Bitext (shared datasets).

    python -m bench.router_bench [--quick] [--datasets DIR] [--out bench/out/router.json]

Each dataset's `vertical_map.json` maps its intents to our five verticals with a confidence; intents
mapped with `low` confidence (e.g. CLINC's yes / no / maybe, which depend on the previous turn) are
kept for training but left out of every accuracy figure, as the datasets' README asks.

CLINC150: train on `train` + `oos_train` (as out_of_scope), tune the confidence threshold on
`val` + `oos_val` (maximising balanced accuracy: mean per-vertical recall), report on
`test` + `oos_test`. Out-of-scope
recall is reported separately on CLINC's own `oos_test` rows and on in-scope intents that our map
sends to out_of_scope (weather, timers...). Banking77 and Bitext have no out-of-scope rows, so they
are scored with the class alone (no threshold). Latency is single-utterance p50/p95 of our compact
path against scikit-learn's own `predict` on the same model, measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from callcenter.app import load_app
from callcenter.routing.classifier import (
    BUSINESS_REPEAT,
    FALLBACK_BIAS,
    SPOKEN_COPIES,
    VerticalClassifier,
    with_business_examples,
)
from callcenter.routing.router import LocalRouter
from callcenter.routing.spoken import spoken_variant

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FALLBACK_DATASETS = Path("/work/shared/datasets")
OUT = Path(__file__).resolve().parent / "out" / "router.json"
VERTICALS = ["booking", "billing", "escalation", "general", "out_of_scope"]  # the demo business's

BITEXT = "Bitext_Sample_Customer_Service"
Row = tuple[str, str, bool]  # text, vertical, counted in accuracy (not a low-confidence label)


def load_map(folder: Path) -> tuple[dict[str, str], set[str]]:
    data = json.loads((folder / "vertical_map.json").read_text())
    mapping = {str(k): str(v) for k, v in data["map"].items()}
    low = {k for k, d in data["details"].items() if d.get("confidence") == "low"}
    return mapping, low


def _mapped(pairs: Sequence[Sequence[str]], mapping: dict[str, str], low: set[str]) -> list[Row]:
    return [(str(t), mapping[str(i)], str(i) not in low) for t, i in pairs]


def _subsample(rows: list[Row], per_vertical: int, seed: int = 0) -> list[Row]:
    rng = random.Random(seed)
    out: list[Row] = []
    for v in VERTICALS:
        group = [r for r in rows if r[1] == v]
        rng.shuffle(group)
        out.extend(group[:per_vertical])
    return out


def predict_all(clf: VerticalClassifier, texts: Sequence[str]) -> tuple[np.ndarray[Any, Any], list[str]]:
    probs = clf.predict_many(texts)
    return probs, [clf.classes[int(i)] for i in probs.argmax(axis=1)]


def apply_threshold(clf: VerticalClassifier, probs: np.ndarray[Any, Any], threshold: float) -> list[str]:
    out: list[str] = []
    for p in probs:
        best = int(p.argmax())
        v = clf.classes[best]
        out.append("out_of_scope" if p[best] < threshold else v)
    return out


def accuracy(pred: Sequence[str], rows: Sequence[Row]) -> float | None:
    pairs = [(p, r[1]) for p, r in zip(pred, rows, strict=True) if r[2]]
    return sum(p == g for p, g in pairs) / len(pairs) if pairs else None


def per_vertical(pred: Sequence[str], rows: Sequence[Row]) -> dict[str, dict[str, float | int | None]]:
    out: dict[str, dict[str, float | int | None]] = {}
    kept = [(p, r[1]) for p, r in zip(pred, rows, strict=True) if r[2]]
    for v in VERTICALS:
        tp = sum(1 for p, g in kept if p == v and g == v)
        n_pred = sum(1 for p, _ in kept if p == v)
        n_gold = sum(1 for _, g in kept if g == v)
        out[v] = {
            "precision": tp / n_pred if n_pred else None,
            "recall": tp / n_gold if n_gold else None,
            "support": n_gold,
        }
    return out


def balanced_accuracy(pred: Sequence[str], rows: Sequence[Row]) -> float:
    """Mean per-vertical recall: the tuning objective, so the large out_of_scope vertical of CLINC
    (most of its 150 intents) cannot buy its recall with the supported verticals' recall."""
    recalls = [m["recall"] for m in per_vertical(pred, rows).values() if m["recall"] is not None]
    return float(np.mean([float(r) for r in recalls]))


def tune_threshold(clf: VerticalClassifier, rows: Sequence[Row]) -> tuple[float, float]:
    probs, _ = predict_all(clf, [r[0] for r in rows])
    best = (0.0, -1.0)
    for t in np.arange(0.0, 0.951, 0.025):
        acc = balanced_accuracy(apply_threshold(clf, probs, float(t)), rows)
        if acc > best[1] + 1e-9:
            best = (round(float(t), 3), acc)
    return best


def latency(clf: VerticalClassifier, texts: Sequence[str]) -> dict[str, float]:
    """Wall-clock percentiles, and CPU-time ones (this thread's CPU only): on a shared machine
    the wall clock also counts the time other jobs held the core, which is not the router's."""
    ours: list[float] = []
    theirs: list[float] = []
    cpu: list[float] = []
    for t in texts[:50]:  # warm both paths
        clf.predict(t)
        clf.sklearn_predict(t)
    for t in texts:
        a = time.perf_counter()
        clf.predict(t)
        b = time.perf_counter()
        clf.sklearn_predict(t)
        c = time.perf_counter()
        ours.append((b - a) * 1000)
        theirs.append((c - b) * 1000)
        t0 = time.thread_time()
        clf.predict(t)
        cpu.append((time.thread_time() - t0) * 1000)
    o50, o95 = np.percentile(ours, [50, 95])
    s50, s95 = np.percentile(theirs, [50, 95])
    c50, c95 = np.percentile(cpu, [50, 95])
    return {
        "n": len(texts),
        "compact_cpu_p50_ms": float(c50),
        "compact_cpu_p95_ms": float(c95),
        "compact_p50_ms": float(o50),
        "compact_p95_ms": float(o95),
        "sklearn_p50_ms": float(s50),
        "sklearn_p95_ms": float(s95),
        "speedup_p50": float(s50 / o50),
        "speedup_p95": float(s95 / o95),
    }


def _fit(rows: Sequence[Row], **params: Any) -> tuple[VerticalClassifier, float]:
    start = time.perf_counter()
    clf = VerticalClassifier.fit([(r[0], r[1]) for r in rows], min_confidence=0.0, fallback="out_of_scope", **params)
    return clf, time.perf_counter() - start


def spoken_copy(rows: Sequence[Row], seed: int) -> list[Row]:
    """The rows as a phone transcript might render them (routing/spoken.py), labels unchanged:
    the proxy for real speech, scored on test splits the model never saw in any form."""
    rng = random.Random(seed)
    return [(spoken_variant(t, rng), v, k) for t, v, k in rows]


def bench_public(
    root: Path, quick: bool, *, business: bool, spoken_copies: int, fallback_bias: float
) -> dict[str, Any]:
    """One model on all three public train splits, as `callcenter router train` builds it from a
    file of them (plus the business's examples unless `business` is off): the issue's protocol.

    Threshold: the model's own (`router train`'s default 0.45) and the one tuned on CLINC's
    val + oos_val. Scored on every test split, a spoken-style copy of each, and the generated
    conversations' first turns through the product's router (emergency rules first)."""
    data = json.loads((root / "clinc150" / "data_full.json").read_text())
    cmap, clow = load_map(root / "clinc150")
    cmap["oos"] = "out_of_scope"
    bmap, blow = load_map(root / "banking77")
    xmap, xlow = load_map(root / "bitext")
    bitext = root / "bitext"
    train = (
        _mapped(data["train"], cmap, clow)
        + _mapped(data["oos_train"], cmap, clow)
        + _mapped(_read_csv(root / "banking77" / "train.csv", "text", "category"), bmap, blow)
        + _mapped(_read_csv(bitext / f"{BITEXT}_Training_Dataset.csv", "utterance", "intent"), xmap, xlow)
    )
    if quick:
        train = _subsample(train, 600)
    examples = [(r[0], r[1]) for r in train]
    if business:
        examples = with_business_examples(examples, load_app().training_examples())
    start = time.perf_counter()
    clf = VerticalClassifier.fit(
        examples,
        min_confidence=0.45,
        fallback="out_of_scope",
        spoken_copies=spoken_copies,
        fallback_bias=fallback_bias,
    )
    fit_s = time.perf_counter() - start
    val = _mapped(data["val"], cmap, clow) + _mapped(data["oos_val"], cmap, clow)
    tuned, val_acc = tune_threshold(clf, val)
    test_in = _mapped(data["test"], cmap, clow)
    test_oos = _mapped(data["oos_test"], cmap, clow)
    sets: dict[str, list[Row]] = {
        "clinc150": test_in + test_oos,
        "banking77": _mapped(_read_csv(root / "banking77" / "test.csv", "text", "category"), bmap, blow),
        "bitext": _mapped(_read_csv(bitext / f"{BITEXT}_Testing_Dataset.csv", "utterance", "intent"), xmap, xlow),
    }
    for name in list(sets):
        sets[f"{name}_spoken"] = spoken_copy(sets[name], seed=11)
    out: dict[str, Any] = {
        "train_rows": len(examples),
        "business_examples": business,
        "spoken_copies": spoken_copies,
        "fallback_bias": fallback_bias,
        "train_seconds": fit_s,
        "temperature": clf.temperature,
        "val_tuned_threshold": tuned,
        "val_balanced_accuracy_at_tuned": val_acc,
    }
    n_in = len(test_in)
    for name, rows in sets.items():
        probs, _ = predict_all(clf, [r[0] for r in rows])
        block: dict[str, Any] = {"rows": len(rows), "excluded_low_confidence_rows": sum(1 for r in rows if not r[2])}
        for label, threshold in (("model_threshold_0.45", 0.45), ("val_tuned_threshold", tuned)):
            pred = apply_threshold(clf, probs, threshold)
            figures: dict[str, Any] = {"accuracy": accuracy(pred, rows)}
            if name.startswith("clinc150"):
                figures["oos_recall_clinc_oos_test"] = sum(p == "out_of_scope" for p in pred[n_in:]) / len(test_oos)
                figures["accuracy_in_scope_rows"] = accuracy(pred[:n_in], rows[:n_in])
                figures["per_vertical"] = per_vertical(pred, rows)
            block[label] = figures
        out[name] = block
    texts = [r[0] for r in sets["clinc150"]]
    random.Random(1).shuffle(texts)
    out["compact_vs_sklearn_agreement"] = clf.agreement(texts[:1000])
    out["latency"] = latency(clf, texts[: 300 if quick else 2000])
    from bench.generated_bench import first_turns, score

    turns = [r for r in first_turns([0, 1, 2]) if r[3] == "en"]
    app = load_app()
    clf.fallback = app.fallback_vertical
    router = LocalRouter(clf, app.emergency_terms, None, 0.45, app.emergency_vertical)
    rng = random.Random(7)
    out["generated_first_turns"] = {k: v for k, v in score(router, turns).items() if k != "misses"}
    spoken = [(spoken_variant(t, rng), v, tid, lang) for t, v, tid, lang in turns]
    out["generated_first_turns_spoken"] = {k: v for k, v in score(router, spoken).items() if k != "misses"}
    return out


def bench_clinc(folder: Path, quick: bool, **params: Any) -> dict[str, Any]:
    data = json.loads((folder / "data_full.json").read_text())
    mapping, low = load_map(folder)
    mapping["oos"] = "out_of_scope"
    train = _mapped(data["train"], mapping, low) + _mapped(data["oos_train"], mapping, low)
    val = _mapped(data["val"], mapping, low) + _mapped(data["oos_val"], mapping, low)
    test_in = _mapped(data["test"], mapping, low)
    test_oos = _mapped(data["oos_test"], mapping, low)
    if quick:
        train = _subsample(train, 400)
    clf, fit_s = _fit(train, **params)
    threshold, val_acc = tune_threshold(clf, val)
    test_all = test_in + test_oos
    probs, cls_pred = predict_all(clf, [r[0] for r in test_all])
    thr_pred = apply_threshold(clf, probs, threshold)
    n_in = len(test_in)
    mapped_oos_idx = [i for i, r in enumerate(test_in) if r[1] == "out_of_scope" and r[2]]
    in_scope_verticals = [r for r in test_in if r[1] != "out_of_scope"]

    def oos_recall(pred: Sequence[str], idx: Sequence[int]) -> float:
        return sum(pred[i] == "out_of_scope" for i in idx) / len(idx)

    def block(pred: list[str]) -> dict[str, Any]:
        return {
            "vertical_accuracy_in_scope_rows": accuracy(pred[:n_in], test_in),
            "vertical_accuracy_supported_verticals_only": accuracy(
                [p for p, r in zip(pred[:n_in], test_in, strict=True) if r[1] != "out_of_scope"],
                in_scope_verticals,
            ),
            "accuracy_all_rows": accuracy(pred, test_all),
            "oos_recall_clinc_oos_test": oos_recall(pred, range(n_in, len(test_all))),
            "oos_recall_mapped_oos_intents": oos_recall(pred, mapped_oos_idx),
            "per_vertical": per_vertical(pred, test_all),
        }

    sample = [r[0] for r in test_all]
    random.Random(1).shuffle(sample)
    agree_n = 500 if quick else 2000
    return {
        "train_rows": len(train),
        "train_seconds": fit_s,
        "temperature": clf.temperature,
        "excluded_low_confidence_test_rows": sum(1 for r in test_all if not r[2]),
        "threshold": threshold,
        "val_balanced_accuracy_at_threshold": val_acc,
        "class_only": block(cls_pred),
        "with_threshold": block(thr_pred),
        "compact_vs_sklearn_agreement": clf.agreement(sample[:agree_n]),
        "latency": latency(clf, sample[: 300 if quick else 2000]),
    }


def _read_csv(path: Path, text_col: str, label_col: str) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [(r[text_col], r[label_col]) for r in csv.DictReader(fh)]


def bench_simple(
    folder: Path, train_file: str, test_file: str, text_col: str, label_col: str, quick: bool, **params: Any
) -> dict[str, Any]:
    mapping, low = load_map(folder)
    train = _mapped(_read_csv(folder / train_file, text_col, label_col), mapping, low)
    test = _mapped(_read_csv(folder / test_file, text_col, label_col), mapping, low)
    if quick:
        train = _subsample(train, 500)
    clf, fit_s = _fit(train, **params)
    _, pred = predict_all(clf, [r[0] for r in test])
    texts = [r[0] for r in test]
    return {
        "train_rows": len(train),
        "test_rows": len(test),
        "train_seconds": fit_s,
        "excluded_low_confidence_test_rows": sum(1 for r in test if not r[2]),
        "vertical_accuracy": accuracy(pred, test),
        "per_vertical": per_vertical(pred, test),
        "compact_vs_sklearn_agreement": clf.agreement(texts[:1000]),
        "latency": latency(clf, texts[: 200 if quick else 1000]),
    }


def _fmt(x: float | int | None, pct: bool = True) -> str:
    if x is None:
        return "  -  "
    return f"{x:6.1%}" if pct else f"{x:.3f}"


def print_public(p: dict[str, Any]) -> None:
    print(
        f"\nall three public sets -> one model (train {p['train_rows']} rows, business examples "
        f"{'on' if p['business_examples'] else 'off'}, spoken copies {p['spoken_copies']}, "
        f"out_of_scope bias {p['fallback_bias']}; {p['train_seconds']:.0f} s)"
    )
    print(f"  threshold tuned on CLINC val+oos_val: {p['val_tuned_threshold']:.3f}")
    print(f"  {'':34s} {'at 0.45':>9s} {'at tuned':>9s}")
    for name in ("clinc150", "clinc150_spoken", "banking77", "banking77_spoken", "bitext", "bitext_spoken"):
        block = p[name]
        a, b = block["model_threshold_0.45"], block["val_tuned_threshold"]
        print(f"  {name + ' accuracy':34s} {_fmt(a['accuracy']):>9s} {_fmt(b['accuracy']):>9s}")
        if "oos_recall_clinc_oos_test" in a:
            label = name + " OOS recall (oos_test)"
            print(
                f"  {label:34s} {_fmt(a['oos_recall_clinc_oos_test']):>9s} {_fmt(b['oos_recall_clinc_oos_test']):>9s}"
            )
    for key in ("generated_first_turns", "generated_first_turns_spoken"):
        g = p[key]
        print(
            f"  {key:34s} {_fmt(g['accuracy']):>9s}   (n={g['n']}, rules + classifier p95 {g['latency_p95_ms']:.3f} ms)"
        )
    _print_latency(p)


def print_report(report: dict[str, Any]) -> None:
    if report.get("public"):
        print_public(report["public"])
    c = report.get("clinc150")
    if c:
        print(
            f"\nCLINC150 -> verticals  (train {c['train_rows']} rows in {c['train_seconds']:.1f} s; "
            f"{c['excluded_low_confidence_test_rows']} low-confidence test rows left out of accuracy)"
        )
        print(
            f"  confidence threshold tuned on val+oos_val: {c['threshold']:.3f} "
            f"(val balanced accuracy {c['val_balanced_accuracy_at_threshold']:.1%})"
        )
        print(f"  {'':38s} {'class only':>11s} {'+threshold':>11s}")
        for key, label in [
            ("vertical_accuracy_in_scope_rows", "vertical accuracy, in-scope rows"),
            ("vertical_accuracy_supported_verticals_only", "  ... rows of the 4 supported verticals"),
            ("accuracy_all_rows", "accuracy, all rows (incl. oos_test)"),
            ("oos_recall_clinc_oos_test", "OOS recall, CLINC oos_test"),
            ("oos_recall_mapped_oos_intents", "OOS recall, intents mapped to OOS"),
        ]:
            print(f"  {label:38s} {_fmt(c['class_only'][key]):>11s} {_fmt(c['with_threshold'][key]):>11s}")
        print("  per vertical (with threshold):  precision  recall  support")
        for v, m in c["with_threshold"]["per_vertical"].items():
            print(f"    {v:14s} {_fmt(m['precision']):>16s} {_fmt(m['recall']):>7s} {m['support']:>8d}")
        _print_latency(c)
    for name in ("banking77", "bitext"):
        d = report.get(name)
        if not d:
            continue
        print(
            f"\n{name} -> verticals  (train {d['train_rows']} rows in {d['train_seconds']:.1f} s, "
            f"test {d['test_rows']}; {d['excluded_low_confidence_test_rows']} low-confidence rows left out)"
        )
        print(f"  vertical accuracy {d['vertical_accuracy']:.1%} (no out-of-scope rows in this dataset)")
        for v, m in d["per_vertical"].items():
            if m["support"]:
                print(
                    f"    {v:14s} precision {_fmt(m['precision'])}  recall {_fmt(m['recall'])}  support {m['support']}"
                )
        _print_latency(d)


def _print_latency(d: dict[str, Any]) -> None:
    lat = d["latency"]
    print(
        f"  single-utterance latency over {lat['n']}: compact p50 {lat['compact_p50_ms']:.3f} ms, "
        f"p95 {lat['compact_p95_ms']:.3f} ms (CPU time p95 {lat.get('compact_cpu_p95_ms', float('nan')):.3f} ms)"
        f" | sklearn predict p50 {lat['sklearn_p50_ms']:.3f} ms, p95 {lat['sklearn_p95_ms']:.3f} ms"
        f" | {lat['speedup_p50']:.1f}x faster at p50; argmax agreement {d['compact_vs_sklearn_agreement']:.2%}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="subsample training data and latency runs")
    ap.add_argument("--datasets", type=Path, help="shared datasets folder")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--sections",
        default="public,clinc150,banking77,bitext",
        help="public (one model on all three sets, the issue's protocol) and/or one model per set",
    )
    ap.add_argument("--spoken-copies", type=int, default=SPOKEN_COPIES, help="training's spoken variants per example")
    ap.add_argument("--fallback-bias", type=float, default=FALLBACK_BIAS, help="added to the out_of_scope logit")
    ap.add_argument("--without-business-examples", action="store_true", help="public: the public sets alone")
    args = ap.parse_args(argv)
    root = args.datasets or (DEFAULT_DATASETS if DEFAULT_DATASETS.exists() else FALLBACK_DATASETS)
    if not (root / "clinc150" / "data_full.json").exists():
        print(f"router bench skipped: datasets not found at {root} (pass --datasets DIR)")
        return 0
    started = time.perf_counter()
    sections = {s.strip() for s in args.sections.split(",")}
    params = {"spoken_copies": args.spoken_copies, "fallback_bias": args.fallback_bias}
    report: dict[str, Any] = {"command": "python -m bench.router_bench " + " ".join(argv or sys.argv[1:]), **params}
    report["quick"] = args.quick
    if "public" in sections:
        report["public"] = bench_public(root, args.quick, business=not args.without_business_examples, **params)
        report["public"]["business_repeat"] = BUSINESS_REPEAT
    if "clinc150" in sections:
        report["clinc150"] = bench_clinc(root / "clinc150", args.quick, **params)
    if "banking77" in sections and (root / "banking77" / "train.csv").exists():
        report["banking77"] = bench_simple(
            root / "banking77", "train.csv", "test.csv", "text", "category", args.quick, **params
        )
    bitext = root / "bitext"
    if "bitext" in sections and bitext.exists():
        report["bitext"] = bench_simple(
            bitext,
            f"{BITEXT}_Training_Dataset.csv",
            f"{BITEXT}_Testing_Dataset.csv",
            "utterance",
            "intent",
            args.quick,
            **params,
        )
    report["total_seconds"] = time.perf_counter() - started
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out} in {report['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tune a trained router's temperature and confidence threshold on a validation split.

The temperature fitted at training time comes from out-of-fold logits of a smaller model (a
sample, three folds); the threshold below which a turn goes out of scope is a product choice.
Both are better chosen on held-out rows the model never saw, by what the router is for: getting
every vertical right, the small ones as much as the large. So the objective is balanced accuracy
(mean recall per group; a row's group is its vertical unless it names one), which the out-of-scope
vertical of a public set (most of CLINC150's intents) cannot buy with the supported verticals'
recall. Unknown topics are the hard part of out of scope: CLINC150's `oos` rows are out of scope
like its weather or timer intents, but unlike them no training row resembles them. Given their own
group (`UNKNOWN_TOPIC`), they weigh as much as a vertical instead of 100 rows among 2,000 known
out-of-scope ones, whose recall a low threshold keeps high whatever happens to the unknown ones.
Test splits are never used here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from callcenter.routing.classifier import VerticalClassifier
from callcenter.routing.features import FloatArray, softmax

TEMPERATURE_FACTORS = tuple(float(x) for x in np.geomspace(1 / 3, 3.0, 17))
UNKNOWN_TOPIC = "unknown_topic"
"""Group of validation rows on topics no training row covers (CLINC150's oos_val)."""
THRESHOLDS = tuple(round(float(t), 3) for t in np.arange(0.0, 0.951, 0.025))


@dataclass(frozen=True)
class Tuned:
    temperature: float
    min_confidence: float
    balanced_accuracy: float
    rows: int


def label_logits(model: VerticalClassifier, texts: Sequence[str]) -> FloatArray:
    """Raw label scores of many texts (rows), through the compact path the product serves."""
    if not texts:
        return np.zeros((0, len(model.labels)))
    return np.vstack([model.logits(t) for t in texts])


def vertical_proba(model: VerticalClassifier, logits: FloatArray, temperature: float) -> FloatArray:
    p = softmax(logits / temperature)
    return p if model.pool is None else p @ model.pool


def decide(model: VerticalClassifier, proba: FloatArray, threshold: float) -> list[str]:
    """The verticals `predict` would give for these probabilities at `threshold`."""
    best = proba.argmax(axis=1)
    out = [model.classes[int(i)] for i in best]
    if model.fallback is None:
        return out
    low = proba[np.arange(len(best)), best] < threshold
    return [model.fallback if is_low else v for v, is_low in zip(out, low, strict=True)]


def balanced_accuracy(pred: Sequence[str], gold: Sequence[str], groups: Sequence[str] | None = None) -> float:
    """Mean over groups (default: the verticals in `gold`) of the share of rows predicted right."""
    right = np.asarray(pred) == np.asarray(gold)
    g = np.asarray(groups if groups is not None else gold)
    recalls = [float(np.mean(right[g == name])) for name in dict.fromkeys(g.tolist())]
    return float(np.mean(recalls)) if recalls else 0.0


def tune(model: VerticalClassifier, rows: Sequence[tuple[str, str] | tuple[str, str, str]]) -> Tuned:
    """The temperature (the model's own times 1/3 .. 3) and threshold (0 .. 0.95) with the best
    balanced accuracy on `rows` (text, vertical[, group]); ties keep the temperature nearest the
    model's own and the lower threshold. Does not change the model: set `temperature` and
    `min_confidence` from it."""
    if not rows:
        raise ValueError("no validation rows to tune on")
    logits = label_logits(model, [r[0] for r in rows])
    gold = [r[1] for r in rows]
    groups = [r[2] if len(r) > 2 else r[1] for r in rows]
    base = model.temperature
    best = Tuned(base, model.min_confidence, -1.0, len(rows))
    # the model's own temperature first, so that a tie keeps it
    for factor in sorted(TEMPERATURE_FACTORS, key=lambda f: abs(np.log(f))):
        proba = vertical_proba(model, logits, base * factor)
        for threshold in THRESHOLDS if model.fallback is not None else (0.0,):
            score = balanced_accuracy(decide(model, proba, threshold), gold, groups)
            if score > best.balanced_accuracy + 1e-9:
                best = Tuned(base * factor, threshold, score, len(rows))
    return best

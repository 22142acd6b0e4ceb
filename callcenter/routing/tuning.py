"""Tune a trained router's temperature and confidence threshold on a validation split.

The temperature fitted at training time comes from out-of-fold logits of a smaller model (a
sample, three folds); the threshold below which a turn goes out of scope is a product choice.
Both are better chosen on held-out rows the model never saw, by what the router is for: getting
every vertical right, the small ones as much as the large. So the objective is balanced accuracy
(mean per-vertical recall), which the out-of-scope vertical of a public set (most of CLINC150's
intents) cannot buy with the supported verticals' recall. Test splits are never used here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from callcenter.routing.classifier import VerticalClassifier
from callcenter.routing.features import FloatArray, softmax

TEMPERATURE_FACTORS = tuple(float(x) for x in np.geomspace(0.5, 2.0, 13))
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


def balanced_accuracy(pred: Sequence[str], gold: Sequence[str]) -> float:
    """Mean recall over the verticals present in `gold`."""
    g = np.asarray(gold)
    p = np.asarray(pred)
    recalls = [float(np.mean(p[g == v] == v)) for v in dict.fromkeys(gold)]
    return float(np.mean(recalls)) if recalls else 0.0


def tune(model: VerticalClassifier, rows: Sequence[tuple[str, str]]) -> Tuned:
    """The temperature (the model's own times 0.5 .. 2) and threshold (0 .. 0.95) with the best
    balanced accuracy on `rows` (text, vertical); ties keep the model's own temperature and the
    lower threshold. Does not change the model: set `temperature` and `min_confidence` from it."""
    if not rows:
        raise ValueError("no validation rows to tune on")
    logits = label_logits(model, [t for t, _ in rows])
    gold = [v for _, v in rows]
    base = model.temperature
    best = Tuned(base, model.min_confidence, -1.0, len(rows))
    # the model's own temperature first, so that a tie keeps it
    for factor in sorted(TEMPERATURE_FACTORS, key=lambda f: abs(np.log(f))):
        proba = vertical_proba(model, logits, base * factor)
        for threshold in THRESHOLDS if model.fallback is not None else (0.0,):
            score = balanced_accuracy(decide(model, proba, threshold), gold)
            if score > best.balanced_accuracy + 1e-9:
                best = Tuned(base * factor, threshold, score, len(rows))
    return best

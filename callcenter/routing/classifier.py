"""Tier-1 local router: which vertical a customer's turn belongs to, in well under a millisecond.

Training uses scikit-learn (TF-IDF over word 1-2grams and char 2-5grams, multinomial logistic
regression, temperature-scaled probabilities). Inference does NOT call scikit-learn: its per-call
overhead (input validation, sparse matrix construction) is ~0.5-1 ms, more than the whole budget.
After training we keep only the vocabularies, idf weights and coefficients and score a single
utterance with a dict lookup per n-gram and one small numpy dot product. The analyzers are our own
functions, passed to scikit-learn at training time, so both paths see identical n-grams by
construction; `agreement()` checks that they also make identical predictions.

Models are saved as `.npz` with `allow_pickle=False` (arrays and one JSON metadata string), so a
model file can never execute code when loaded.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import structlog

from callcenter.routing.features import (
    FloatArray,
    TextBlock,
    blocks_from_arrays,
    blocks_to_arrays,
    fit_blocks,
    fit_temperature,
    softmax,
    sparse_features,
)
from callcenter.routing.model_file import FORMAT_VERSION, load_or_train, read_model, write_model
from callcenter.routing.spoken import with_spoken_variants
from callcenter.types import RouteDecision, Vertical

if TYPE_CHECKING:
    from callcenter.app import App

log = structlog.get_logger(__name__)

FORMAT = "callcenter.vertical-classifier"
ANALYZERS_DEFAULT = ("word12", "char25")
SPOKEN_COPIES = 1
SPOKEN_WEIGHT = 0.5
FALLBACK_BIAS = 1.0
CALIBRATION_EXAMPLES = 6000
BUSINESS_REPEAT = 5

# --- the classifier ---------------------------------------------------------------------------


class VerticalClassifier:
    """Vertical router: trained with scikit-learn, served by a compact numpy path."""

    def __init__(
        self,
        classes: Sequence[Vertical],
        blocks: list[TextBlock],
        coef: FloatArray,
        intercept: FloatArray,
        *,
        temperature: float = 1.0,
        min_confidence: float = 0.45,
        fallback: Vertical | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.classes = list(classes)
        self.blocks = blocks
        # Column-major copy: a single utterance touches few columns, gathered in one take().
        self.coef_t: FloatArray = np.ascontiguousarray(coef.T, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.temperature = temperature
        self.min_confidence = min_confidence
        self.meta = meta or {}
        self.fallback = fallback
        """Where a turn goes when no vertical is likely enough (the business's out-of-scope agent);
        None keeps the top class."""
        self._class_names = list(self.classes)
        self._sk: Any = None  # sklearn pipeline of the last fit(), never saved

    # training ------------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        examples: Iterable[tuple[str, Vertical | str]],
        *,
        min_confidence: float = 0.45,
        fallback: Vertical | None = None,
        c: float = 10.0,
        min_df: int = 1,
        analyzers: Sequence[str] = ANALYZERS_DEFAULT,
        calibration_folds: int = 3,
        spoken_copies: int = SPOKEN_COPIES,
        spoken_weight: float = SPOKEN_WEIGHT,
        fallback_bias: float = 0.0,
    ) -> VerticalClassifier:
        """Train on (text, vertical) pairs. Probabilities are temperature-scaled on out-of-fold
        logits (`calibration_folds` > 1), because in-sample logits of a well-fit model are
        overconfident, and the confidence threshold needs honest probabilities.

        `spoken_copies` adds that many transcript-style variants of every example (routing/spoken.py),
        each weighing `spoken_weight`, so a phone turn routes like the typed request it transcribes
        while typed text keeps the larger say. `fallback_bias` is added to the `fallback` vertical's
        logit: out of scope is the one vertical no training set can cover, so when large in-scope
        sets swamp it (a public intent set), an utterance unlike every example must lean to it;
        `callcenter router train` uses FALLBACK_BIAS, chosen on CLINC150's validation split with all
        three public sets in training (`python -m bench.router_bench`). The router trained from the
        business's own few hundred examples needs none (its hand-written suite says so)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

        originals = [(t, str(v)) for t, v in examples]
        if not originals:
            raise ValueError("no training examples")
        classes = list(dict.fromkeys(v for _, v in originals))  # in the order the business declares them
        if len(classes) < 2:
            raise ValueError("need examples of at least two verticals")
        rows = with_spoken_variants(originals, copies=spoken_copies, seed=0) if spoken_copies > 0 else originals
        texts = [t for t, _ in rows]
        y = np.array([classes.index(v) for _, v in rows], dtype=np.int64)
        groups = np.arange(len(rows)) % len(originals)  # an example and its variants share a fold
        weights = np.ones(len(rows), dtype=np.float64)
        weights[len(originals) :] = spoken_weight
        bias = np.zeros(len(classes) if len(classes) > 2 else 2, dtype=np.float64)
        if fallback is not None and fallback in classes:
            bias[classes.index(fallback)] = fallback_bias
        start = time.perf_counter()
        blocks, x, union = fit_blocks(texts, analyzers, min_df)
        lr = LogisticRegression(C=c, max_iter=2000)
        lr.fit(x, y, sample_weight=weights)
        # sklearn's own model carries the bias too, so agreement() compares like with like
        lr.intercept_ = lr.intercept_ + (bias if len(classes) > 2 else bias[1] - bias[0])
        temperature = 1.0
        picked = _calibration_rows(y, groups, len(originals))
        min_count = int(np.bincount(y[picked]).min()) // (1 + max(0, spoken_copies))
        folds = min(calibration_folds, min_count)
        if folds >= 2:
            cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
            oof = cross_val_predict(
                LogisticRegression(C=c, max_iter=2000),
                x[picked],
                y[picked],
                groups=groups[picked],
                cv=cv,
                method="decision_function",
                params={"sample_weight": weights[picked]},
            )
            temperature = fit_temperature(_two_column(np.asarray(oof, dtype=np.float64)) + bias, y[picked])
        elapsed = time.perf_counter() - start
        train_acc = float(np.mean(lr.predict(x) == y))
        meta = {
            "n_examples": len(originals),
            "n_rows_with_variants": len(rows),
            "train_accuracy": train_acc,
            "train_seconds": elapsed,
            "c": c,
            "min_df": min_df,
            "analyzers": list(analyzers),
            "spoken_copies": spoken_copies,
            "spoken_weight": spoken_weight,
            "fallback_bias": fallback_bias if fallback in classes else 0.0,
        }
        model = cls(
            classes,
            blocks,
            _two_column(np.asarray(lr.coef_, dtype=np.float64).T).T,
            _two_column(np.asarray(lr.intercept_, dtype=np.float64)[None, :])[0],
            temperature=temperature,
            min_confidence=min_confidence,
            fallback=fallback,
            meta=meta,
        )
        from sklearn.pipeline import Pipeline

        model._sk = Pipeline([("features", union), ("lr", lr)])
        log.info(
            "router.trained",
            n=len(rows),
            classes=len(classes),
            seconds=round(elapsed, 2),
            train_accuracy=round(train_acc, 4),
            temperature=round(temperature, 3),
        )
        return model

    # inference -----------------------------------------------------------------------------
    def logits(self, text: str) -> FloatArray:
        """Raw (uncalibrated) class scores of the compact path."""
        idx, vals = sparse_features(self.blocks, text)
        if not idx:
            return self.intercept.copy()
        z: FloatArray = self.intercept + np.asarray(vals) @ self.coef_t.take(idx, axis=0)
        return z

    def proba(self, text: str) -> FloatArray:
        """Calibrated probabilities over `self.classes`."""
        return softmax(self.logits(text) / self.temperature)

    def predict(self, text: str, min_confidence: float | None = None) -> RouteDecision:
        """Vertical, calibrated confidence of that vertical, scores for every vertical, latency.

        Out of scope two ways: the trained out_of_scope class wins, or the best in-scope
        probability is below `min_confidence` (then confidence = P(out_of_scope), which may be
        low; `reason` says why)."""
        start = time.perf_counter()
        p = self.proba(text)
        threshold = self.min_confidence if min_confidence is None else min_confidence
        best = int(p.argmax())
        vertical = self.classes[best]
        confidence = float(p[best])
        reason = "top class"
        if self.fallback is not None and vertical != self.fallback and confidence < threshold:
            reason = f"low confidence: {vertical} {confidence:.2f} < {threshold:.2f}"
            vertical = self.fallback
            confidence = float(p[self.classes.index(vertical)]) if vertical in self.classes else 1.0 - confidence
        scores = dict(zip(self._class_names, p.tolist(), strict=True))
        if self.fallback is not None:
            scores.setdefault(self.fallback, 0.0)
        latency = (time.perf_counter() - start) * 1000.0
        return RouteDecision(vertical, confidence, latency_ms=latency, scores=scores, reason=reason)

    def predict_many(self, texts: Sequence[str]) -> FloatArray:
        """Probabilities for many texts (rows) through the compact path."""
        return np.vstack([self.proba(t) for t in texts]) if texts else np.zeros((0, len(self.classes)))

    def agreement(self, texts: Sequence[str]) -> float:
        """Share of texts where the compact path's argmax equals sklearn's own predict().

        Only available right after `fit()` (the sklearn objects are not saved)."""
        if self._sk is None:
            raise RuntimeError("agreement() needs the sklearn pipeline of a fresh fit()")
        sk = np.asarray(self._sk.predict(list(texts)))
        ours = np.array([int(self.logits(t).argmax()) for t in texts])
        return float(np.mean(sk == ours)) if len(texts) else 1.0

    def sklearn_predict(self, text: str) -> Vertical:
        """sklearn's own single-utterance predict (for latency comparison in benches)."""
        if self._sk is None:
            raise RuntimeError("sklearn_predict() needs the sklearn pipeline of a fresh fit()")
        return self.classes[int(self._sk.predict([text])[0])]

    # persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "classes": self._class_names,
            "analyzers": [b.analyzer for b in self.blocks],
            "temperature": self.temperature,
            "min_confidence": self.min_confidence,
            "info": self.meta,
        }
        arrays = {"coef_t": self.coef_t, "intercept": self.intercept, **blocks_to_arrays(self.blocks, "b")}
        return write_model(path, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> VerticalClassifier:
        meta, data = read_model(path, FORMAT, kind="router", train_command="callcenter router train")
        blocks = blocks_from_arrays(data, "b", meta["analyzers"])
        coef_t = np.asarray(data["coef_t"], dtype=np.float64)
        intercept = np.asarray(data["intercept"], dtype=np.float64)
        return cls(
            [str(c) for c in meta["classes"]],
            blocks,
            coef_t.T,
            intercept,
            temperature=float(meta["temperature"]),
            min_confidence=float(meta["min_confidence"]),
            meta=dict(meta.get("info", {})),
        )


def _calibration_rows(
    y: npt.NDArray[np.int64], groups: npt.NDArray[np.int64], n_examples: int
) -> npt.NDArray[np.int64]:
    """Rows whose out-of-fold logits set the temperature: all of them up to CALIBRATION_EXAMPLES
    examples, else a seeded sample of that many examples (with their variants). Three more fits
    on a public set of 30,000 rows would triple the training time for one scalar."""
    if n_examples <= CALIBRATION_EXAMPLES:
        return np.arange(len(y))
    keep = np.zeros(n_examples, dtype=bool)
    keep[np.random.default_rng(0).choice(n_examples, CALIBRATION_EXAMPLES, replace=False)] = True
    return np.flatnonzero(keep[groups])


def _two_column(scores: FloatArray) -> FloatArray:
    """Binary logistic regression scores only the second class; as logits [0, z] its softmax is the
    same sigmoid, so a business with two verticals runs the same path as one with five."""
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.shape[1] == 1:
        return np.hstack([np.zeros_like(scores), scores])
    return scores


def with_business_examples(
    rows: Sequence[tuple[str, Vertical]], business: Sequence[tuple[str, Vertical]], repeat: int = BUSINESS_REPEAT
) -> list[tuple[str, Vertical]]:
    """`rows` (say, a public intent set) plus the business's own examples `repeat` times.

    Public sets know nothing of the business's words (a leaking radiator, a lease, a late fee); a
    few hundred of its own utterances among tens of thousands of others need the extra weight."""
    return [*rows, *(list(business) * repeat)]


def examples_hash(examples: Sequence[tuple[str, Vertical | str]], **params: Any) -> str:
    """Stable key of a training set plus hyper-parameters and format version (cache key)."""
    payload = json.dumps(
        {"v": FORMAT_VERSION, "params": params, "rows": [[t, str(v)] for t, v in examples]},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def default_classifier(app: App, cache_dir: str | Path, *, min_confidence: float = 0.45) -> VerticalClassifier:
    """The router trained from the business's own agent examples, cached by a hash of them.

    Training takes a second or two; the cache makes every later start instant and is
    invalidated automatically when any agent's examples change."""
    examples = app.training_examples()
    if not examples:
        raise ValueError("the app's agents have no example utterances to train the router on")
    fallback = app.fallback_vertical
    key = examples_hash(examples, spoken=SPOKEN_COPIES, spoken_weight=SPOKEN_WEIGHT, fallback=fallback)[:20]
    model = load_or_train(
        Path(cache_dir) / f"router-{key}.npz",
        VerticalClassifier.load,
        lambda: VerticalClassifier.fit(examples, min_confidence=min_confidence, fallback=fallback),
    )
    model.min_confidence = min_confidence
    model.fallback = app.fallback_vertical
    return model

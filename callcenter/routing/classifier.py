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
    SparseWeights,
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
FALLBACK_BIAS = {"logistic": 1.0, "linear-svm": 0.0}
"""Added to the out-of-scope logit by `router train`, per learner; each chosen on CLINC150's
validation split with all three public sets in training (`python -m bench.router_bench`)."""
CALIBRATION_EXAMPLES = 6000
CALIBRATION_MIN_PER_LABEL = 6
LEARNERS = {"logistic": 10.0, "linear-svm": 1.0}  # learner -> its default C
BUSINESS_REPEAT = 5
BUSINESS_LABEL = "business:"

Example = tuple[str, str] | tuple[str, str, str]
"""(text, vertical) or (text, vertical, label): a label is a finer class (an intent) of the vertical."""

# --- the classifier ---------------------------------------------------------------------------


class VerticalClassifier:
    """Vertical router: trained with scikit-learn, served by a compact numpy path.

    The linear model may score finer `labels` than the verticals it serves (a public set's
    intents: `book_flight`, `card_declined`...), each mapped to one vertical; a vertical's
    probability is the sum of its labels'. A vertical such as out_of_scope is a union of
    unrelated topics (weather, timers, recipes), which one linear class separates badly and one
    class per intent separates well. Without labels, the labels are the verticals themselves."""

    def __init__(
        self,
        classes: Sequence[Vertical],
        blocks: list[TextBlock],
        coef: FloatArray | SparseWeights,
        intercept: FloatArray,
        *,
        labels: Sequence[str] | None = None,
        label_vertical: Sequence[int] | npt.NDArray[np.int64] | None = None,
        temperature: float = 1.0,
        min_confidence: float = 0.45,
        fallback: Vertical | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.classes = list(classes)
        self.labels = list(labels) if labels is not None else [str(c) for c in self.classes]
        self.label_vertical = (
            np.asarray(label_vertical, dtype=np.int64)
            if label_vertical is not None
            else np.arange(len(self.labels), dtype=np.int64)
        )
        if len(self.label_vertical) != len(self.labels) or (
            len(self.labels) and int(self.label_vertical.max()) >= len(self.classes)
        ):
            raise ValueError("every label must map to one of the classes")
        self.pool: FloatArray | None = None
        """labels x classes, 1 where a label belongs to a class; None when labels are the classes."""
        if labels is not None and not np.array_equal(self.label_vertical, np.arange(len(self.classes))):
            self.pool = np.zeros((len(self.labels), len(self.classes)), dtype=np.float64)
            self.pool[np.arange(len(self.labels)), self.label_vertical] = 1.0
        # By feature: a single utterance touches few features, gathered in one vectorised take.
        self.weights = (
            coef if isinstance(coef, SparseWeights) else SparseWeights.from_dense(np.asarray(coef, dtype=np.float64).T)
        )
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.blocks = blocks
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
        examples: Iterable[Example],
        *,
        min_confidence: float = 0.45,
        fallback: Vertical | None = None,
        c: float | None = None,
        min_df: int = 1,
        analyzers: Sequence[str] = ANALYZERS_DEFAULT,
        calibration_folds: int = 3,
        spoken_copies: int = SPOKEN_COPIES,
        spoken_weight: float = SPOKEN_WEIGHT,
        fallback_bias: float = 0.0,
        learner: str = "logistic",
        prune: float | None = None,
    ) -> VerticalClassifier:
        """Train on (text, vertical) pairs or (text, vertical, label) triples. Probabilities are
        temperature-scaled on out-of-fold logits (`calibration_folds` > 1), because in-sample
        logits of a well-fit model are overconfident, and the confidence threshold needs honest
        probabilities.

        `learner`: "logistic" (multinomial logistic regression, C=10) or "linear-svm" (one-vs-rest
        linear SVM, C=1: minutes instead of tens of minutes on a public set's hundreds of intents,
        and its weights are mostly near zero, so weights with |w| <= `prune` (default 0.01) are
        dropped; the bench measures that this changes no figure). Labels, when given, are what
        the model learns; each must always come with the same vertical.

        `spoken_copies` adds that many transcript-style variants of every example (routing/spoken.py),
        each weighing `spoken_weight`, so a phone turn routes like the typed request it transcribes
        while typed text keeps the larger say. `fallback_bias` is added to the `fallback` vertical's
        logit (each of its labels'): out of scope is the one vertical no training set can cover, so
        when large in-scope sets swamp it (a public intent set), an utterance unlike every example
        must lean to it. The router trained from the business's own few hundred examples needs none
        (its hand-written suite says so)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
        from sklearn.svm import LinearSVC

        if learner not in LEARNERS:
            raise ValueError(f"unknown learner {learner!r}; use one of {', '.join(LEARNERS)}")
        originals: list[tuple[str, str]] = []
        label_of: dict[str, str] = {}
        for example in examples:
            text, vertical = example[0], str(example[1])
            label = str(example[2]) if len(example) > 2 else vertical
            if label_of.setdefault(label, vertical) != vertical:
                raise ValueError(f"label {label!r} comes with two verticals: {label_of[label]!r} and {vertical!r}")
            originals.append((text, label))
        if not originals:
            raise ValueError("no training examples")
        classes = list(dict.fromkeys(label_of.values()))  # in the order the business declares them
        if len(classes) < 2:
            raise ValueError("need examples of at least two verticals")
        labels = list(label_of)
        label_vertical = np.array([classes.index(label_of[x]) for x in labels], dtype=np.int64)
        fine = labels != classes
        pool: FloatArray | None = None
        if fine:
            pool = np.zeros((len(labels), len(classes)), dtype=np.float64)
            pool[np.arange(len(labels)), label_vertical] = 1.0
        rows = with_spoken_variants(originals, copies=spoken_copies, seed=0) if spoken_copies > 0 else originals
        texts = [t for t, _ in rows]
        index = {x: i for i, x in enumerate(labels)}
        y = np.array([index[x] for _, x in rows], dtype=np.int64)
        groups = np.arange(len(rows)) % len(originals)  # an example and its variants share a fold
        weights = np.ones(len(rows), dtype=np.float64)
        weights[len(originals) :] = spoken_weight
        bias = np.zeros(len(labels) if len(labels) > 2 else 2, dtype=np.float64)
        if fallback is not None and fallback in classes:
            bias[: len(labels)][label_vertical == classes.index(fallback)] = fallback_bias
        strength = c if c is not None else LEARNERS[learner]
        cut = prune if prune is not None else (0.01 if learner == "linear-svm" else 0.0)

        def make() -> Any:
            if learner == "linear-svm":
                return LinearSVC(C=strength)
            return LogisticRegression(C=strength, max_iter=2000)

        start = time.perf_counter()
        blocks, x, union = fit_blocks(texts, analyzers, min_df)
        lr = make()
        lr.fit(x, y, sample_weight=weights)
        # sklearn's own model carries the bias too, so agreement() compares like with like
        lr.intercept_ = lr.intercept_ + (bias if len(labels) > 2 else bias[1] - bias[0])
        temperature = 1.0
        picked = _calibration_rows(y, groups, len(originals))
        min_count = int(np.bincount(y[picked]).min()) // (1 + max(0, spoken_copies))
        folds = min(calibration_folds, min_count)
        if folds >= 2:
            cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
            oof = cross_val_predict(
                make(),
                x[picked],
                y[picked],
                groups=groups[picked],
                cv=cv,
                method="decision_function",
                params={"sample_weight": weights[picked]},
            )
            held = _two_column(np.asarray(oof, dtype=np.float64)) + bias
            target = label_vertical[y[picked]] if fine else y[picked]
            temperature = fit_temperature(held, target, pool)
        elapsed = time.perf_counter() - start
        train_acc = float(np.mean(label_vertical[np.asarray(lr.predict(x))] == label_vertical[y]))
        coef_t = _two_column(np.asarray(lr.coef_, dtype=np.float64).T)
        meta = {
            "n_examples": len(originals),
            "n_rows_with_variants": len(rows),
            "n_labels": len(labels),
            "train_accuracy": train_acc,
            "train_seconds": elapsed,
            "learner": learner,
            "c": strength,
            "prune": cut,
            "min_df": min_df,
            "analyzers": list(analyzers),
            "spoken_copies": spoken_copies,
            "spoken_weight": spoken_weight,
            "fallback_bias": fallback_bias if fallback in classes else 0.0,
        }
        model = cls(
            classes,
            blocks,
            SparseWeights.from_dense(coef_t, cut),
            _two_column(np.asarray(lr.intercept_, dtype=np.float64)[None, :])[0],
            labels=labels if fine else None,
            label_vertical=label_vertical if fine else None,
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
            labels=len(labels),
            seconds=round(elapsed, 2),
            train_accuracy=round(train_acc, 4),
            temperature=round(temperature, 3),
        )
        return model

    # inference -----------------------------------------------------------------------------
    def logits(self, text: str) -> FloatArray:
        """Raw (uncalibrated) scores of every label (`self.labels`) on the compact path."""
        idx, vals = sparse_features(self.blocks, text)
        return self.weights.scores(idx, vals, self.intercept)

    def proba(self, text: str) -> FloatArray:
        """Calibrated probabilities over `self.classes` (each the sum of its labels')."""
        p = softmax(self.logits(text) / self.temperature)
        return p if self.pool is None else p @ self.pool

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
        ours = np.array([int(self.logits(t).argmax()) for t in texts])  # label level, as sklearn's
        return float(np.mean(sk == ours)) if len(texts) else 1.0

    def sklearn_predict(self, text: str) -> Vertical:
        """sklearn's own single-utterance predict (for latency comparison in benches)."""
        if self._sk is None:
            raise RuntimeError("sklearn_predict() needs the sklearn pipeline of a fresh fit()")
        return self.classes[int(self.label_vertical[int(self._sk.predict([text])[0])])]

    # persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "classes": self._class_names,
            "labels": self.labels,
            "analyzers": [b.analyzer for b in self.blocks],
            "temperature": self.temperature,
            "min_confidence": self.min_confidence,
            "info": self.meta,
        }
        arrays = {
            **self.weights.to_arrays("w_"),
            "intercept": self.intercept,
            "label_vertical": self.label_vertical,
            **blocks_to_arrays(self.blocks, "b"),
        }
        return write_model(path, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> VerticalClassifier:
        meta, data = read_model(path, FORMAT, kind="router", train_command="callcenter router train")
        blocks = blocks_from_arrays(data, "b", meta["analyzers"])
        intercept = np.asarray(data["intercept"], dtype=np.float64)
        classes = [str(c) for c in meta["classes"]]
        labels = [str(x) for x in meta.get("labels", classes)]
        weights: FloatArray | SparseWeights
        if "coef_t" in data:  # written before labels and sparse weights: dense, one column per class
            weights = np.asarray(data["coef_t"], dtype=np.float64).T
        else:
            weights = SparseWeights.from_arrays(data, "w_", len(labels))
        return cls(
            classes,
            blocks,
            weights,
            intercept,
            labels=labels,
            label_vertical=np.asarray(data.get("label_vertical", np.arange(len(labels))), dtype=np.int64),
            temperature=float(meta["temperature"]),
            min_confidence=float(meta["min_confidence"]),
            meta=dict(meta.get("info", {})),
        )


def _calibration_rows(
    y: npt.NDArray[np.int64], groups: npt.NDArray[np.int64], n_examples: int
) -> npt.NDArray[np.int64]:
    """Rows whose out-of-fold logits set the temperature: all of them up to CALIBRATION_EXAMPLES
    examples, else a seeded sample of about that many examples (with their variants), the same
    share of every label so that each is in every fold. Three more fits on a public set of
    30,000 rows would triple the training time for one scalar."""
    if n_examples <= CALIBRATION_EXAMPLES:
        return np.arange(len(y))
    rng = np.random.default_rng(0)
    originals = y[:n_examples]
    share = CALIBRATION_EXAMPLES / n_examples
    keep = np.zeros(n_examples, dtype=bool)
    for label in np.unique(originals):
        members = np.flatnonzero(originals == label)
        take = min(len(members), max(CALIBRATION_MIN_PER_LABEL, round(share * len(members))))
        keep[rng.choice(members, take, replace=False)] = True
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
    rows: Sequence[Example],
    business: Sequence[tuple[str, Vertical]],
    repeat: int = BUSINESS_REPEAT,
    *,
    labelled: bool = False,
) -> list[Example]:
    """`rows` (say, a public intent set) plus the business's own examples `repeat` times.

    Public sets know nothing of the business's words (a leaking radiator, a lease, a late fee); a
    few hundred of its own utterances among tens of thousands of others need the extra weight.
    `labelled` (rows carry intent labels): each business vertical is one more label,
    `business:<vertical>`, its own cluster beside the public intents of the same vertical."""
    own: list[Example] = [(t, v, f"{BUSINESS_LABEL}{v}") for t, v in business] if labelled else list(business)
    return [*rows, *(own * repeat)]


def examples_hash(examples: Sequence[Example], **params: Any) -> str:
    """Stable key of a training set plus hyper-parameters and format version (cache key)."""
    payload = json.dumps(
        {"v": FORMAT_VERSION, "params": params, "rows": [[str(x) for x in e] for e in examples]},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def default_classifier(app: App, cache_dir: str | Path, *, min_confidence: float = 0.45) -> VerticalClassifier:
    """The router trained from the business's own agent examples, cached by a hash of them.

    Training takes seconds to a minute (79 s measured on a first `serve` on a busy 2-core box);
    the cache makes every later start instant and is
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

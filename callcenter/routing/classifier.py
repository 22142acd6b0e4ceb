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
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import structlog

from callcenter.types import RouteDecision, Vertical

if TYPE_CHECKING:
    from callcenter.app import App

log = structlog.get_logger(__name__)

FORMAT = "callcenter.vertical-classifier"
FORMAT_VERSION = 1

FloatArray = npt.NDArray[np.float64]

_WORD = re.compile(r"[a-z0-9']+")
_SPACE = re.compile(r"\s+")


# --- analyzers: the single source of truth for n-grams, shared by training and inference --------


def word_tokens(text: str) -> list[str]:
    """Lower-cased word tokens; apostrophes kept so "don't" and "isn't" stay one token."""
    return [t.strip("'") for t in _WORD.findall(text.lower()) if t.strip("'")]


def word_ngrams(text: str, max_n: int = 2) -> list[str]:
    """Word 1..max_n-grams."""
    toks = word_tokens(text)
    grams = list(toks)
    for n in range(2, max_n + 1):
        grams.extend(" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1))
    return grams


def char_wb_ngrams(text: str, min_n: int = 2, max_n: int = 5) -> list[str]:
    """Character n-grams inside word boundaries (each word padded with spaces), like sklearn's
    `char_wb`: robust to typos and inflections, which matter for short chat turns."""
    grams: list[str] = []
    for w in _SPACE.sub(" ", text.lower()).split():
        padded = f" {w} "
        length = len(padded)
        for n in range(min_n, max_n + 1):
            if n > length:
                if n == min_n:
                    grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(length - n + 1))
    return grams


ANALYZERS: dict[str, Callable[[str], list[str]]] = {
    "word12": word_ngrams,
    "char25": char_wb_ngrams,
}


@dataclass
class TextBlock:
    """One TF-IDF block (sublinear tf, l2-normalised) as plain data: vocabulary and idf."""

    analyzer: str
    vocab: dict[str, int]
    idf: FloatArray
    offset: int = 0

    def features(self, text: str) -> tuple[list[int], list[float]]:
        """Column indices (global, with offset) and values of this block for one text."""
        counts: dict[int, int] = {}
        vocab = self.vocab
        for g in ANALYZERS[self.analyzer](text):
            j = vocab.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return [], []
        idx = list(counts)
        vals = [(1.0 + math.log(counts[j])) * float(self.idf[j]) for j in idx]
        norm = math.sqrt(sum(v * v for v in vals))
        off = self.offset
        return [j + off for j in idx], [v / norm for v in vals]


def fit_blocks(docs: Sequence[str], analyzers: Sequence[str], min_df: int = 1) -> tuple[list[TextBlock], Any, Any]:
    """Fit one sklearn TfidfVectorizer per analyzer; return our blocks, the training matrix and
    the sklearn transformer (kept only for the agreement check and the latency comparison)."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    union = FeatureUnion(
        [(name, TfidfVectorizer(analyzer=ANALYZERS[name], sublinear_tf=True, min_df=min_df)) for name in analyzers]
    )
    matrix = sparse.csr_matrix(union.fit_transform(list(docs)))
    blocks: list[TextBlock] = []
    offset = 0
    for name, vec in union.transformer_list:
        vocab = {str(k): int(v) for k, v in vec.vocabulary_.items()}
        blocks.append(TextBlock(name, vocab, np.asarray(vec.idf_, dtype=np.float64), offset))
        offset += len(vocab)
    return blocks, matrix, union


def blocks_to_arrays(blocks: Sequence[TextBlock], prefix: str) -> dict[str, npt.NDArray[Any]]:
    """Vocabularies as unicode arrays ordered by column, so no pickle is needed."""
    out: dict[str, npt.NDArray[Any]] = {}
    for i, b in enumerate(blocks):
        terms = [""] * len(b.vocab)
        for term, j in b.vocab.items():
            terms[j] = term
        out[f"{prefix}{i}_terms"] = np.array(terms, dtype=np.str_)
        out[f"{prefix}{i}_idf"] = b.idf
    return out


def blocks_from_arrays(data: Any, prefix: str, analyzers: Sequence[str]) -> list[TextBlock]:
    blocks: list[TextBlock] = []
    offset = 0
    for i, name in enumerate(analyzers):
        if name not in ANALYZERS:
            raise ValueError(f"unknown analyzer {name!r} in model file")
        terms = [str(t) for t in data[f"{prefix}{i}_terms"]]
        idf = np.asarray(data[f"{prefix}{i}_idf"], dtype=np.float64)
        blocks.append(TextBlock(name, {t: j for j, t in enumerate(terms)}, idf, offset))
        offset += len(terms)
    return blocks


def sparse_features(blocks: Sequence[TextBlock], text: str) -> tuple[list[int], list[float]]:
    idx: list[int] = []
    vals: list[float] = []
    for b in blocks:
        i, v = b.features(text)
        idx.extend(i)
        vals.extend(v)
    return idx, vals


def _softmax(z: FloatArray) -> FloatArray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    out: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return out


def fit_temperature(logits: FloatArray, y: npt.NDArray[np.int64]) -> float:
    """Temperature T minimising the negative log-likelihood of softmax(logits / T) on held-out
    logits: one scalar, so calibration costs nothing at inference and keeps the argmax."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = _softmax(logits / math.exp(log_t))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(math.exp(float(res.x)))


def _read_meta(data: Any, expected_format: str, path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(str(data["meta"]))
    if meta.get("format") != expected_format:
        raise ValueError(f"{path} is not a {expected_format} model (format={meta.get('format')!r})")
    if int(meta.get("version", -1)) != FORMAT_VERSION:
        raise ValueError(
            f"{path} has model format version {meta.get('version')}, this build reads {FORMAT_VERSION}: retrain it"
        )
    return meta


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
        self._class_names = [c.value for c in self.classes]
        self._oos = self.classes.index(Vertical.OUT_OF_SCOPE) if Vertical.OUT_OF_SCOPE in self.classes else -1
        self._sk: Any = None  # sklearn pipeline of the last fit(), never saved

    # training ------------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        examples: Iterable[tuple[str, Vertical | str]],
        *,
        min_confidence: float = 0.45,
        c: float = 10.0,
        min_df: int = 1,
        analyzers: Sequence[str] = ("word12", "char25"),
        calibration_folds: int = 3,
    ) -> VerticalClassifier:
        """Train on (text, vertical) pairs. Probabilities are temperature-scaled on out-of-fold
        logits (`calibration_folds` > 1), because in-sample logits of a well-fit model are
        overconfident, and the confidence threshold needs honest probabilities."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        rows = [(t, Vertical(v)) for t, v in examples]
        if not rows:
            raise ValueError("no training examples")
        classes = sorted({v for _, v in rows}, key=lambda v: list(Vertical).index(v))
        if len(classes) < 2:
            raise ValueError("need examples of at least two verticals")
        texts = [t for t, _ in rows]
        y = np.array([classes.index(v) for _, v in rows], dtype=np.int64)
        start = time.perf_counter()
        blocks, x, union = fit_blocks(texts, analyzers, min_df)
        lr = LogisticRegression(C=c, max_iter=2000)
        lr.fit(x, y)
        temperature = 1.0
        min_count = int(np.bincount(y).min())
        folds = min(calibration_folds, min_count)
        if folds >= 2:
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
            oof = cross_val_predict(LogisticRegression(C=c, max_iter=2000), x, y, cv=cv, method="decision_function")
            temperature = fit_temperature(np.asarray(oof, dtype=np.float64), y)
        elapsed = time.perf_counter() - start
        train_acc = float(np.mean(lr.predict(x) == y))
        meta = {
            "n_examples": len(rows),
            "train_accuracy": train_acc,
            "train_seconds": elapsed,
            "c": c,
            "min_df": min_df,
            "analyzers": list(analyzers),
        }
        model = cls(
            classes,
            blocks,
            np.asarray(lr.coef_, dtype=np.float64),
            np.asarray(lr.intercept_, dtype=np.float64),
            temperature=temperature,
            min_confidence=min_confidence,
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
        return _softmax(self.logits(text) / self.temperature)

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
        if vertical is not Vertical.OUT_OF_SCOPE and confidence < threshold:
            reason = f"low confidence: {vertical.value} {confidence:.2f} < {threshold:.2f}"
            vertical = Vertical.OUT_OF_SCOPE
            confidence = float(p[self._oos]) if self._oos >= 0 else 1.0 - confidence
        scores = {v.value: 0.0 for v in Vertical}
        for name, pv in zip(self._class_names, p.tolist(), strict=True):
            scores[name] = pv
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
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "classes": self._class_names,
            "analyzers": [b.analyzer for b in self.blocks],
            "temperature": self.temperature,
            "min_confidence": self.min_confidence,
            "info": self.meta,
        }
        arrays: dict[str, Any] = dict(blocks_to_arrays(self.blocks, "b"))
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                meta=np.array(json.dumps(meta)),
                coef_t=self.coef_t,
                intercept=self.intercept,
                **arrays,
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> VerticalClassifier:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"router model {path} not found: train one with `callcenter router train`")
        with np.load(path, allow_pickle=False) as data:
            meta = _read_meta(data, FORMAT, path)
            blocks = blocks_from_arrays(data, "b", meta["analyzers"])
            coef_t = np.asarray(data["coef_t"], dtype=np.float64)
            intercept = np.asarray(data["intercept"], dtype=np.float64)
        return cls(
            [Vertical(c) for c in meta["classes"]],
            blocks,
            coef_t.T,
            intercept,
            temperature=float(meta["temperature"]),
            min_confidence=float(meta["min_confidence"]),
            meta=dict(meta.get("info", {})),
        )


def examples_hash(examples: Sequence[tuple[str, Vertical | str]], **params: Any) -> str:
    """Stable key of a training set plus hyper-parameters and format version (cache key)."""
    payload = json.dumps(
        {"v": FORMAT_VERSION, "params": params, "rows": [[t, str(Vertical(v).value)] for t, v in examples]},
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
    key = examples_hash(examples)[:20]
    model = load_or_train(
        Path(cache_dir) / f"router-{key}.npz",
        VerticalClassifier.load,
        lambda: VerticalClassifier.fit(examples, min_confidence=min_confidence),
    )
    model.min_confidence = min_confidence
    return model


class _Saveable(Protocol):
    def save(self, path: str | Path) -> Path: ...


M = TypeVar("M", bound=_Saveable)


def load_or_train(path: Path, load: Callable[[Path], M], train: Callable[[], M]) -> M:
    """The model cached at `path`, or a freshly trained one saved there for the next start.

    A damaged cache is retrained; a read-only directory only costs the save.
    """
    if path.exists():
        try:
            return load(path)
        except (ValueError, OSError, KeyError) as exc:
            log.warning("model.cache_unreadable", path=str(path), error=str(exc))
    model = train()
    try:
        model.save(path)
    except OSError as exc:
        log.warning("model.cache_write_failed", path=str(path), error=str(exc))
    return model

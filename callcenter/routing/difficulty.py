"""Difficulty predictor: how likely the cheap tier fails this turn (0..1), in well under a ms.

Trained on rows {"text", "hard": bool, "history"?: [prior turn texts]}. Features: word 1-2gram
TF-IDF of the turn, word unigrams of the recent history (prefixed, so "refund" in history and in
the turn are different signals), and a small dense block of structure cues that n-grams miss:
length, clauses, question marks, digits, multi-intent connectives ("and also", "another thing"),
negation, and conversation length. Logistic regression (class-balanced), served through the same
compact path as the vertical router (no scikit-learn call at inference), saved as a safe `.npz`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from callcenter.routing.features import (
    ANALYZERS,
    FloatArray,
    TextBlock,
    blocks_from_arrays,
    blocks_to_arrays,
    fit_blocks,
    sparse_features,
    word_tokens,
)
from callcenter.routing.model_file import FORMAT_VERSION, load_or_train, read_model, write_model

log = structlog.get_logger(__name__)

FORMAT = "callcenter.difficulty-model"
HISTORY_TURNS = 3
_SEP = "\x1e"

_CLAUSE = re.compile(r"[.;!?\n]+|,\s+|\b(?:and|but|or|because|then|if|when|while|although|so)\b", re.I)
_MULTI = re.compile(
    r"\b(?:and also|also|another thing|one more thing|as well as|additionally|in addition|plus|"
    r"on top of that|and then|second(?:ly)?|third(?:ly)?|besides)\b",
    re.I,
)
_NEG = re.compile(
    r"\b(?:not|no|never|none|cannot|can't|won't|don't|doesn't|didn't|isn't|aren't|wasn't|without)\b", re.I
)
_DIGIT = re.compile(r"\d")

DENSE_FEATURES = (
    "log_chars",
    "log_words",
    "clauses",
    "question_marks",
    "log_digits",
    "multi_intent_cues",
    "negations",
    "log_history_turns",
    "log_history_chars",
)


def _history_ngrams(doc: str) -> list[str]:
    """Word unigrams of the history part of an encoded doc, prefixed with 'h:'."""
    _, _, hist = doc.partition(_SEP)
    return ["h:" + t for t in word_tokens(hist)]


def _turn_ngrams(doc: str) -> list[str]:
    return ANALYZERS["word12"](doc.partition(_SEP)[0])


ANALYZERS.setdefault("turn_word12", _turn_ngrams)
ANALYZERS.setdefault("history_word1", _history_ngrams)


def encode(text: str, history: Sequence[str] | None = None) -> str:
    """One string carrying the turn and its last few prior turns (what the analyzers read)."""
    recent = list(history or [])[-HISTORY_TURNS:]
    return text + _SEP + " \n ".join(recent) if recent else text


def dense_features(text: str, history: Sequence[str] | None = None) -> list[float]:
    hist = list(history or [])
    return [
        math.log1p(len(text)),
        math.log1p(len(text.split())),
        float(len([c for c in _CLAUSE.split(text) if c and c.strip()])),
        float(text.count("?")),
        math.log1p(len(_DIGIT.findall(text))),
        float(len(_MULTI.findall(text))),
        float(len(_NEG.findall(text))),
        math.log1p(len(hist)),
        math.log1p(sum(len(h) for h in hist)),
    ]


class DifficultyModel:
    """P(hard | turn): the cheap tier is likely to be rejected or escalated."""

    def __init__(
        self,
        blocks: list[TextBlock],
        coef: FloatArray,
        intercept: float,
        mean: FloatArray,
        scale: FloatArray,
        *,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.blocks = blocks
        self.n_sparse = sum(len(b.vocab) for b in blocks)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.sparse_coef = self.coef[: self.n_sparse]
        self.dense_coef = self.coef[self.n_sparse :]
        self.intercept = float(intercept)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.meta = meta or {}
        self._sk: Any = None

    @staticmethod
    def _rows(rows: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[list[str]], list[int]]:
        texts: list[str] = []
        hists: list[list[str]] = []
        ys: list[int] = []
        for i, r in enumerate(rows):
            if "text" not in r or "hard" not in r:
                raise ValueError(f"row {i + 1}: needs 'text' and 'hard' keys")
            texts.append(str(r["text"]))
            hists.append([str(h) for h in (r.get("history") or [])])
            ys.append(1 if bool(r["hard"]) else 0)
        return texts, hists, ys

    @classmethod
    def fit(cls, rows: Iterable[Mapping[str, Any]], *, c: float = 1.0, min_df: int = 1) -> DifficultyModel:
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        texts, hists, ys = cls._rows(rows)
        y = np.array(ys, dtype=np.int64)
        if len(set(ys)) < 2:
            raise ValueError("need both hard and easy rows to train the difficulty model")
        start = time.perf_counter()
        docs = [encode(t, h) for t, h in zip(texts, hists, strict=True)]
        analyzers: list[str] = ["turn_word12"]
        if any(hists):
            analyzers.append("history_word1")
        blocks, x_sparse, union = fit_blocks(docs, analyzers, min_df)
        dense = np.array([dense_features(t, h) for t, h in zip(texts, hists, strict=True)], dtype=np.float64)
        mean = dense.mean(axis=0)
        scale = dense.std(axis=0)
        scale[scale == 0] = 1.0
        x = sparse.hstack([x_sparse, sparse.csr_matrix((dense - mean) / scale)]).tocsr()
        lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        lr.fit(x, y)
        elapsed = time.perf_counter() - start
        acc = float(np.mean(lr.predict(x) == y))
        meta = {
            "n_rows": len(ys),
            "n_hard": int(y.sum()),
            "train_accuracy": acc,
            "train_seconds": elapsed,
            "c": c,
        }
        model = cls(blocks, lr.coef_[0], float(lr.intercept_[0]), mean, scale, meta=meta)
        model._sk = (union, lr, mean, scale)
        log.info(
            "difficulty.trained",
            n=len(ys),
            hard=int(y.sum()),
            seconds=round(elapsed, 2),
            train_accuracy=round(acc, 4),
        )
        return model

    def score(self, text: str, history: Sequence[str] | None = None) -> float:
        """P(hard) in 0..1 through the compact path."""
        doc = encode(text, history)
        idx, vals = sparse_features(self.blocks, doc)
        z = self.intercept
        if idx:
            z += float(np.dot(vals, self.sparse_coef.take(idx)))
        dense = (np.asarray(dense_features(text, history)) - self.mean) / self.scale
        z += float(dense @ self.dense_coef)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def sklearn_scores(self, rows: Sequence[Mapping[str, Any]]) -> FloatArray:
        """P(hard) from sklearn itself, for checking the compact path right after fit()."""
        from scipy import sparse

        if self._sk is None:
            raise RuntimeError("sklearn_scores() needs a fresh fit()")
        union, lr, mean, scale = self._sk
        texts, hists, _ = self._rows([{**r, "hard": False} for r in rows])
        docs = [encode(t, h) for t, h in zip(texts, hists, strict=True)]
        dense = np.array([dense_features(t, h) for t, h in zip(texts, hists, strict=True)], dtype=np.float64)
        x = sparse.hstack([union.transform(docs), sparse.csr_matrix((dense - mean) / scale)]).tocsr()
        out: FloatArray = np.asarray(lr.predict_proba(x)[:, 1], dtype=np.float64)
        return out

    def save(self, path: str | Path) -> Path:
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "analyzers": [b.analyzer for b in self.blocks],
            "dense_features": list(DENSE_FEATURES),
            "intercept": self.intercept,
            "info": self.meta,
        }
        arrays = {"coef": self.coef, "mean": self.mean, "scale": self.scale, **blocks_to_arrays(self.blocks, "b")}
        return write_model(path, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> DifficultyModel:
        meta, data = read_model(path, FORMAT, kind="difficulty", train_command="callcenter router train-difficulty")
        if list(meta.get("dense_features", [])) != list(DENSE_FEATURES):
            raise ValueError(f"{path} was trained with other dense features: retrain it")
        blocks = blocks_from_arrays(data, "b", meta["analyzers"])
        coef = np.asarray(data["coef"], dtype=np.float64)
        mean = np.asarray(data["mean"], dtype=np.float64)
        scale = np.asarray(data["scale"], dtype=np.float64)
        return cls(blocks, coef, float(meta["intercept"]), mean, scale, meta=dict(meta.get("info", {})))


def default_difficulty_model(hard: Sequence[str], easy: Sequence[str], cache_dir: str | Path) -> DifficultyModel | None:
    """The difficulty prior from the business's hard/easy examples, cached by their hash.

    None when the business wrote none: the router then predicts no difficulty and every
    turn starts on its step type's tier.
    """
    if not hard or not easy:
        return None
    rows = [{"text": t, "hard": True} for t in hard] + [{"text": t, "hard": False} for t in easy]
    key = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:20]
    return load_or_train(
        Path(cache_dir) / f"difficulty-{key}.npz", DifficultyModel.load, lambda: DifficultyModel.fit(rows)
    )

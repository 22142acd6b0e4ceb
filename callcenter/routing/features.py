"""The feature kit of the local models: n-gram analyzers, TF-IDF blocks and temperature scaling.

The vertical router and the difficulty predictor both build on it: the analyzers are plain
functions passed to scikit-learn at training time and called directly at inference, so both
paths see identical n-grams by construction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

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


def wb_words(text: str) -> list[str]:
    """The words `char_wb_ngrams` pads and cuts (lower-cased, split on any whitespace)."""
    return _SPACE.sub(" ", text.lower()).split()


def word_char_ngrams(word: str, min_n: int = 2, max_n: int = 5) -> list[str]:
    """Character n-grams of one word padded with spaces."""
    grams: list[str] = []
    padded = f" {word} "
    length = len(padded)
    for n in range(min_n, max_n + 1):
        if n > length:
            if n == min_n:
                grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(length - n + 1))
    return grams


def char_wb_ngrams(text: str, min_n: int = 2, max_n: int = 5) -> list[str]:
    """Character n-grams inside word boundaries (each word padded with spaces), like sklearn's
    `char_wb`: robust to typos and inflections, which matter for short chat turns."""
    grams: list[str] = []
    for w in wb_words(text):
        grams.extend(word_char_ngrams(w, min_n, max_n))
    return grams


ANALYZERS: dict[str, Callable[[str], list[str]]] = {
    "word12": word_ngrams,
    "char25": char_wb_ngrams,
}


WORD_LOCAL: dict[str, Callable[[str], list[str]]] = {"char25": word_char_ngrams}
"""Analyzers whose n-grams never cross a word boundary, with their one-word form: a text's n-grams
are the concatenation of its words' (`wb_words`), so each word's vocabulary columns can be
cached, and a turn made of known words costs one dict lookup per word instead of ~15."""
WORD_CACHE_SIZE = 50_000
CACHED_WORD_CHARS = 40


@dataclass
class TextBlock:
    """One TF-IDF block (sublinear tf, l2-normalised) as plain data: vocabulary and idf."""

    analyzer: str
    vocab: dict[str, int]
    idf: FloatArray
    offset: int = 0
    _word_columns: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    def features(self, text: str) -> tuple[list[int], list[float]]:
        """Column indices (global, with offset) and values of this block for one text."""
        counts: dict[int, int] = {}
        vocab = self.vocab
        one_word = WORD_LOCAL.get(self.analyzer)
        if one_word is not None:
            cache = self._word_columns
            for w in wb_words(text):
                cols = cache.get(w)
                if cols is None:
                    cols = [j for j in (vocab.get(g) for g in one_word(w)) if j is not None]
                    if len(w) <= CACHED_WORD_CHARS:  # bounded in count and size: hostile input cannot grow it
                        if len(cache) >= WORD_CACHE_SIZE:
                            cache.clear()
                        cache[w] = cols
                for j in cols:
                    counts[j] = counts.get(j, 0) + 1
        else:
            for g in ANALYZERS[self.analyzer](text):
                k = vocab.get(g)
                if k is not None:
                    counts[k] = counts.get(k, 0) + 1
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


def softmax(z: FloatArray) -> FloatArray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    out: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return out


def fit_temperature(logits: FloatArray, y: npt.NDArray[np.int64], pool: FloatArray | None = None) -> float:
    """Temperature T minimising the negative log-likelihood of softmax(logits / T) on held-out
    logits: one scalar, so calibration costs nothing at inference and keeps the argmax.

    `pool` (labels x classes, 0/1) sums fine-grained label probabilities into the classes `y`
    counts in, so the temperature is right for the probabilities that are served."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = softmax(logits / math.exp(log_t))
        if pool is not None:
            p = p @ pool
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(math.exp(float(res.x)))


@dataclass
class SparseWeights:
    """A linear model's weights stored by feature (CSR: for each feature column, the labels it
    moves and by how much), so scoring one utterance touches only its few hundred features
    whatever the number of labels, and near-zero weights of a many-label model need no space."""

    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int32]
    data: FloatArray
    n_labels: int

    @classmethod
    def from_dense(cls, coef_t: FloatArray, prune: float = 0.0) -> SparseWeights:
        """From a features x labels matrix, dropping weights with |w| <= `prune` (0: exact zeros)."""
        keep = np.abs(coef_t) > prune
        rows, cols = np.nonzero(keep)
        indptr = np.zeros(coef_t.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=coef_t.shape[0]), out=indptr[1:])
        return cls(indptr, cols.astype(np.int32), np.asarray(coef_t[rows, cols], dtype=np.float64), coef_t.shape[1])

    def scores(self, idx: Sequence[int], vals: Sequence[float], intercept: FloatArray) -> FloatArray:
        """intercept + sum over features j of vals[j] * weights[idx[j]]: one vectorised gather."""
        if not idx:
            return intercept.copy()
        cols = np.asarray(idx, dtype=np.int64)
        starts = self.indptr[cols]
        lens = self.indptr[cols + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return intercept.copy()
        first = np.cumsum(lens) - lens  # where each feature's run starts in the gathered arrays
        pos = np.arange(total) + np.repeat(starts - first, lens)
        weights = self.data[pos] * np.repeat(np.asarray(vals, dtype=np.float64), lens)
        out: FloatArray = intercept + np.bincount(self.indices[pos], weights=weights, minlength=self.n_labels)
        return out

    def to_arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        return {f"{prefix}indptr": self.indptr, f"{prefix}indices": self.indices, f"{prefix}data": self.data}

    @classmethod
    def from_arrays(cls, data: Any, prefix: str, n_labels: int) -> SparseWeights:
        indptr = np.asarray(data[f"{prefix}indptr"], dtype=np.int64)
        indices = np.asarray(data[f"{prefix}indices"], dtype=np.int32)
        values = np.asarray(data[f"{prefix}data"], dtype=np.float64)
        if indptr[-1] != len(indices) or len(values) != len(indices) or (len(indices) and indices.max() >= n_labels):
            raise ValueError("damaged weights in model file")
        return cls(indptr, indices, values, n_labels)

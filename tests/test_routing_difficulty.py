"""Difficulty predictor: learns hard vs easy turns, compact path == sklearn, safe save/load."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from callcenter.routing.difficulty import DENSE_FEATURES, DifficultyModel, dense_features

EASY = [
    "pay my rent",
    "what is my balance",
    "book a plumber tomorrow",
    "office hours?",
    "thanks",
    "when is rent due",
    "reset my key fob",
    "hello",
    "where is the gym",
    "cancel my appointment",
]
HARD = [
    "I was charged twice last month and also the plumber never came, and I want the late fee removed "
    "because my payment of $1,240 on the 3rd didn't post",
    "my lease says 12 months but I moved units in march, so how is the prorated rent for unit 4B vs 7C calculated?",
    "can you explain why my deposit refund is $300 less, and also reschedule the move-out inspection?",
    "I disputed the charge, not the fee, and nobody called back; another thing, the heater isn't fixed",
    "compare my last three invoices and tell me which charges are not in my lease, plus book a visit",
]


def make_rows(n: int = 120, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        hard = i % 2 == 0
        text = rng.choice(HARD if hard else EASY)
        history = ["earlier question", "another earlier one", "and one more"] if hard and i % 4 == 0 else []
        rows.append({"text": text, "hard": hard, "history": history})
    return rows


@pytest.fixture(scope="module")
def model() -> DifficultyModel:
    return DifficultyModel.fit(make_rows())


def test_dense_features_capture_structure() -> None:
    easy = dense_features("pay my rent")
    hard = dense_features("I was charged $40 and also, why? not fair?", ["a", "b"])
    assert len(easy) == len(DENSE_FEATURES)
    names = dict(zip(DENSE_FEATURES, hard, strict=True))
    assert names["question_marks"] == 2 and names["multi_intent_cues"] >= 1 and names["negations"] >= 1
    assert names["log_history_turns"] > 0 and dict(zip(DENSE_FEATURES, easy, strict=True))["log_digits"] == 0


def test_scores_hard_above_easy(model: DifficultyModel) -> None:
    hard = "I was double charged and also the repair was never done, why is there a fee? and reschedule it"
    easy = "pay my rent"
    assert 0.0 <= model.score(easy) < 0.5 < model.score(hard) <= 1.0


def test_compact_matches_sklearn(model: DifficultyModel) -> None:
    rows = make_rows(40, seed=3) + [{"text": "a brand new sentence never seen"}]
    ours = np.array([model.score(r["text"], r.get("history")) for r in rows])
    assert np.allclose(ours, model.sklearn_scores(rows), atol=1e-9)


def test_save_load(model: DifficultyModel, tmp_path: Path) -> None:
    path = model.save(tmp_path / "difficulty.npz")
    loaded = DifficultyModel.load(path)
    for r in make_rows(20, seed=5):
        assert loaded.score(r["text"], r["history"]) == pytest.approx(model.score(r["text"], r["history"]))
    with pytest.raises(FileNotFoundError, match="train-difficulty"):
        DifficultyModel.load(tmp_path / "nope.npz")


def test_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both hard and easy"):
        DifficultyModel.fit([{"text": "x", "hard": False}, {"text": "y", "hard": False}])
    with pytest.raises(ValueError, match="row 1"):
        DifficultyModel.fit([{"txt": "x"}])

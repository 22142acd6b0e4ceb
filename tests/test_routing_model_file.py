"""The local models' cache file as processes that start together meet it.

A supervisor's workers, or parallel test workers, share one model cache: a process reading it while
another writes must find a whole model, and a file cut short (a crash of an older build mid-write, a
full disk) is trained again, as the cache promises, instead of stopping the start.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from callcenter.routing.classifier import VerticalClassifier
from callcenter.routing.model_file import load_or_train, read_model, write_model

ROWS = [
    ("how much rent do i owe", "billing"),
    ("pay my rent", "billing"),
    ("what is my balance", "billing"),
    ("my sink is leaking", "booking"),
    ("the heater is broken, send someone", "booking"),
    ("book a repair visit", "booking"),
    ("what's the weather tomorrow", "out_of_scope"),
    ("tell me a joke", "out_of_scope"),
    ("who won the game last night", "out_of_scope"),
]


def _train() -> VerticalClassifier:
    return VerticalClassifier.fit(ROWS, fallback="out_of_scope", spoken_copies=0)


def test_a_cache_cut_short_is_trained_again_and_rewritten_whole(tmp_path: Path) -> None:
    path = _train().save(tmp_path / "router-x.npz")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # the tail of the zip (its directory) is missing
    model = load_or_train(path, VerticalClassifier.load, _train)
    assert model.predict("how much rent do i owe").vertical == "billing"
    assert VerticalClassifier.load(path).classes == model.classes  # the cache holds a whole model again
    assert [p.name for p in tmp_path.iterdir()] == ["router-x.npz"]  # nothing left aside


def test_a_reader_never_meets_a_half_written_model(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    meta = {"format": "t", "version": 1}
    sizes = [50_000 + 1_000 * i for i in range(6)]  # each writer's model has its own size
    write_model(path, meta, {"w": np.arange(sizes[0])})
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def writer(n: int) -> None:
        try:
            for _ in range(15):
                write_model(path, meta, {"w": np.arange(n)})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader() -> None:
        while not done.is_set():
            try:
                _meta, arrays = read_model(path, "t", kind="test", train_command="-")
                seen.append(len(arrays["w"]))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=writer, args=(n,)) for n in sizes[1:]]
    read = threading.Thread(target=reader)
    read.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done.set()
    read.join(timeout=60)
    assert not errors, errors[:3]
    assert seen and set(seen) <= set(sizes), sorted(set(seen) - set(sizes))[:5]
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]

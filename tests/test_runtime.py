"""Assembling the service: the router gets the business's difficulty prior."""

from __future__ import annotations

from pathlib import Path

from seeded import with_trained_models

from callcenter.app import load_app
from callcenter.routing.router import LocalRouter
from callcenter.runtime import build_local_router
from callcenter.settings import Settings


def test_default_router_scores_difficulty_from_the_business_examples(tmp_path: Path, trained_models: Path) -> None:
    with_trained_models(tmp_path, trained_models, "router-*")  # the router is the run's; the difficulty model is new
    router = build_local_router(Settings(data_dir=tmp_path), load_app())  # type: ignore[call-arg]
    assert isinstance(router, LocalRouter) and router.difficulty is not None
    easy = router.decide("my kitchen sink leaks")
    hard = router.decide("you charged me twice for water and I want one refunded and the other explained")
    assert easy.difficulty is not None and hard.difficulty is not None
    assert hard.difficulty > 0.5 > easy.difficulty
    assert list((tmp_path / "models").glob("difficulty-*.npz"))  # cached for the next start

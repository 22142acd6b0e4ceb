"""Emergencies typed with a slip still reach a person at once; real words near danger words do not.

The router the product runs (`build_local_router` of the demo business), fed the slips residents
make when they are scared and typing fast: a dropped, doubled or swapped letter in the word that
matters. And the other side: ordinary words one wrong letter from a danger word are left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from seeded import with_trained_models

from callcenter.app import load_app
from callcenter.routing.emergency_slips import slip_fixer
from callcenter.routing.router import LocalRouter
from callcenter.runtime import build_local_router
from callcenter.settings import Settings


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, trained_models: Path) -> LocalRouter:
    data = with_trained_models(tmp_path_factory.mktemp("models"), trained_models)
    settings = Settings(backend="local", data_dir=data)  # type: ignore[call-arg]
    return build_local_router(settings, load_app())


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("so I smll gas in the hallway", "gas"),
        ("I smel gas", "gas"),
        ("gaas leak in my bedroom", "gas"),
        ("ok so there's smmoke in the laundry room", "fire"),
        ("theres a fier in the kitchen", "fire"),
        ("the outlet is sprking", "fire"),
        ("my kitchn is floodign", "flood"),
        ("the pipe bursst in the basement", "flood"),
        ("watter pouring thru the ceilling", "flood"),
        ("my carbon monoxid alarm is going off", "carbon_monoxide"),
        ("my bathroom is floodkng", "flood"),  # a neighbouring key
        ("a pipe burat in the bedroom", "flood"),
        ("hi, water is pouribg through my ceiling pls", "flood"),
    ],
)
def test_a_slip_in_the_danger_word_is_still_an_emergency(router: LocalRouter, said: str, kind: str) -> None:
    decision = router.decide(said)
    assert decision.emergency and decision.reason == kind and decision.vertical == "escalation"


@pytest.mark.parametrize(
    "said",
    [
        "there's water on the floor",
        "I have a small gas bill question",
        "I spoke to the manager yesterday",
        "I want to sell my car",
        "how do I pay my gas bill",
        "where is the nearest gas station",
        "my smoke detector is chirping",
    ],
)
def test_real_words_near_danger_words_are_not_emergencies(router: LocalRouter, said: str) -> None:
    assert not router.decide(said).emergency


def test_known_words_are_never_corrected() -> None:
    fix = slip_fixer(known={"smol"})
    assert fix("I smll gas") == "i smell gas"
    assert fix("smol gas") == "smol gas"  # a word the business's conversations use stays as typed
    assert fix("Floor") == "floor"  # one wrong letter is not a slip: "floor" is not "flood"

"""The answer inside the courtesy (agents/extract/polite.py): pure functions, generated variations."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from callcenter_agents.extract import is_affirmative, is_negative, pick_choice
from callcenter_agents.extract.polite import fix_typos, is_bare_ack, polite_core

from callcenter.evals.paraphrase import load_spec, roughen

SPEC = load_spec(Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml")


def rough(text: str, n: int = 12) -> list[str]:
    rng = random.Random(text)
    return [text, *(roughen(text, SPEC, "en", rng)[0] for _ in range(n))]


@pytest.mark.parametrize(
    ("said", "core"),
    [
        ("hi there. yes plesae, thanks", "yes"),
        ("excues me, 1 pls", "1"),
        ("quick question, hey, the first one", "the first one"),
        ("um hey, pay it, thank you", "pay it"),
        ("ok so good morning, yes pls", "yes"),
        ("thanks!", ""),
        ("hello, sorry, friday would be better", "friday would be better"),
        ("the 4th", "the 4th"),
        ("option three", "option three"),
        # a "there" slipped into "three", then the answer (issue 13); "three" alone is still an answer
        ("quick question, hi three. 1 please", "1"),
        ("hey three, the first one", "the first one"),
        ("hi three", "three"),
        ("hi three, thanks", "three"),
        ("hi, three", "three"),
    ],
)
def test_polite_core(said: str, core: str) -> None:
    assert polite_core(said) == core


def test_fix_typos_mends_answer_words_and_leaves_real_words() -> None:
    assert fix_typos("confkrm, the whoke balance, everrything") == "confirm, the whole balance, everything"
    assert fix_typos("that won't work, two hundred and fifty, there are three") == (
        "that won't work, two hundred and fifty, there are three"
    )
    assert fix_typos("I'm lpcked out", extra=("locked",)) == "i'm locked out"
    # a slip in a listed word's plural: "do you have evwnings" asks for evenings
    assert fix_typos("any evwnings or satudrays, no mornigs") == "any evenings or saturdays, no mornings"
    assert fix_typos("leases, nights and hours") == "leases, nights and hours"


@pytest.mark.parametrize("said", ["yes", "yes please", "sure", "ok", "confirm", "sounds good"])
def test_roughened_yes_is_still_yes(said: str) -> None:
    for text in rough(said):
        assert is_affirmative(text) and not is_negative(text), text


@pytest.mark.parametrize("said", ["no", "no thanks", "nope"])
def test_roughened_no_is_still_no(said: str) -> None:
    for text in rough(said):
        assert is_negative(text) and not is_affirmative(text), text


@pytest.mark.parametrize(("said", "index"), [("the first one", 0), ("1", 0), ("the second one", 1), ("3", 2)])
def test_roughened_picks_are_still_picks(said: str, index: int) -> None:
    for text in rough(said):
        assert pick_choice(text, 3) == index, text


def test_bare_ack_is_only_a_bare_answer() -> None:
    assert all(is_bare_ack(t) for t in rough("yes") + rough("ok") + rough("no") + rough("ok then"))
    assert not any(is_bare_ack(t) for t in ("yes I want to pay my rent", "no heat in my unit", "thanks", "hi"))


def test_no_real_word_of_the_product_is_mended() -> None:
    """Every word the agents' examples, the handbook and the shipped evals use stays as it is:
    mending is for slips, and "leasing" next to "leaking" or "water" next to "later" are words."""
    import re

    from callcenter_agents.extract.refs import ISSUE_WORDS
    from callcenter_tools.knowledge import handbook_text

    from callcenter.app import load_app

    root = Path(__file__).resolve().parents[1]
    texts = [t for t, _ in load_app().training_examples()] + [handbook_text()]
    texts += [p.read_text() for p in (root / "evals").glob("*.yaml")]
    words = {w for t in texts for w in re.findall(r"[a-z]{4,}", t.lower())}
    assert {w: fix_typos(w) for w in words if fix_typos(w) != w} == {}
    mended = {w: fix_typos(w, ISSUE_WORDS) for w in words}
    harmless = {"broke": "broken"}  # the same issue either way
    assert {w: m for w, m in mended.items() if m != w and m in ISSUE_WORDS and harmless.get(w) != m} == {}

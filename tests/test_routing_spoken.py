"""Spoken-style variants: what a phone transcript does to a typed request, reproducibly."""

from __future__ import annotations

import random

from callcenter.routing.spoken import spoken_variant, transcript_style, with_spoken_variants


def test_a_transcript_is_lower_case_without_punctuation() -> None:
    assert (
        transcript_style("Hi! My kitchen sink is LEAKING, can you help?")
        == "hi my kitchen sink is leaking can you help"
    )
    assert transcript_style("I'd like to pay $250.50") == "i'd like to pay $250 50"


def test_variants_are_reproducible_and_keep_most_words() -> None:
    text = "I would like to schedule a plumber for my kitchen sink on Tuesday morning"
    first = [spoken_variant(text, random.Random(3)) for _ in range(2)]
    assert first[0] == first[1]
    rng = random.Random(4)
    variants = [spoken_variant(text, rng) for _ in range(200)]
    assert len(set(variants)) > 150  # noise, not one rewrite
    for v in variants:
        assert v == v.lower() and "," not in v and "." not in v
        assert sum(w in v.split() for w in ("kitchen", "tuesday", "plumber")) >= 2
    assert any(len(v.split()) > len(text.split()) + 3 for v in variants)  # rambling and fillers
    assert transcript_style(text) in {spoken_variant(text, rng, strength=0.0) for _ in range(3)}


def test_with_spoken_variants_keeps_labels() -> None:
    rows = [("pay my rent", "billing"), ("book a plumber", "booking")]
    out = with_spoken_variants(rows, copies=2, seed=1)
    assert out[:2] == rows and len(out) == 6
    assert [v for _, v in out] == ["billing", "booking"] * 3

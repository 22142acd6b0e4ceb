"""Sentence splitting of streamed replies and the claim classifier, on generated variations."""

from __future__ import annotations

import random

import pytest

from callcenter.specialists.claims import Claim, SentenceSplitter, claims_in, makes_claim, split_sentences

REPLIES = [
    "Thanks for waiting! Your balance is $1,212.50. Would you like to pay it now?",
    "Sure. I have these times:\n1. Tuesday 9:00 AM\n2. Wednesday 1:00 PM\nWhich one works?",
    "I'm sorry to hear that. Dr. Lee's team is on it. Is there anything else?",
    "Hello! I can help with visits, billing and building questions. What do you need?",
    "Your visit is booked for Mar. 12 at 10 a.m. and the reference is #4411. See you then!",
    "Hola. Su saldo es $75.00. ¿Desea pagarlo ahora?",
    "That's 3.5% of the rent... I understand. Anything else?",
]


def chunkings(text: str, rng: random.Random, n: int = 25) -> list[list[str]]:
    """`n` random ways a model might stream `text` (1 to 8 characters per delta)."""
    out = []
    for _ in range(n):
        pieces, i = [], 0
        while i < len(text):
            step = rng.randint(1, 8)
            pieces.append(text[i : i + step])
            i += step
        out.append(pieces)
    return out


@pytest.mark.parametrize("text", REPLIES)
def test_sentences_are_the_same_however_the_text_is_streamed(text: str) -> None:
    whole = split_sentences(text)
    assert "".join(whole) == text
    for pieces in chunkings(text, random.Random(text)):
        splitter = SentenceSplitter()
        got = [s for p in pieces for s in splitter.feed(p)] + splitter.flush()
        assert got == whole


def test_a_sentence_is_released_as_soon_as_it_is_complete() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hi there") == []
    assert splitter.feed("! Your") == ["Hi there! "]
    assert splitter.feed(" total is $3") == []
    assert splitter.feed(".50") == []  # a decimal point is not the end
    assert splitter.feed(". Bye") == ["Your total is $3.50. "]
    assert splitter.flush() == ["Bye"]


def test_a_sentence_that_ends_a_text_run_goes_without_waiting_for_more_text() -> None:
    """A preamble before a tool call ("Let me check.") is followed by no text until the tool
    call's JSON has streamed: it must go when its space arrives, not when the call ends."""
    splitter = SentenceSplitter()
    assert splitter.feed("Let me check that for you. ") == ["Let me check that for you. "]
    assert splitter.feed("Done!\n") == ["Done!\n"]
    assert splitter.feed("\nNext.  Two") == ["\nNext. "]  # further whitespace leads the next sentence
    assert splitter.flush() == [" Two"]


def test_abbreviations_and_list_numbers_do_not_end_a_sentence() -> None:
    assert split_sentences("Dr. Lee will call. Ok.") == ["Dr. Lee will call. ", "Ok."]
    assert split_sentences("Options:\n1. Monday\n2. Friday") == ["Options:\n", "1. Monday\n", "2. Friday"]
    assert split_sentences("Come at 9 a.m. tomorrow.") == ["Come at 9 a.m. tomorrow."]


CLAIMS = {
    Claim.AMOUNT: [
        "Your balance is $12.50.",
        "That comes to 40 dollars.",
        "You owe $ 1,200 total.",
        "Late fees are 5% of rent.",
        "Su saldo es $75.00.",
    ],
    Claim.TIME: [
        "The technician comes at 9am.",
        "I can do Tuesday.",
        "How about tomorrow morning?",
        "The slot is at 14:30.",
        "We'll be there on March 12.",
        "Expect a call within two hours.",
    ],
    Claim.BOOKING: [
        "Your appointment is booked.",
        "I've cancelled the visit.",
        "It is scheduled.",
        "Your viewing is confirmed.",
    ],
    Claim.PAYMENT: [
        "Your payment went through.",
        "The late fee was waived.",
        "You have been refunded.",
        "I charged your card.",
    ],
    Claim.PROMISE: [
        "Someone will call you back.",
        "We'll fix it right away.",
        "I guarantee it is free of charge.",
        "Your complaint has been forwarded to management.",
    ],
}
NO_CLAIM = [
    "Hello!",
    "Hi there, thanks for reaching out.",
    "I'm sorry to hear that.",
    "I understand how stressful that is.",
    "Let me check that for you.",
    "Could you tell me what needs fixing?",
    "What would you like to do next?",
    "Is there anything else I can help with?",
    "Thanks so much!",
    "Of course.",
    "Hola, ¿en qué puedo ayudarle?",
    "Sure, I can help with that.",
]


def typo(text: str, rng: random.Random) -> str:
    """Swap two adjacent letters away from digits and symbols (what a fast typist does)."""
    spots = [i for i in range(len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


@pytest.mark.parametrize("kind", list(CLAIMS))
def test_claim_sentences_are_held(kind: Claim) -> None:
    for sentence in CLAIMS[kind]:
        assert kind in claims_in(sentence), sentence
        for variant in (sentence.upper(), sentence.lower(), "  " + sentence + " "):
            assert makes_claim(variant), variant


def test_claims_with_digits_survive_typos() -> None:
    rng = random.Random(7)
    for sentences in CLAIMS.values():
        for sentence in sentences:
            if any(ch.isdigit() for ch in sentence):
                assert makes_claim(typo(sentence, rng)), sentence


@pytest.mark.parametrize("sentence", NO_CLAIM)
def test_greetings_empathy_and_questions_go_out_at_once(sentence: str) -> None:
    assert claims_in(sentence) == ()

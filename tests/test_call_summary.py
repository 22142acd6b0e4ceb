"""After-call summaries and priorities from what was said (pure functions, generated variations)."""

from __future__ import annotations

import pytest
from callcenter_agents import CALL_NEED_TERMS

from callcenter.channels.call_summary import call_priority, summarise_call
from callcenter.types import Priority

LEAK_CALL = [
    ("agent", "Thanks for calling Maple Property Management, how can I help?"),
    ("customer", "Hi, this is Alex in 4B."),
    ("customer", "My kitchen sink is leaking and the water is spreading across the floor into the hallway."),
    ("agent", "I'm sorry. Please turn off the valve under the sink. I'll send a plumber today and log a ticket."),
    ("customer", "Okay, thanks."),
    ("agent", "A technician will call you within the hour."),
    ("customer", "Bye."),
]


def test_summary_says_who_what_done_and_follow_up_within_the_limit() -> None:
    s = summarise_call(
        LEAK_CALL,
        who="Alex Rivera, Maple Court 4B (verified)",
        follow_up="maintenance ticket",
        need_terms=CALL_NEED_TERMS,
    )
    assert len(s.text) <= 600
    assert s.text.startswith("Caller: Alex Rivera, Maple Court 4B (verified).")
    assert "leaking" in s.text and "spreading" in s.text  # what they needed, in their words
    assert "technician will call" in s.text or "send a plumber" in s.text  # what was promised
    assert "Follow-up: maintenance ticket." in s.text and s.text.endswith("Priority high.")
    assert "Bye" not in s.text and "Okay, thanks" not in s.text  # fillers are not needs
    assert s.priority is Priority.HIGH


@pytest.mark.parametrize("limit", [120, 200, 350, 600])
def test_long_calls_fit_any_limit_and_keep_the_follow_up(limit: int) -> None:
    turns = [
        ("customer", "The heater in the bedroom makes a loud banging noise every night. " * 30),
        ("agent", "I've logged it and a technician will come by on Monday morning. " * 30),
    ] * 20
    s = summarise_call(
        turns,
        who="Unidentified caller +16175550142 (unverified)",
        follow_up="maintenance ticket",
        limit=limit,
        need_terms=CALL_NEED_TERMS,
    )
    assert len(s.text) <= limit
    assert s.text.endswith("Priority normal.") and "Follow-up: maintenance ticket." in s.text


def test_a_call_with_no_request_says_so() -> None:
    s = summarise_call(
        [("customer", "Hello?"), ("agent", "Hi, how can I help?"), ("customer", "Bye.")],
        who="Unidentified caller",
        need_terms=CALL_NEED_TERMS,
    )
    assert "nothing specific was asked" in s.text and s.priority is Priority.NORMAL


def test_the_reason_for_a_call_is_read_in_the_business_s_words_too() -> None:
    turns = [
        ("customer", "Good morning, I was hoping you could help me today with something small."),
        ("customer", "My prescription ran out."),
        ("customer", "I am calling from my car today and it is quite loud here, sorry."),
    ]
    assert "prescription" not in summarise_call(turns, who="A caller").text  # longer sentences win without it
    assert "Needed: My prescription ran out." in summarise_call(turns, who="A caller", need_terms={"Prescription"}).text


URGENT = [
    "I smell gas in the hallway",
    "there's a gas leak by the stove",
    "smells of gas in 3C",
    "FIRE in the trash room",
    "smoke is coming out of the outlet",
    "the basement is flooding",
    "my apartment flooded overnight",
    "the carbon monoxide alarm keeps going off",
    "sparks from the breaker panel",
    "huele a gas en la cocina",
    "hay humo en el pasillo",
    "se está inundando el baño",
]
HIGH = [
    "my kitchen sink is leaking",
    "water is spreading across the floor",
    "the ceiling is dripping",
    "there's a leak under the bathroom sink",
    "water everywhere under the fridge",
    "a pipe burst in the wall",
    "we have no heat since last night",
    "water is coming through the light fixture",
    "hay una fuga de agua",
    "MY TOILET IS LEAKING",
    "Leaking radiator in the living room",
]
NORMAL = [
    "what is my balance",
    "can I book a viewing on Saturday",
    "the faucet was leaking but it's fixed, no leak now",
    "the smoke alarm needs a new battery",
    "my neighbor is loud at night",
    "I'd like to reschedule my appointment",
    "the leak stopped leaking yesterday",
]


@pytest.mark.parametrize("said", URGENT)
def test_gas_fire_smoke_and_flooding_are_urgent(said: str) -> None:
    assert call_priority([said]) is Priority.URGENT


@pytest.mark.parametrize("said", HIGH)
def test_active_or_spreading_leaks_are_high(said: str) -> None:
    assert call_priority([said]) is Priority.HIGH


@pytest.mark.parametrize("said", NORMAL)
def test_everything_else_is_normal(said: str) -> None:
    assert call_priority([said]) is Priority.NORMAL


def test_the_worst_thing_said_in_the_call_wins() -> None:
    assert call_priority(["my sink leaks", "oh and now I smell gas"]) is Priority.URGENT
    assert call_priority(["what's my balance?", "also the ceiling is dripping"]) is Priority.HIGH

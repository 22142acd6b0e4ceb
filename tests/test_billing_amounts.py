"""How much a resident asks to pay, read the way residents say it (agents/billing_amounts.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from callcenter_agents.billing_amounts import (
    Share,
    attempted_amount,
    requested_amount,
    share_cents,
    unclear_request,
)
from callcenter_agents.extract import FULL


@pytest.mark.parametrize(
    ("said", "cents"),
    [
        ("pay one thousand", 100_000),
        ("i wanna pay fifteen hundred", 150_000),
        ("pay 75", 7_500),
        ("pay 2288.05", 228_805),
        ("pay a thousand", 100_000),
        ("pay 1k", 100_000),
        ("pay $1,000.00", 100_000),
        ("pay two fifty", 25_000),
        ("Hello I would like pay fifty dollars please", 5_000),
        ("can i put 1,500.00 on my account", 150_000),
        ("pay a thousnad", 100_000),  # one slip in a number word
    ],
)
def test_a_pay_request_names_the_amount(said: str, cents: int) -> None:
    assert requested_amount(said) == cents


@pytest.mark.parametrize(
    ("said", "cents"),
    [
        ("wait no, just a thousand", 100_000),
        ("75", 7_500),
        ("two fifty", 25_000),
        ("twelve fifty", 125_000),
        ("a grand", 100_000),
        ("1,000", 100_000),
        ("fifteen hundred please", 150_000),
        ("hmm no, make it $500", 50_000),
    ],
)
def test_an_answer_to_how_much_names_the_amount(said: str, cents: int) -> None:
    assert requested_amount(said, answering=True) == cents


def test_shares_and_the_rest_depend_on_the_balance() -> None:
    assert requested_amount("can i pay half of it now") == Share(Fraction(1, 2))
    assert requested_amount("pay half my balance today and the rest on the 15th") == Share(Fraction(1, 2))
    assert share_cents(Share(Fraction(1, 2)), 205_055) == 102_527  # rounded down, never above the share
    for said in ("pay the rest", "pay whatever's left", "pay all of it", "pay everything"):
        assert requested_amount(said) == FULL, said


@pytest.mark.parametrize(
    "said",
    [
        "yes",
        "ok",
        "the first one",
        "pay the 2 water bills",
        "pay with my visa 4242",
        "use the 2777 card",
        "whats left",
        "wait no, not all of it",
        "pay on the 15th",
    ],
)
def test_no_amount_is_read_where_none_was_said(said: str) -> None:
    assert requested_amount(said, answering=said in ("yes", "ok", "the first one", "use the 2777 card")) is None


def test_a_request_that_may_hold_an_amount_is_unclear_and_a_bare_one_is_not() -> None:
    for said in ("pay some of it", "uh, pay a pirtion of it", "pay invoice 300", "can I pay something today"):
        assert unclear_request(said), said
    for said in ("I want to pay", "make a payment", "I'd like to settle my balance", "hi, yes pldase"):
        assert not unclear_request(said), said
    assert not attempted_amount("yeah whichever one, doesnt matter")  # "one" picks a thing

"""Billing questions that read like a payment (trial2 class A/B): answered, never a "Pay $X?" prompt.

Each class has a few paraphrases; the tests assert what the resident sees and that no payment row
was written, even when the resident then says "yes".
"""

from __future__ import annotations

import asyncpg
import pytest
from callcenter_agents.billing import AGENT
from flow_convo import Convo
from test_agents_billing import NOW, paid, resident_with_bills


@pytest.mark.parametrize("ask", ["how much was it again?", "how much was that payment again", "how much was that"])
async def test_how_much_was_it_after_a_payment_is_the_payment(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    await c.say("pay 200")
    await c.say("yes")
    r = await c.say(ask)
    assert "$200.00" in r.text and "Pay $" not in r.text and "balance is" not in r.text.lower()
    assert sum(row["amount_cents"] for row in await paid(pool, ids["customer"])) == 20000


@pytest.mark.parametrize(
    "ask", ["did my march rent payment go through?", "was my march rent paid?", "did the march rent go through"]
)
async def test_did_my_payment_go_through_looks_it_up(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("did my march rent payment go through?")
    assert "don't see any payments" in r.text and "Pay $" not in r.text
    await c.say("pay 1500")
    await c.say("yes")
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say(ask)
    assert "went through" in r.text and "$1,500.00" in r.text and "Rent - March 2031" in r.text
    r = await c.say("did my january rent payment go through?")
    assert "don't see a payment" in r.text and "Pay $" not in r.text
    assert sum(row["amount_cents"] for row in await paid(pool, ids["customer"])) == 150000


@pytest.mark.parametrize(
    "ask", ["what cards do i have on file", "which cards are saved?", "what payment methods do i have"]
)
async def test_cards_on_file_are_listed_masked(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say(ask)
    assert "Visa ending 4242" in r.text and "Mastercard ending 5555" in r.text
    assert "balance" not in r.text.lower() and "Pay $" not in r.text


@pytest.mark.parametrize(
    "ask", ["this is bullshit why am i being charged 50 dollars", "what is the 50.00 for", "why was i charged $50?"]
)
async def test_a_charge_named_by_its_amount_is_explained_not_offered_for_payment(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("how much do i owe")
    assert "$1,550.00" in r.text
    r = await c.say(ask)
    assert "late fee" in r.text.lower() and "Pay $" not in r.text
    await c.say("yes")
    assert await paid(pool, ids["customer"]) == []


@pytest.mark.parametrize(
    "ask",
    [
        "can i pay the rest on the 15th instead",
        "can i schedule a payment for friday",
        "could i pay it next week instead?",
    ],
)
async def test_paying_later_is_declined_honestly_and_nothing_is_charged(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    await c.say("what's my balance")
    r = await c.say(ask)
    assert "can't schedule a payment" in r.text and "Pay $" not in r.text
    r = await c.say("yes")
    assert "Pay $" not in r.text
    assert await paid(pool, ids["customer"]) == []

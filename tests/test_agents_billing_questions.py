"""Billing questions that read like a payment (trial2): answered, never a "Pay $X?" prompt.

Each class is asked in wordings generated here (frames x the money templates' roughening: courtesy,
hesitation, casing, one-letter slips), not in the sentences the rules were written from. Every test
asserts what the resident sees and that no payment row was written, even after the resident then
says "yes". The rules themselves are checked without a database at the end.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import asyncpg
import pytest
from callcenter_agents.billing import AGENT
from callcenter_agents.billing_intents import is_account_money_question
from callcenter_agents.billing_questions import question_kind
from flow_convo import Convo
from seeded import variants
from test_agents_billing import NOW, paid, resident_with_bills

from callcenter.evals.paraphrase import load_spec

SPEC = load_spec(Path(__file__).resolve().parents[1] / "evals" / "generated" / "money.yaml")


def rough(frames: list[str], n: int, seed: int) -> list[str]:
    """n wordings drawn from the frames roughened (courtesy, hesitation, slips) or re-cased, deterministic."""
    rng = random.Random(seed)
    pool = list(itertools.chain.from_iterable(variants(SPEC, f, 4, seed)[1:] for f in frames))
    pool += [f.upper() for f in frames] + [f.capitalize() for f in frames]
    return rng.sample(sorted(set(pool)), n)


LAST_AMOUNT = rough(
    ["how much was it again?", "how much was that payment", "wait how much was that again", "what was the amount again",
     "remind me how much it was", "how much did that come to"],
    10,
    1,
)  # fmt: skip
WENT_THROUGH = rough(
    ["did my march rent go through?", "did my rent payment for march go thru", "was my march rent paid?",
     "has my march rent posted yet", "did you get my rent for march", "did the march rent payment clear"],
    10,
    2,
)  # fmt: skip
CARDS = rough(
    ["what cards do i have on file", "which cards are saved?", "what payment methods do i have",
     "do i have a card on file", "show me my saved cards", "what cards have you got on file for me"],
    10,
    3,
)  # fmt: skip
BY_AMOUNT = rough(
    ["why am i being charged 50 dollars", "what is the 50.00 for", "why was i charged $50?", "whats this $50 charge",
     "this is bs why am i getting billed 50 bucks", "what's the 50 for"],
    10,
    4,
)  # fmt: skip
LATER = rough(
    ["can i pay the rest on the 15th instead", "can i schedule a payment for friday",
     "could i pay it next week instead?", "can I pay on the 20th instead?",
     "i want to schedule my payment for the end of the month", "is it possible to pay later"],
    10,
    5,
)  # fmt: skip


@pytest.mark.parametrize("ask", LAST_AMOUNT)
async def test_how_much_was_it_after_a_payment_is_the_payment(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    await c.say("pay 200")
    r = await c.say("yes")
    c.state = {"finished": r.state}  # what the glue hands back when "how much was it" continues billing
    r = await c.say(ask)
    assert "Your last payment was $200.00" in r.text and "Pay $" not in r.text, r.text
    await c.say("yes")
    assert sum(row["amount_cents"] for row in await paid(pool, ids["customer"])) == 20000


@pytest.mark.parametrize("ask", WENT_THROUGH)
async def test_did_my_rent_go_through_looks_it_up_by_month_and_what(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say(ask)  # March rent is open and nothing is paid yet
    assert "still open" in r.text and "Rent - March 2031" in r.text and "Pay $" not in r.text, r.text
    await c.say("no thanks")
    await c.say("pay 1500")
    await c.say("yes")
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say(ask)
    assert "went through" in r.text and "$1,500.00" in r.text and "Rent - March 2031" in r.text, r.text
    await c.say("yes")
    r = await c.say("did my january rent payment go through?")
    assert "don't see a payment" in r.text and "Pay $" not in r.text, r.text
    await c.say("yes")
    assert sum(row["amount_cents"] for row in await paid(pool, ids["customer"])) == 150000


@pytest.mark.parametrize("ask", CARDS)
async def test_cards_on_file_are_listed_masked_even_at_the_confirm_question(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say(ask)
    assert "Visa ending 4242" in r.text and "Mastercard ending 5555" in r.text, r.text
    assert "balance" not in r.text.lower() and "Pay $" not in r.text
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    assert (await c.say("pay $100")).text.startswith("Pay $100.00")
    r = await c.say(ask)  # asked at "Pay $100.00 with Visa?": a question, not a pick of a card
    assert "Mastercard ending 5555" in r.text and "Pay $" not in r.text, r.text
    await c.say("yes")
    assert await paid(pool, ids["customer"]) == []


@pytest.mark.parametrize("ask", BY_AMOUNT)
async def test_a_charge_named_by_its_amount_is_explained_not_offered_for_payment(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("how much do i owe")
    assert "$1,550.00" in r.text
    r = await c.say(ask)
    assert "late fee" in r.text.lower() and "Pay $" not in r.text, r.text
    await c.say("yes")  # yes to "I can ask for this fee to be waived": a waiver request, never a payment
    assert await paid(pool, ids["customer"]) == []


async def test_an_amount_with_no_charge_says_so_with_the_open_charges(pool: asyncpg.Pool) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    r = await c.say("why am i being charged 35 dollars")
    assert "I don't see a charge of $35.00" in r.text and "Rent - March 2031" in r.text and r.done, r.text
    await c.say("yes")
    assert await paid(pool, ids["customer"]) == []


@pytest.mark.parametrize("ask", LATER)
async def test_paying_later_is_declined_honestly_and_nothing_is_charged(pool: asyncpg.Pool, ask: str) -> None:
    ids = await resident_with_bills(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    await c.say("what's my balance")
    r = await c.say(ask)
    assert "can't schedule a payment" in r.text and "billing team" in r.text and "Pay $" not in r.text, r.text
    r = await c.say("yes")
    assert r.human is not None and r.human.queue == "billing" and "Pay $" not in r.text
    assert await paid(pool, ids["customer"]) == []


@pytest.mark.parametrize(
    "text",
    ["how much is that", "how much does that cost", "what does that cost?", "how much is the lockout fee",
     "lost my keys, can you let me in", "can i pay my rent on the 10th?", "what happens if i pay on the 10th?",
     "I'll pay half today and the rest on the 15th", "use my saved card", "what is the fee for 2 keys",
     "pay $500 with the card ending 5555", "did the plumber come yesterday"],
)  # fmt: skip
def test_follow_ups_and_other_requests_are_not_billing_questions(text: str) -> None:
    assert question_kind(text) in (None, "last_amount") and not is_account_money_question(text)

"""Money answers typed loosely, from the resident's side: a loose yes pays what the question named, a
pay request wrapped in courtesy is a plain one, "pay it al" is all of it, and slips in "cards",
"dollars" and "account" do not lose the question.

Before (held-out seeds 13/17/23, 2026-12-02): "yeah any card is fine, doesnt matter" to "Pay $75.00
with Bank of America account ending 6805?" got "I don't see a saved card" and nothing was paid;
"quick questoon, let me pay" got "Sorry, I didn't catch the amount" and every yes after it was "I
still need the amount"; "pay it al" had its "al" glossed as Spanish ("to") and was asked how much;
"so what carrds do i have on file" went out of scope; "why am i being charged 35 dollasr" answered
"I don't see a charge of $0.00". Each wording is tried as typed and roughened (courtesy, hesitation,
casing, slips: the eval generator's own roughening) through the orchestrator, and the end state is
read from the payments table.
"""

from __future__ import annotations

import asyncpg
import pytest
from seeded import resident_owing_75, variants

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime

BANK = "Bank of America account ending 6805"
CONFIRM = f"Pay $75.00 with {BANK}?"


async def _resident(pool: asyncpg.Pool, *, card: bool = False, pet_rent: bool = False) -> int:
    """A resident of their own owing a $75 lockout fee with, as in the failing scenarios, a Bank of
    America account as the only saved method (or a default Visa too); a paid $35 pet rent if asked."""
    cid = await resident_owing_75(pool, method=("bank", "Bank of America", "6805"))
    if pet_rent:
        await pool.execute(
            "INSERT INTO invoices (customer_id, kind, description, amount_cents, paid_cents, issued_on, due_on, status)"
            " VALUES ($1, 'fee', 'Pet rent March 2026', 3500, 3500, current_date - 40, current_date - 33, 'paid')",
            cid,
        )
    if card:
        await pool.execute("UPDATE payment_methods SET is_default = false WHERE customer_id = $1", cid)
        await pool.execute(
            "INSERT INTO payment_methods (customer_id, kind, brand, last4, is_default)"
            " VALUES ($1, 'card', 'Visa', '4242', true)",
            cid,
        )
    return cid


async def _talk(runtime: Runtime, customer: int, turns: list[str]) -> list[str]:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=customer)
    return [(await orch.handle_turn(session.id, said)).text for said in turns]


async def _paid(pool: asyncpg.Pool, customer: int) -> list[tuple[int, str]]:
    """(amount, method) of every payment the resident has made."""
    rows = await pool.fetch(
        "SELECT p.amount_cents, m.brand FROM payments p JOIN payment_methods m ON m.id = p.method_id"
        " WHERE p.customer_id = $1 ORDER BY p.id",
        customer,
    )
    return [(int(r["amount_cents"]), str(r["brand"])) for r in rows]


LOOSE_YES = (
    "yeah go ahead",
    "sure thing",
    "ok do it",
    "yep pls",
    "yeah any card is fine, doesnt matter",
    "sure whatever works, go for it",
    "yep that one is fine by me",
    "i dont care which card, go ahead",
    "yeah whichever one, thats fine",
    "yse",
    "okey",
    "for sure, charge it",
    "um hi three. yes please please",  # "hi there" with a slip that is another word
    "hi thee. yep thx",
)


@pytest.mark.parametrize("wording", LOOSE_YES)
async def test_a_loose_yes_at_the_confirmation_pays_what_it_named(runtime: Runtime, spec: Spec, wording: str) -> None:
    for said in variants(spec, wording, 2, seed=13):
        customer = await _resident(runtime.pool)
        replies = await _talk(runtime, customer, ["pay everything i owe please", said])
        assert replies[0] == CONFIRM, replies
        assert "I've paid $75.00" in replies[1], (said, replies)
        assert await _paid(runtime.pool, customer) == [(7500, "Bank of America")], said


# Not a yes, however loosely said next to method words: nothing moves.
NOT_YES = (
    "no",
    "nope, any card but not now",
    "no, it doesnt matter, dont pay it",
    "hold on, not yet",
    "whichever card",
    "never mind",
)


@pytest.mark.parametrize("wording", NOT_YES)
async def test_no_or_no_yes_next_to_any_card_charges_nothing(runtime: Runtime, wording: str) -> None:
    customer = await _resident(runtime.pool)
    replies = await _talk(runtime, customer, ["pay everything i owe please", wording])
    assert replies[0] == CONFIRM, replies
    assert "I've paid" not in replies[1], (wording, replies)
    assert await _paid(runtime.pool, customer) == [], wording


COURTEOUS_PAY = (
    "quick question, let me pay",
    "ok so excuse me, i'd like to pay please",
    "hi there, make a payment",
    "good morning! i'd like to pay, thanks",
    "excuse me, i want to pay",
)


@pytest.mark.parametrize("wording", COURTEOUS_PAY)
async def test_a_pay_request_wrapped_in_courtesy_then_yes_pays_the_balance(
    runtime: Runtime, spec: Spec, wording: str
) -> None:
    for said in variants(spec, wording, 2, seed=17):
        customer = await _resident(runtime.pool)
        replies = await _talk(runtime, customer, [said, "yes pls", "confirm"])
        assert not any("didn't catch" in r or "still need the amount" in r for r in replies), (said, replies)
        assert replies[1] == CONFIRM and "I've paid $75.00" in replies[2], (said, replies)
        assert await _paid(runtime.pool, customer) == [(7500, "Bank of America")], said


@pytest.mark.parametrize(
    "turns",
    [
        ["pay it al", "yes"],
        ["pay it al please", "yep"],
        ["i want to pay it al", "ok"],
        ["pay al of it", "sure"],
        ["pay it alll", "yes"],
        ["I want to pay", "al", "yes"],
    ],
)
async def test_all_typed_short_pays_the_whole_balance(runtime: Runtime, turns: list[str]) -> None:
    customer = await _resident(runtime.pool)
    replies = await _talk(runtime, customer, turns)
    assert replies[-2] == CONFIRM and "I've paid $75.00" in replies[-1], replies
    assert await _paid(runtime.pool, customer) == [(7500, "Bank of America")]


# (as typed with a slip, the wording roughened by the generator: its slips land anywhere)
CARDS = (
    ("so what carrds do i have on file", "so what cards do i have on file"),
    ("which crads are saved?", "which cards are saved?"),
    ("what cadrs do i have on file", "show me my saved cards"),
)


@pytest.mark.parametrize(("slipped", "wording"), CARDS)
async def test_cards_on_file_asked_with_a_slip_are_listed_and_a_yes_pays_nothing(
    runtime: Runtime, spec: Spec, slipped: str, wording: str
) -> None:
    for said in [slipped, *variants(spec, wording, 3, seed=23)[1:]]:
        customer = await _resident(runtime.pool, card=True)
        replies = await _talk(runtime, customer, [said, "yes"])
        assert "Visa ending 4242" in replies[0] and "Bank of America account ending 6805" in replies[0], (said, replies)
        assert not any("Pay $" in r or "Would you like to pay now" in r for r in replies), (said, replies)
        assert await _paid(runtime.pool, customer) == [], said


CHARGE = ("why am i being charged 35 dolars", "hello, why am i being charged 35 dollasr", "whats the 35 bukcs for")


@pytest.mark.parametrize("wording", CHARGE)
async def test_a_charge_asked_by_its_amount_with_a_slip_is_explained(runtime: Runtime, wording: str) -> None:
    customer = await _resident(runtime.pool, pet_rent=True)
    replies = await _talk(runtime, customer, [wording, "ok"])
    assert "pet rent ($35.00)" in replies[0], (wording, replies)
    assert not any("Pay $" in r for r in replies), replies
    assert await _paid(runtime.pool, customer) == []


@pytest.mark.parametrize("wording", ["how much is on my accont", "whats on my acount", "hows my acount looking"])
async def test_the_balance_asked_with_a_slip_is_read(runtime: Runtime, wording: str) -> None:
    customer = await _resident(runtime.pool)
    replies = await _talk(runtime, customer, [wording])
    assert "Your balance is $75.00" in replies[0], (wording, replies)
    assert await _paid(runtime.pool, customer) == []


SLIPPED_LAST = ("soorry how much was it", "sory, how much was that payment", "wait how much was that")


@pytest.mark.parametrize("wording", SLIPPED_LAST)
async def test_how_much_was_it_with_a_slip_names_the_payment_just_made(runtime: Runtime, wording: str) -> None:
    customer = await _resident(runtime.pool)
    replies = await _talk(runtime, customer, ["pay 50", "yes please", wording, "yes"])
    assert "I've paid $50.00" in replies[1], replies
    assert "Your last payment was $50.00" in replies[2], (wording, replies)
    assert await _paid(runtime.pool, customer) == [(5000, "Bank of America")], replies


GRACE = ("good morning, is there a grace peroid for rent pls", "is there a grace preiod for rent?")


@pytest.mark.parametrize("wording", GRACE)
async def test_the_grace_period_asked_with_a_slip_is_the_handbook_answer(runtime: Runtime, wording: str) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=None)
    reply = (await orch.handle_turn(session.id, wording)).text
    assert "5-day grace period" in reply and "sign in" not in reply, (wording, reply)

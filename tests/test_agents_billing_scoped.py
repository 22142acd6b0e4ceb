"""Payments named by what they cover ("half of what's overdue", "everything except 100 bucks", "the
overdue stuff", "the late fee and the water bill"), asked in generated wordings, checked by what the
database holds after the resident says yes: the amount computed from their open invoices, confirmed
first, paid once; or, when it can't be worked out, an honest reason and nothing charged.
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest
from callcenter_agents.billing import AGENT
from callcenter_agents.billing_amounts import scoped_request
from flow_convo import Convo
from seeded import variants
from test_agents_billing import NOW, paid, resident_with_bills

from callcenter.evals.paraphrase import load_spec

SPEC = load_spec(Path(__file__).resolve().parents[1] / "evals" / "generated" / "money.yaml")
AGREE = ["yes", "yes please", "go ahead", "ok", "yep", "confirm", "sure"]


def rough(frames: list[str], n: int, seed: int) -> list[tuple[str, str]]:
    """n (request, yes) pairs: frames roughened (courtesy, hesitation, slips) or re-cased, deterministic."""
    rng = random.Random(seed)
    pool = list(itertools.chain.from_iterable(variants(SPEC, f, 3, seed) for f in frames))
    pool += [f.upper() for f in frames]
    return [(said, rng.choice(AGREE)) for said in rng.sample(sorted(set(pool)), n)]


async def with_water_due(pool: asyncpg.Pool) -> dict[str, int]:
    """resident_with_bills (rent $1,500 and a $50 late fee, both overdue) plus a $45 water bill due on the 15th."""
    ids = await resident_with_bills(pool)
    ids["water_open"] = await pool.fetchval(
        "INSERT INTO invoices (customer_id, kind, description, amount_cents, paid_cents, issued_on, due_on, status)"
        " VALUES ($1, 'utility', 'Water and sewer - March 2031', 4500, 0, $2, $3, 'open') RETURNING id",
        ids["customer"],
        date(2031, 3, 5),
        date(2031, 3, 15),
    )
    return ids


async def open_due(pool: asyncpg.Pool, cid: int) -> dict[str, int]:
    rows = await pool.fetch(
        "SELECT description, amount_cents - paid_cents AS due FROM invoices WHERE customer_id = $1 AND status = 'open'",
        cid,
    )
    return {r["description"]: int(r["due"]) for r in rows}


async def pay_and_confirm(pool: asyncpg.Pool, cid: int, ask: str, yes: str) -> str:
    c = await Convo(pool, AGENT, cid, NOW).open()
    offer = await c.say(ask)
    assert await paid(pool, cid) == [], offer.text  # nothing moves before the yes
    await c.say(yes)
    return offer.text


HALF_OVERDUE = rough(
    ["pay half of whats overdue", "i want to pay half the overdue amount", "can i pay half of what's past due",
     "pay 50% of the overdue balance"],
    6,
    11,
)  # fmt: skip
ALL_BUT = rough(
    ["pay everything except 100 bucks", "pay it all but $100", "pay my balance minus 100 dollars",
     "pay everything except for a hundred", "pay all but 100 dollars"],
    6,
    12,
)  # fmt: skip
OVERDUE = rough(
    ["pay the overdue stuff", "pay whats overdue", "i want to pay everything that's past due", "pay the overdue amount",
     "just pay the overdue bills"],
    6,
    13,
)  # fmt: skip
TWO_CHARGES = rough(
    ["pay the late fee and the water bill", "pay the water bill and the late fee", "can i pay the late fee plus water",
     "i'd like to pay my late fee and my water bill"],
    6,
    14,
)  # fmt: skip


@pytest.mark.parametrize(("ask", "yes"), HALF_OVERDUE)
async def test_half_of_whats_overdue_is_half_the_overdue_invoices(pool: asyncpg.Pool, ask: str, yes: str) -> None:
    ids = await with_water_due(pool)
    offer = await pay_and_confirm(pool, ids["customer"], ask, yes)
    assert offer.startswith("Pay $775.00") and "$1,550.00" in offer, offer  # half of 1,500 + 50
    assert [r["amount_cents"] for r in await paid(pool, ids["customer"])] == [77500]
    assert (await open_due(pool, ids["customer"]))["Water and sewer - March 2031"] == 4500


@pytest.mark.parametrize(("ask", "yes"), ALL_BUT)
async def test_everything_except_an_amount_leaves_that_amount_owing(pool: asyncpg.Pool, ask: str, yes: str) -> None:
    ids = await with_water_due(pool)
    offer = await pay_and_confirm(pool, ids["customer"], ask, yes)
    assert offer.startswith("Pay $1,495.00"), offer
    assert sum(r["amount_cents"] for r in await paid(pool, ids["customer"])) == 149500
    assert sum((await open_due(pool, ids["customer"])).values()) == 10000


@pytest.mark.parametrize(("ask", "yes"), OVERDUE)
async def test_the_overdue_stuff_pays_exactly_the_overdue_invoices(pool: asyncpg.Pool, ask: str, yes: str) -> None:
    ids = await with_water_due(pool)
    offer = await pay_and_confirm(pool, ids["customer"], ask, yes)
    assert offer.startswith("Pay $1,550.00"), offer
    assert await open_due(pool, ids["customer"]) == {"Water and sewer - March 2031": 4500}


@pytest.mark.parametrize(("ask", "yes"), TWO_CHARGES)
async def test_two_charges_by_name_pay_those_invoices_only(pool: asyncpg.Pool, ask: str, yes: str) -> None:
    ids = await with_water_due(pool)
    offer = await pay_and_confirm(pool, ids["customer"], ask, yes)
    assert offer.startswith("Pay $95.00"), offer  # $50 late fee + $45 water, not the older rent
    assert await open_due(pool, ids["customer"]) == {"Rent - March 2031": 150000}
    assert sorted(r["invoice_id"] for r in await paid(pool, ids["customer"])) == sorted([ids["fee"], ids["water_open"]])


@pytest.mark.parametrize(
    ("first", "answer"),
    [("what's my balance", "the overdue stuff"), ("i want to make a payment", "half of what's overdue"),
     ("pay $200", "actually just the overdue stuff")],
)  # fmt: skip
async def test_a_scope_answers_the_pay_question_too(pool: asyncpg.Pool, first: str, answer: str) -> None:
    ids = await with_water_due(pool)
    c = await Convo(pool, AGENT, ids["customer"], NOW).open()
    await c.say(first)
    r = await c.say(answer)
    cents = 77500 if "half" in answer else 155000
    assert r.text.startswith(f"Pay ${cents // 100:,}.00"), r.text
    await c.say("yes")
    assert sum(row["amount_cents"] for row in await paid(pool, ids["customer"])) == cents


async def test_everything_except_a_named_charge_leaves_that_charge(pool: asyncpg.Pool) -> None:
    ids = await with_water_due(pool)
    offer = await pay_and_confirm(pool, ids["customer"], "pay everything except the late fee", "yes")
    assert offer.startswith("Pay $1,545.00"), offer
    assert await open_due(pool, ids["customer"]) == {"Late fee - March 2031 rent": 5000}


@pytest.mark.parametrize(
    "ask", ["pay the overdue stuff", "pay half of whats overdue", "pay the parking and the late fee",
            "pay everything except 5000 dollars"],
)  # fmt: skip
async def test_what_cannot_be_worked_out_is_said_and_a_yes_charges_nothing(pool: asyncpg.Pool, ask: str) -> None:
    cid: int = await pool.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ('Sam Roe', $1, 'Harbor View', '2A')"
        " RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    await pool.execute(
        "INSERT INTO invoices (customer_id, kind, description, amount_cents, paid_cents, issued_on, due_on, status)"
        " VALUES ($1, 'fee', 'Late fee - March 2031 rent', 5000, 0, $2, $3, 'open')",
        cid,
        NOW.date() - timedelta(days=1),
        NOW.date() + timedelta(days=5),
    )
    await pool.execute(
        "INSERT INTO payment_methods (customer_id, kind, brand, last4, is_default)"
        " VALUES ($1, 'card', 'Visa', '1881', true)",
        cid,
    )
    c = await Convo(pool, AGENT, cid, NOW).open()
    r = await c.say(ask)  # nothing overdue; no parking charge; $5,000 is more than the $50 owed
    assert "How much would you like to pay?" in r.text and "Pay $" not in r.text, r.text
    assert "overdue" in r.text or "parking" in r.text or "nothing to pay" in r.text, r.text
    for _ in range(2):
        await c.say("yes")
    assert await paid(pool, cid) == []


@pytest.mark.parametrize(
    "text",
    ["pay 500", "pay half", "pay the rest", "pay the late fee", "pay it all", "pay the rent", "how much is overdue?",
     "I'll pay half today and the rest on the 15th", "what's overdue and what's the late fee for?"],
)  # fmt: skip
def test_plain_amounts_are_not_scoped(text: str) -> None:
    assert scoped_request(text) is None

"""Money moves to the charge and from the method the resident names (outsider trial 2026-12-01 #1, #25,
#40, #41), from the resident's side: whole conversations through the orchestrator on the seeded demo,
checked by the payments rows they leave.

Before: "ok just pay the water bill then" to a late fee's waiver question paid the LATE FEE (#1); "pay the
rent part from my citizens account" charged the default Amex (#41: the saved "Citizens Bank" was not
heard in "citizens"); "can i pay the parking part only" got a handbook paragraph (#25); "ok well can you
at least pay my balance now with the bank account not the card" to an offer of the billing team handed
the resident over (#40). Each request is tried in generated wordings (courtesy, hesitation, casing and
one-letter slips from evals/generated/money.yaml), and after each conversation the resident's ledger is
put back, so every wording meets the same account.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from seeded import clocked, seeded_runtime, variants

from callcenter.evals.paraphrase import Spec, load_spec
from callcenter.orchestrator import Orchestrator
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
NIGHT = datetime(2026, 12, 1, 3, 15, tzinfo=TZ)  # the trial's clock: 03:15 in New York, Dec 1
ALEX, PARKING, CITIZENS = 1, 16, 22  # the seed's residents of trial conversations #1/#40, #25 and #41
NAMES = ("citizens", "chase", "checking", "visa", "mastercard", "amex", "bank", "card", "account", "tarjeta", "banco")
AGREE = ("yes", "yes please", "go ahead", "ok", "yep", "sure")


@pytest.fixture(scope="module")
def spec() -> Spec:
    money = load_spec(Path(__file__).resolve().parents[1] / "evals" / "generated" / "money.yaml")
    return dataclasses.replace(money, protect=money.protect | frozenset(NAMES))


@pytest.fixture(scope="module")
async def night_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=NIGHT.date()) as rt:
        yield rt


def rough(spec: Spec, lines: tuple[str, ...], n: int, seed: int) -> list[str]:
    """Each line and n-1 generated variations of it."""
    return list(itertools.chain.from_iterable(variants(spec, line, n, seed) for line in lines))


class Ledger:
    """One resident's invoices, payments and tickets, read and put back between conversations."""

    def __init__(self, pool: asyncpg.Pool, customer: int) -> None:
        self.pool, self.customer = pool, customer

    async def __aenter__(self) -> Ledger:
        self.invoices = await self.pool.fetch(
            "SELECT id, paid_cents, status FROM invoices WHERE customer_id = $1", self.customer
        )
        self.last_payment = await self.pool.fetchval("SELECT coalesce(max(id), 0) FROM payments")
        self.last_ticket = await self.pool.fetchval("SELECT coalesce(max(id), 0) FROM tickets")
        return self

    async def new_payments(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT p.amount_cents, p.invoice_id, p.method_id, i.description FROM payments p"
            " LEFT JOIN invoices i ON i.id = p.invoice_id WHERE p.customer_id = $1 AND p.id > $2 ORDER BY p.id",
            self.customer,
            self.last_payment,
        )
        return [dict(r) for r in rows]

    async def __aexit__(self, *exc: object) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM payments WHERE customer_id = $1 AND id > $2", self.customer, self.last_payment
            )
            await conn.execute(
                "DELETE FROM tickets WHERE customer_id = $1 AND id > $2", self.customer, self.last_ticket
            )
            await conn.executemany(
                "UPDATE invoices SET paid_cents = $2, status = $3 WHERE id = $1",
                [(r["id"], r["paid_cents"], r["status"]) for r in self.invoices],
            )


async def open_invoice(pool: asyncpg.Pool, customer: int, like: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT id, amount_cents - paid_cents AS due FROM invoices WHERE customer_id = $1 AND status = 'open'"
        " AND description ILIKE $2 ORDER BY due_on LIMIT 1",
        customer,
        like,
    )
    assert row is not None, (customer, like)
    return row


async def method(pool: asyncpg.Pool, customer: int, brand: str) -> int:
    found: int = await pool.fetchval(
        "SELECT id FROM payment_methods WHERE customer_id = $1 AND brand = $2", customer, brand
    )
    assert found, (customer, brand)
    return found


class Resident:
    """One resident's chat session through the orchestrator; no turn may hand them to a person."""

    def __init__(self, orch: Orchestrator, customer: int) -> None:
        self.orch, self.customer, self.session = orch, customer, ""

    async def say(self, *turns: str) -> list[str]:
        if not self.session:
            self.session = (await self.orch.open_session(channel="test", customer_id=self.customer)).id
        replies = []
        for said in turns:
            out = await self.orch.handle_turn(self.session, said)
            assert not out.human_handoff, (turns, said, out.text)
            replies.append(out.text)
        return replies


async def talk(orch: Orchestrator, customer: int, turns: list[str]) -> list[str]:
    return await Resident(orch, customer).say(*turns)


# --- #1: the charge named is the charge paid, whatever invoice the conversation was about -------------

WATER = (
    "ok just pay the water bill then",
    "fine, pay the water bill instead",
    "never mind that, just pay my water bill",
    "can you pay the water and sewer bill then",
    "ok then pay my water bill",
)
# Where the conversation stands when the resident says it: a waiver asked about, a fee explained,
# the balance read, nothing yet.
BEFORE_WATER = (
    ("whats the late fee for", "can you waive it, i was in the hospital that week"),
    ("whats the late fee for",),
    ("hey whats my balance",),
    (),
)


@pytest.mark.parametrize("before", BEFORE_WATER, ids=["waiver-asked", "fee-explained", "balance", "fresh"])
async def test_paying_the_water_bill_pays_the_water_bill_not_the_late_fee(
    night_runtime: Runtime, spec: Spec, before: tuple[str, ...]
) -> None:
    orch = clocked(night_runtime, NIGHT)
    water = await open_invoice(night_runtime.pool, ALEX, "Water%")
    late_fee = await open_invoice(night_runtime.pool, ALEX, "Late fee%")
    visa = await method(night_runtime.pool, ALEX, "Visa")
    for n, said in enumerate(rough(spec, WATER, 2, len(before))):
        async with Ledger(night_runtime.pool, ALEX) as ledger:
            replies = await talk(orch, ALEX, [*before, said, AGREE[n % len(AGREE)]])
            assert "$78.42" in replies[-2] and "Water" in replies[-2], (said, replies[-2])
            assert await ledger.new_payments() == [
                {
                    "amount_cents": water["due"],
                    "invoice_id": water["id"],
                    "method_id": visa,
                    "description": "Water, sewer & trash November 2026",
                }
            ], (before, said, replies)
            still = await open_invoice(night_runtime.pool, ALEX, "Late fee%")
            assert still["due"] == late_fee["due"]


# --- #25: "the parking part only" pays that charge's amount, after a yes ---------------------------------

PARKING_ONLY = (
    "ok and can i pay the parking part only",
    "can i only pay the parking fee for now",
    "pay just the parking charge",
    "id like to pay the parking portion only",
)
ANSWERS = ("just the parking please", "only the parking for now", "the parking part")  # to "Would you like to pay now?"


@pytest.mark.parametrize(
    ("before", "lines"),
    [
        (("hi, what is my balance and when is my next appointment",), PARKING_ONLY + ANSWERS),
        (("whats my balance",), ANSWERS),
        ((), PARKING_ONLY),
    ],
    ids=["two-questions", "balance", "fresh"],
)
async def test_the_parking_part_only_pays_the_parking_charge(
    night_runtime: Runtime, spec: Spec, before: tuple[str, ...], lines: tuple[str, ...]
) -> None:
    orch = clocked(night_runtime, NIGHT)
    parking = await open_invoice(night_runtime.pool, PARKING, "Parking%")
    for n, said in enumerate(rough(spec, lines, 2, 25)):
        async with Ledger(night_runtime.pool, PARKING) as ledger:
            resident = Resident(orch, PARKING)
            replies = await resident.say(*before, said)
            assert replies[-1].startswith("Pay $60.00 for Parking December 2026"), (said, replies[-1])
            assert await ledger.new_payments() == []  # nothing moves before the yes
            await resident.say(AGREE[n % len(AGREE)])
            paid = await ledger.new_payments()
            assert [(p["invoice_id"], p["amount_cents"]) for p in paid] == [(parking["id"], 6000)], (said, paid)


async def test_the_late_fee_only_pays_the_late_fee(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    fee = await open_invoice(night_runtime.pool, ALEX, "Late fee%")
    lines = ("just pay the late fee", "only the late fee for now pls", "can i pay the late fee part only")
    for said in rough(spec, lines, 2, 1):
        async with Ledger(night_runtime.pool, ALEX) as ledger:
            await talk(orch, ALEX, ["whats my balance", said, "yes"])
            paid = await ledger.new_payments()
            assert [(p["invoice_id"], p["amount_cents"]) for p in paid] == [(fee["id"], fee["due"])], (said, paid)


# --- #40/#41: the method named is the method charged; one not on file is said, never swapped -------------

# (what the resident says, the brand of their saved method it names)
CITIZENS_METHODS = (
    ("and pay the rent part from my citizens account", "Citizens Bank"),
    ("pay just the rent with my checking account", "Citizens Bank"),
    ("pay only the rent, use the bank account not the card", "Citizens Bank"),
    ("pay only the rent from the account ending 9767", "Citizens Bank"),
    ("pay just the rent please, with the 9767 account", "Citizens Bank"),
    ("pay just the rent with my mastercard", "Mastercard"),
    ("pay only the rent with the card ending 5555", "Mastercard"),
    ("pay just the rent with the citizens bank one instead of the amex", "Citizens Bank"),
    ("pay only the rent with my amex", "Amex"),
)


@pytest.fixture(scope="module")
async def second_card(night_runtime: Runtime) -> int:
    """Resident 22 also keeps a Mastercard ending 5555 (not the default): a card that isn't the default."""
    mc: int = await night_runtime.pool.fetchval(
        "INSERT INTO payment_methods (customer_id, kind, brand, last4, is_default)"
        " VALUES ($1, 'card', 'Mastercard', '5555', false) RETURNING id",
        CITIZENS,
    )
    return mc


@pytest.mark.parametrize(
    ("line", "brand"), CITIZENS_METHODS, ids=[b + str(n) for n, (_, b) in enumerate(CITIZENS_METHODS)]
)
async def test_the_method_named_is_the_one_charged(
    night_runtime: Runtime, spec: Spec, second_card: int, line: str, brand: str
) -> None:
    orch = clocked(night_runtime, NIGHT)
    rent = await open_invoice(night_runtime.pool, CITIZENS, "Rent%")
    wanted = await method(night_runtime.pool, CITIZENS, brand)
    for n, said in enumerate(variants(spec, line, 3, 41)):
        async with Ledger(night_runtime.pool, CITIZENS) as ledger:
            replies = await talk(orch, CITIZENS, [said, AGREE[n % len(AGREE)]])
            paid = await ledger.new_payments()
            assert [(p["invoice_id"], p["amount_cents"], p["method_id"]) for p in paid] == [
                (rent["id"], rent["due"], wanted)
            ], (said, replies)


NOT_ON_FILE = (
    "pay 100 with my visa",
    "pay 100 with the card ending 4242",
    "pay 100 from my wells fargo account",
    "use my discover card to pay 100",
)


@pytest.mark.parametrize("line", NOT_ON_FILE)
async def test_a_method_not_on_file_is_said_and_nothing_is_charged(
    night_runtime: Runtime, spec: Spec, line: str
) -> None:
    orch = clocked(night_runtime, NIGHT)
    for said in variants(spec, line, 3, 7):
        async with Ledger(night_runtime.pool, CITIZENS) as ledger:
            replies = await talk(orch, CITIZENS, [said, "yes", "yes"])  # a yes to "Which one?" picks none
            assert "I don't see" in replies[0] and "Amex ending 0103" in replies[0], (said, replies[0])
            assert "Citizens Bank account ending 9767" in replies[0], replies[0]
            assert await ledger.new_payments() == [], (said, replies)


BALANCE_FROM_BANK = (
    "ok well can you at least pay my balance now with the bank account not the card",
    "fine, just pay my balance with my chase account then",
    "ok can you pay what i owe from my checking account",
)


async def test_paying_after_an_offer_of_the_billing_team_pays_from_the_account_named(
    night_runtime: Runtime, spec: Spec
) -> None:
    orch = clocked(night_runtime, NIGHT)
    chase = await method(night_runtime.pool, ALEX, "Chase")
    owed = await night_runtime.pool.fetchval(
        "SELECT sum(amount_cents - paid_cents) FROM invoices WHERE customer_id = $1 AND status = 'open'", ALEX
    )
    for n, said in enumerate(rough(spec, BALANCE_FROM_BANK, 2, 40)):
        async with Ledger(night_runtime.pool, ALEX) as ledger:
            opening = "i want to set up autopay for rent so i stop getting late fees"
            replies = await talk(orch, ALEX, [opening, said, "all of it", AGREE[n % len(AGREE)]])
            assert "Chase account ending 6789" in replies[2], (said, replies)
            paid = await ledger.new_payments()
            assert {p["method_id"] for p in paid} == {chase} and sum(p["amount_cents"] for p in paid) == owed, (
                said,
                replies,
            )


# --- trial 2026-12-02 c17/c28: a question about paying is answered; a method not on file is said --------

HOW_TO_PAY = ("how do i pay, do you take cash or check?", "how do I pay this?", "can i pay by check?")
APPLE_PAY = ("ok what about paying it, can i use apple pay", "can i pay it with google pay", "pay it with zelle")


@pytest.mark.parametrize("before", BEFORE_WATER[:2], ids=["waiver-asked", "fee-explained"])
async def test_how_to_pay_at_a_fee_is_answered_not_a_payment(
    night_runtime: Runtime, spec: Spec, before: tuple[str, ...]
) -> None:
    orch = clocked(night_runtime, NIGHT)
    for said in rough(spec, HOW_TO_PAY, 2, 17):
        async with Ledger(night_runtime.pool, ALEX) as ledger:
            replies = await talk(orch, ALEX, [*before, said, "yes"])
            assert not replies[-2].startswith("Pay $"), (said, replies[-2])
            assert await ledger.new_payments() == [], (said, replies)


@pytest.mark.parametrize("before", BEFORE_WATER[:2], ids=["waiver-asked", "fee-explained"])
async def test_a_wallet_not_on_file_is_said_and_nothing_is_charged(
    night_runtime: Runtime, spec: Spec, before: tuple[str, ...]
) -> None:
    orch = clocked(night_runtime, NIGHT)
    for said in rough(spec, APPLE_PAY, 2, 28):
        async with Ledger(night_runtime.pool, ALEX) as ledger:
            replies = await talk(orch, ALEX, [*before, said, "yes", "yes"])
            assert "I don't see" in replies[-3] and "Visa ending 4242" in replies[-3], (said, replies[-3])
            assert await ledger.new_payments() == [], (said, replies)


# --- #41: a reason against a fee just explained goes to its waiver, not the handbook ---------------------

NO_PET = (
    "i dont have a pet anymore, my cat passed away in october",
    "my dog died last month so i dont have a pet",
    "we gave our cat away in september, no pets anymore",
)


async def test_a_reason_against_the_pet_rent_becomes_its_waiver_request(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    await open_invoice(night_runtime.pool, CITIZENS, "Pet rent%")  # the seed gives them an open pet rent
    for n, said in enumerate(rough(spec, NO_PET, 2, 41)):
        agree = ("yes please dispute it", "yes")[n % 2]  # a "dispute" is the desk's billing ticket; a yes the waiver's
        async with Ledger(night_runtime.pool, CITIZENS) as ledger:
            before = await night_runtime.pool.fetchval("SELECT coalesce(max(id), 0) FROM tickets")
            replies = await talk(orch, CITIZENS, ["whats the 35 dollar charge on my bill", said, agree])
            # the reason is heard as one against the pet rent: its waiver question, or the desk's billing ticket
            assert "Pet rent December 2026" in replies[1] or "ticket #" in replies[1], (said, replies)
            tickets = await night_runtime.pool.fetch(
                "SELECT id, customer_id, category, body FROM tickets WHERE id > $1", before
            )
            assert {(r["customer_id"], r["category"]) for r in tickets} == {(CITIZENS, "billing")}, (said, replies)
            assert any("Pet rent December 2026" in r["body"] or "pet" in r["body"].lower() for r in tickets), tickets
            assert any(f"#{r['id']}" in reply for r in tickets for reply in replies[1:]), replies
            assert await ledger.new_payments() == []

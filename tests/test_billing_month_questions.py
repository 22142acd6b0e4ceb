"""Questions about a month's payments and about a late fee, from the resident's side (outsider trial
2026-12-01 #13 and #1): whole conversations through the orchestrator on the seeded demo.

Before: "what did i pay last month and which card did i use" read back the LATEST payment (one of this
month), "and the month before?" got the lease-renewal paragraph, and "a receipt for the november one"
quoted the December payment; "whats the late fee for?? i paid november rent" listed recent payments and
never said what the fee was for. Each question is asked in generated wordings, and each reply is checked
against the payments table: exactly the days of that month's payments, none of another month.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date

import pytest
from callcenter_tools.booking import BUSINESS_TZ
from seeded import clocked, seeded_runtime, variants
from test_billing_named_money import ALEX, NIGHT, Resident, rough, spec  # noqa: F401  (spec: a fixture)

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime
from callcenter.settings import Settings

LAST_MONTH = (
    "what did i pay last month and which card did i use",
    "how much did I pay last month?",
    "what payments did i make last month",
    "show me what i paid in november",
)
MONTH_BEFORE = ("and the month before?", "what about the month before that", "and before that?", "and october?")
DAY = re.compile(r"\bon ([A-Z][a-z]{2} \d{1,2}, \d{4})\b")


@pytest.fixture(scope="module")
async def month_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=NIGHT.date()) as rt:
        yield rt


async def paid_days(rt: Runtime, customer: int, month: date) -> set[str]:
    """The days (as the reply writes them) of the resident's payments in `month`."""
    rows = await rt.pool.fetch("SELECT created_at FROM payments WHERE customer_id = $1", customer)
    days = {r["created_at"].astimezone(BUSINESS_TZ).date() for r in rows}
    return {f"{d:%b} {d.day}, {d.year}" for d in days if (d.year, d.month) == (month.year, month.month)}


async def residents_paying_both_months(rt: Runtime) -> list[int]:
    found = []
    for customer in range(2, 41):
        if await paid_days(rt, customer, date(2026, 11, 1)) and await paid_days(rt, customer, date(2026, 10, 1)):
            found.append(customer)
    return found[:4]


async def test_last_month_then_the_month_before_are_those_months_payments(month_runtime: Runtime, spec: Spec) -> None:  # noqa: F811
    orch = clocked(month_runtime, NIGHT)
    customers = await residents_paying_both_months(month_runtime)
    assert len(customers) == 4
    asks = rough(spec, LAST_MONTH, 2, 13)
    for n, ask in enumerate(asks):
        customer = customers[n % len(customers)]
        november = await paid_days(month_runtime, customer, date(2026, 11, 1))
        october = await paid_days(month_runtime, customer, date(2026, 10, 1))
        follow = MONTH_BEFORE[n % len(MONTH_BEFORE)]
        said = variants(spec, follow, 2, n)[-1]
        resident = Resident(orch, customer)
        first, second = await resident.say(ask, said)
        assert "November 2026" in first and set(DAY.findall(first)) == november, (ask, first, november)
        assert " ending " in first  # which card: each payment names its method
        assert "October 2026" in second and set(DAY.findall(second)) == october, (said, second, october)


async def test_a_receipt_for_a_month_names_that_months_payments(month_runtime: Runtime, spec: Spec) -> None:  # noqa: F811
    orch = clocked(month_runtime, NIGHT)
    customer = (await residents_paying_both_months(month_runtime))[0]
    november = await paid_days(month_runtime, customer, date(2026, 11, 1))
    lines = ("can you email me a receipt for the november one", "i need a receipt for what i paid last month")
    for said in rough(spec, lines, 2, 5):
        (reply,) = await Resident(orch, customer).say(said)
        assert "can't send receipts" in reply and set(DAY.findall(reply)) == november, (said, reply)
        assert "billing team" in reply


LATE_FEE_WHY = (
    "whats the late fee for?? i paid november rent",
    "why do i have a late fee, i paid my rent",
    "what is this late fee about? i already paid november",
)


async def test_what_a_late_fee_is_for_says_which_rent_and_when_it_was_paid(month_runtime: Runtime, spec: Spec) -> None:  # noqa: F811
    orch = clocked(month_runtime, NIGHT)
    paid = await month_runtime.pool.fetchval(
        "SELECT max(p.created_at) FROM payments p JOIN invoices i ON i.id = p.invoice_id"
        " WHERE i.customer_id = $1 AND i.description = 'Rent November 2026'",
        ALEX,
    )
    day = paid.astimezone(BUSINESS_TZ).date()
    for said in rough(spec, LATE_FEE_WHY, 3, 1):
        (reply,) = await Resident(orch, ALEX).say(said)
        assert "late fee ($92.50)" in reply and "grace period" in reply, (said, reply)
        assert f"Rent November 2026 was due Nov 1, 2026 and paid on {day:%b} {day.day}, 2026" in reply, reply


PART_NOW = (
    "i get paid on the 15th so i cant pay it all now. can i pay half now and half on the 15th?",
    "can i pay some of my rent now, the rest next friday?",
    "is it ok if i pay part today and the remainder at the end of the month",
)


async def test_paying_part_now_says_what_stays_owed_and_the_late_fee(month_runtime: Runtime, spec: Spec) -> None:  # noqa: F811
    """Trial 2026-12-01 #3: never said plainly that part can be paid now and what the rest costs if late."""
    orch = clocked(month_runtime, NIGHT)
    rents = await month_runtime.pool.fetch(
        "SELECT customer_id, description, amount_cents, amount_cents - paid_cents AS due FROM invoices"
        " WHERE kind = 'rent' AND status = 'open' ORDER BY customer_id LIMIT 3"
    )
    assert len(rents) == 3
    for n, said in enumerate(rough(spec, PART_NOW, 2, 3)):
        rent = rents[n % len(rents)]
        before = await month_runtime.pool.fetchval("SELECT count(*) FROM payments")
        (reply,) = await Resident(orch, rent["customer_id"]).say(said)
        fee = max(5_000, (rent["amount_cents"] * 5 + 50) // 100)
        assert f"pay part of your {rent['description']} (${rent['due'] / 100:,.2f} due) now" in reply, (said, reply)
        assert f"late fee of ${fee / 100:,.2f}" in reply and "Pay $" not in reply, (said, reply)
        assert reply.endswith("How much would you like to pay now?"), reply
        assert await month_runtime.pool.fetchval("SELECT count(*) FROM payments") == before

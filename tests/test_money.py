"""Money as an attacker tries it: negative amounts and other residents' invoices pay nothing.

Each case is a short conversation through the orchestrator on the real database, ending in
"yes" (the confirmation a careless flow would act on); the check is the payments table.
"""

from __future__ import annotations

import asyncpg
import pytest

from callcenter.runtime import Runtime

CUSTOMER = 1


async def _payments(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM payments"))


async def _talk(runtime: Runtime, *lines: str) -> list[str]:
    session = await runtime.orchestrator.open_session(channel="chat", customer_id=CUSTOMER)
    return [(await runtime.orchestrator.handle_turn(session.id, line)).text for line in lines]


@pytest.mark.parametrize(
    "ask",
    [
        "pay -$500.00",
        "pay $-500",
        "pay - $500",
        "pay minus 500 dollars",
        "please pay negative $20 on my balance",
        "pay −$75",
        "I'd like to pay -500 dollars",
    ],
)
async def test_negative_amounts_pay_nothing(runtime: Runtime, ask: str) -> None:
    before = await _payments(runtime.pool)
    replies = await _talk(runtime, ask, "yes", "yes")
    assert not any("$500.00 with" in r or "$20.00 with" in r for r in replies), replies
    # The negative amount is never taken. "yes" to "How much?" means the whole balance (glue), so a
    # payment may follow, but only after the resident said yes to a question naming that exact amount.
    if await _payments(runtime.pool) != before:
        asked = [r for r in replies[:-1] if r.startswith("Pay $")]
        assert asked and "-" not in asked[-1] and asked[-1].split()[1] in replies[-1], replies


@pytest.mark.parametrize(
    "template",
    [
        "pay invoice {n}",
        "pay $100 on invoice {n}",
        "I want to pay $100 toward invoice #{n}",
        "please pay bill {n} for $50",
        "pay INV-{n} 100 dollars",
        "pay invoice number {n} in full",
    ],
)
async def test_another_residents_invoice_is_refused_and_pays_nothing(runtime: Runtime, template: str) -> None:
    theirs = await runtime.pool.fetchval(
        "SELECT id FROM invoices WHERE customer_id <> $1 AND status = 'open' ORDER BY id LIMIT 1", CUSTOMER
    )
    before = await _payments(runtime.pool)
    on_theirs = "SELECT count(*) FROM payments WHERE invoice_id = $1"
    paid_theirs = await runtime.pool.fetchval(on_theirs, theirs)
    replies = await _talk(runtime, template.format(n=theirs), "yes", "yes")
    assert await runtime.pool.fetchval(on_theirs, theirs) == paid_theirs, replies  # never their invoice
    assert f"can't find invoice #{theirs} on your account" in replies[0], replies
    # "yes" to "How much would you like to pay?" offers the resident's own balance; it is paid only
    # after a yes to the question naming that exact amount (as in the negative-amount cases above)
    if await _payments(runtime.pool) != before:
        asked = [r for r in replies[:-1] if r.startswith("Pay $")]
        assert asked and asked[-1].split()[1] in replies[-1], replies


async def test_sql_refuses_payments_beyond_what_is_owed(runtime: Runtime) -> None:
    """The database itself holds the line, whatever a future tool or flow gets wrong."""
    row = await runtime.pool.fetchrow(
        "SELECT i.id, i.customer_id, i.amount_cents - i.paid_cents AS due, m.id AS method FROM invoices i "
        "JOIN payment_methods m ON m.customer_id = i.customer_id WHERE i.status = 'open' LIMIT 1"
    )
    insert = (
        "INSERT INTO payments (customer_id, invoice_id, method_id, amount_cents, idempotency_key) "
        "VALUES ($1, $2, $3, $4, $5)"
    )
    for amount in (0, -100, row["due"] + 1):
        with pytest.raises(asyncpg.CheckViolationError):
            await runtime.pool.execute(insert, row["customer_id"], row["id"], row["method"], amount, f"x{amount}")
    other = await runtime.pool.fetchval("SELECT id FROM customers WHERE id <> $1 LIMIT 1", row["customer_id"])
    with pytest.raises(asyncpg.CheckViolationError):  # someone else's invoice
        await runtime.pool.execute(insert, other, row["id"], row["method"], 1, "x-other")


def test_the_tool_argument_type_refuses_non_positive_amounts() -> None:
    from callcenter_tools.billing import PayBalanceArgs
    from pydantic import ValidationError

    for bad in (0, -50_000, 10_000_001):
        with pytest.raises(ValidationError):
            PayBalanceArgs(amount_cents=bad)

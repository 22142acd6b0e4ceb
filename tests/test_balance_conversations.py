"""Class 1 from the resident's side: a $0 balance, and a full payment then "what's my balance now?".

Whole conversations through the orchestrator (router, flows, verifier, database) in several
wordings, with the slips and courtesy residents type. The verifier used to read "You're all paid
up: your balance is $0.00" as a payment claim and hand the resident to a person.
"""

from __future__ import annotations

import re

import asyncpg
import pytest
from seeded import resident_owing_75

from callcenter.runtime import Runtime

PAY = ("I want to pay my balance", "hi, I'd like to make a payment please", "can I pay what I owe?")
AMOUNT = ("$75", "75 dollars, thanks")
YES = ("yes", "go ahead", "go aheda", "hi there. yep thx", "confirm pls")
AFTER = ("what's my balance now?", "do I still owe anything?", "how much do I owe now", "is my balance zero now?")


async def _resident_owing_75(pool: asyncpg.Pool) -> int:
    """A resident of their own: a $75 fee, a saved Visa."""
    return await resident_owing_75(pool)


@pytest.mark.parametrize("n", range(4))
async def test_a_full_payment_then_the_balance_is_zero_not_a_handoff(runtime: Runtime, n: int) -> None:
    orch = runtime.orchestrator
    customer = await _resident_owing_75(runtime.pool)
    session = await orch.open_session(channel="test", customer_id=customer)
    replies = []
    for said in (PAY[n % len(PAY)], AMOUNT[n % len(AMOUNT)], YES[n % len(YES)], YES[(n + 3) % len(YES)]):
        out = await orch.handle_turn(session.id, said)
        replies.append(out.text)
        if "I've paid" in out.text:
            break
    assert any("I've paid $75.00" in r for r in replies), replies
    after = await orch.handle_turn(session.id, AFTER[n])
    assert "$0.00" in after.text and not after.human_handoff, after.text
    paid = await runtime.pool.fetchval("SELECT sum(amount_cents) FROM payments WHERE customer_id = $1", customer)
    assert paid == 7500


async def test_a_question_at_the_payment_confirmation_is_answered_and_nothing_is_charged(runtime: Runtime) -> None:
    orch = runtime.orchestrator
    customer = await _resident_owing_75(runtime.pool)
    session = await orch.open_session(channel="test", customer_id=customer)
    await orch.handle_turn(session.id, "pay my balance")
    asked = await orch.handle_turn(session.id, "75")
    assert asked.text.startswith("Pay $75.00")
    out = await orch.handle_turn(session.id, "wait, what is my balance right now?")
    assert "$75.00" in out.text and "(yes or no)" not in out.text, out.text
    assert await runtime.pool.fetchval("SELECT count(*) FROM payments WHERE customer_id = $1", customer) == 0


@pytest.mark.parametrize(
    "said", ["what's my balance?", "hey, am I all paid up?", "do I owe anything", "check my account balance please"]
)
async def test_nothing_owed_is_read_back_not_handed_over(runtime: Runtime, said: str) -> None:
    owed = await runtime.pool.fetch(
        """SELECT c.id FROM customers c LEFT JOIN invoices i ON i.customer_id = c.id AND i.status = 'open'
           GROUP BY c.id HAVING COALESCE(sum(i.amount_cents - i.paid_cents), 0) = 0 ORDER BY c.id LIMIT 1"""
    )
    session = await runtime.orchestrator.open_session(channel="test", customer_id=owed[0]["id"])
    out = await runtime.orchestrator.handle_turn(session.id, said)
    assert re.search(r"\$0\.00|paid up", out.text) and not out.human_handoff, out.text

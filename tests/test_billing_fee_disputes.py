"""A resident who argues with a late fee gets it explained and can have it taken off (outsider trial
2026-12-02 conv 11 and 29), from the resident's side: conversations through the orchestrator on the
seeded demo, checked by the invoices, tickets and handoffs they leave.

Before: "whats this 95.75 late fee from july?? i never got any notice about it" got the late-fees list
line ("Yes: Late fee - rent July 2026: $95.75 due"), and "what is this late fee from july about?" was
explained with AUGUST's rent (both fees were $95.75; any shared word ranked the same, so the latest won);
"i want it removed" then went to the complaints desk. "i got charged a late fee but i paid on time!!"
listed five payments and never named the fee. Each wording is tried as typed and roughened
(courtesy, casing, one-letter slips from evals/generated/money.yaml).
"""

from __future__ import annotations

import asyncpg
import pytest
from seeded import NIGHT, clocked

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime
from tests.test_billing_named_money import Ledger, Resident, rough
from tests.test_billing_named_money import spec as spec  # noqa: F401  (the roughening spec fixture)


async def _two_fees_one_open(pool: asyncpg.Pool) -> asyncpg.Record:
    """A resident with an open late fee and a later one of the same amount (the trial's resident 28)."""
    row = await pool.fetchrow(
        """
        SELECT o.customer_id, o.id, o.amount_cents, split_part(o.description, ' - rent ', 2) AS month
        FROM invoices o JOIN invoices l ON l.customer_id = o.customer_id AND l.id <> o.id
        WHERE o.kind = 'fee' AND o.status = 'open' AND o.description ILIKE 'late fee - rent %'
          AND l.kind = 'fee' AND l.description ILIKE 'late fee - rent %' AND l.due_on > o.due_on
          AND l.amount_cents = o.amount_cents
        ORDER BY o.customer_id LIMIT 1
        """
    )
    assert row is not None, "the seed has no resident with two equal late fees, the older one open"
    return row


ASK = (
    "whats this {amount} late fee from {mon}?? i never got any notice about it",
    "what is this late fee from {mon} about?",
    "what's the {amount} late fee for {mon}",
)
REMOVE = ("i want it removed", "take it off", "can you remove that", "get rid of it please", "i want that waived")


@pytest.mark.parametrize("remove", REMOVE)
async def test_a_late_fee_argued_with_is_explained_by_its_own_month_and_taken_off_on_request(
    night_runtime: Runtime, spec: Spec, remove: str
) -> None:
    pool = night_runtime.pool
    fee = await _two_fees_one_open(pool)
    month = str(fee["month"])  # "July 2026"
    mon, amount = month.split()[0].lower(), f"{fee['amount_cents'] / 100:.2f}"
    orch = clocked(night_runtime, NIGHT)
    asks = rough(spec, tuple(a.format(amount=amount, mon=mon) for a in ASK), 2, seed=29)
    for ask, said in zip(asks, rough(spec, (remove,), len(asks), seed=11) * len(asks), strict=False):
        async with Ledger(pool, fee["customer_id"]) as ledger:
            explained, taken = await Resident(orch, fee["customer_id"]).say(ask, said)
            assert f"Rent {month} was due" in explained, (ask, explained)  # its own month's rent, not a later one
            assert "waived" in explained, (ask, explained)  # the offer
            status = await pool.fetchval("SELECT status FROM invoices WHERE id = $1", fee["id"])
            tickets = await pool.fetch(
                "SELECT category, subject FROM tickets WHERE customer_id = $1 AND id > $2",
                fee["customer_id"],
                ledger.last_ticket,
            )
            # waived on the spot (first late fee in 12 months) or sent to billing for review: never a complaint
            assert status == "void" or [t["category"] for t in tickets] == ["billing"], (ask, said, taken, tickets)
            assert "complaint" not in taken.lower(), (ask, said, taken)
            assert not await ledger.new_payments(), (ask, said)


ON_TIME = (
    "i got charged a late fee but i paid on time!! this is bs",
    "why is there a late fee, i was never late",
    "i never got a notice about this late fee",
    "this late fee is wrong, i paid rent on time",
)


PAID_EARLY = (
    "I paid on the 1st",
    "the november one. I paid on the 1st",
    "i paid it before the 5th",
    "but i paid early",
)


async def test_a_late_fee_said_to_be_wrong_is_explained_and_a_claimed_date_asks_for_the_waiver(
    night_runtime: Runtime, spec: Spec
) -> None:
    pool = night_runtime.pool
    fee = await _two_fees_one_open(pool)
    orch = clocked(night_runtime, NIGHT)
    wrongs = rough(spec, ON_TIME, 3, seed=11)
    for said, early in zip(wrongs, PAID_EARLY * len(wrongs), strict=False):
        async with Ledger(pool, fee["customer_id"]) as ledger:
            reply, asked, done = await Resident(orch, fee["customer_id"]).say(said, early, "yes")
            assert "grace period" in reply and " was due " in reply and "waived" in reply, (said, reply)
            assert "recent payments" not in reply.lower(), (said, reply)
            assert asked.startswith("I understand. Shall I request a waiver of the Late fee"), (early, asked)
            status = await pool.fetchval("SELECT status FROM invoices WHERE id = $1", fee["id"])
            tickets = await pool.fetch(
                "SELECT category FROM tickets WHERE customer_id = $1 AND id > $2",
                fee["customer_id"],
                ledger.last_ticket,
            )
            assert status == "void" or [t["category"] for t in tickets] == ["billing"], (said, early, done)
            assert not await ledger.new_payments(), said


LISTED = (
    "i got charged a late fee for {mon}?? i paid {mon} rent on time i have the bank statement",
    "was there a late fee in {mon}?",
)
AFTER = ("how long will that take", "when will i hear back", "how soon?")
# "take it off" is left out here: the office-request rule files it as a charge dispute (escalation) before
# billing's open waiver offer is consulted, and "when will i hear back" after that desk ticket is not yet
# answered from it (a known gap, docs/trials/2026-12-02-conversations-2.md).
TAKE_OFF = tuple(r for r in REMOVE if r != "take it off")


@pytest.mark.parametrize("first", LISTED)
async def test_a_late_fee_named_by_its_month_can_be_taken_off_and_the_wait_is_answered(
    night_runtime: Runtime, spec: Spec, first: str
) -> None:
    """Outsider trial 2 #29: the month's fee was listed, then "i want it removed" and "how long will that
    take" got the complaint offer twice and nothing was recorded."""
    pool = night_runtime.pool
    fee = await _two_fees_one_open(pool)
    mon = str(fee["month"]).split()[0].lower()
    orch = clocked(night_runtime, NIGHT)
    for n, said in enumerate(rough(spec, (first.format(mon=mon),), 3, seed=5)):
        async with Ledger(pool, fee["customer_id"]) as ledger:
            told, _taken, wait = await Resident(orch, fee["customer_id"]).say(said, TAKE_OFF[n], AFTER[n])
            assert "waived" in told, (said, told)
            status = await pool.fetchval("SELECT status FROM invoices WHERE id = $1", fee["id"])
            tickets = await pool.fetch(
                "SELECT id, category FROM tickets WHERE customer_id = $1 AND id > $2",
                fee["customer_id"],
                ledger.last_ticket,
            )
            if status != "void":
                assert [t["category"] for t in tickets] == ["billing"], (said, tickets)
                assert f"ticket #{tickets[0]['id']}" in wait and "business days" in wait, (said, wait)
            assert not await ledger.new_payments(), said

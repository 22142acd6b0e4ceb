"""Rent within its grace period is "due", not "overdue" (outsider trial 2026-12-02, conv 2, 27, 39).

On Dec 2 the balance read "$2,400.00, all of it overdue" while the same bot said elsewhere that a 5-day grace
period applies. Now the December rent reads as due now, no late fee if paid by Dec 6; "overdue" is kept for
what is past its grace period (an older charge, the rent after Dec 6), the amounts read from the invoices.
Through the orchestrator on a database seeded for the trial's day, in generated wordings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from callcenter_tools.billing_policy import GRACE_DAYS
from seeded import TZ, clocked, seeded_runtime, variants
from test_billing_named_money import spec  # noqa: F401  (a fixture)

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime
from callcenter.settings import Settings
from callcenter.types import format_cents

TRIAL = datetime(2026, 12, 2, 1, 45, tzinfo=TZ)  # the outsider's clock
RESIDENTS = (1, 16, 24)  # conv 2, 27 and 39
ASKS = ("whats my balance", "wat do i owe rn", "how much do i owe")


@pytest.fixture(scope="module")
async def trial_day(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=TRIAL.date()) as rt:
        yield rt


async def _owed(rt: Runtime, customer: int, today: date) -> tuple[int, int]:
    """(past the grace period or not rent, rent within its grace period): the open amounts past their due date."""
    rows = await rt.pool.fetch(
        "SELECT kind, due_on, amount_cents - paid_cents AS due FROM invoices "
        "WHERE customer_id = $1 AND status = 'open' AND due_on < $2",
        customer,
        today,
    )
    grace = sum(r["due"] for r in rows if r["kind"] == "rent" and today <= r["due_on"] + timedelta(days=GRACE_DAYS))
    return sum(r["due"] for r in rows) - grace, grace


@pytest.mark.parametrize("days_later", [0, 7])
async def test_the_balance_says_due_within_the_grace_period_and_overdue_after(
    trial_day: Runtime,
    spec: Spec,  # noqa: F811
    days_later: int,
) -> None:
    now = TRIAL + timedelta(days=days_later)
    orch = clocked(trial_day, now)
    for customer in RESIDENTS:
        late, grace = await _owed(trial_day, customer, now.date())
        assert late or grace, customer  # the trial's residents owe the December rent at least
        for said in variants(spec, ASKS[customer % len(ASKS)], 3, seed=customer):
            session = await orch.open_session(channel="test", customer_id=customer)
            reply = (await orch.handle_turn(session.id, said)).text
            assert reply.startswith("Your balance is"), (said, reply)
            if grace:
                assert "within the grace period" in reply and "no late fee if it's paid by Dec 6" in reply, reply
                assert "all of it overdue" not in reply, reply
            else:
                assert "grace period" not in reply, reply
            if late:
                assert "all of it overdue" in reply or f"{format_cents(late)} is overdue" in reply, (late, reply)
            else:
                assert "overdue" not in reply, reply

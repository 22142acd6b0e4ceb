"""The billing rules the tools apply: late fees, how a payment is split over invoices, which fees
may be waived, and what each kind of charge is, in plain words.

Pure functions of the amounts (no database), kept apart from tools/billing.py so the rules read
on their own and that module stays readable; the tools, the seed and the tests use them.
"""

from __future__ import annotations

from datetime import date, timedelta

from callcenter.types import format_cents

LATE_FEE_PERCENT = 5
LATE_FEE_MIN_CENTS = 5_000
GRACE_DAYS = 5


def in_grace(kind: str, due_on: date, today: date) -> date | None:
    """The last day of the grace period of rent past its due date but still within it (no late fee before
    then), else None: "due", not yet "overdue" (outsider 2026-12-02: 'all of it overdue' on Dec 2)."""
    ends = due_on + timedelta(days=GRACE_DAYS)
    return ends if kind == "rent" and due_on < today <= ends else None


def late_fee_cents(rent_cents: int) -> int:
    """The late fee for a month's rent: 5% of rent, at least $50 (rounded to the cent)."""
    return max(LATE_FEE_MIN_CENTS, (rent_cents * LATE_FEE_PERCENT + 50) // 100)


def allocate(amount_cents: int, owed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split a payment over (invoice_id, due_cents) in the given order, oldest first.

    Never allocates more than each invoice's due amount; the caller has already refused
    amounts above the total.
    """
    out: list[tuple[int, int]] = []
    left = amount_cents
    for invoice_id, due in owed:
        if left <= 0:
            break
        take = min(left, due)
        if take > 0:
            out.append((invoice_id, take))
            left -= take
    return out


def is_late_fee(kind: str, description: str) -> bool:
    return kind == "fee" and "late" in description.lower()


def waiver_decision(*, kind: str, description: str, status: str, paid_cents: int, prior_late_fees: int) -> str:
    """'waive' (automatic), 'review' (a billing ticket), or 'refuse' for a waiver request.

    Policy: the first late fee in 12 months is waived automatically if still unpaid; any
    other fee goes to a person for review. Rent and utilities are never waivable here.
    """
    if kind != "fee":
        return "refuse"
    if status == "void":
        return "refuse"
    if is_late_fee(kind, description) and prior_late_fees == 0 and status == "open" and paid_cents == 0:
        return "waive"
    return "review"


def explain(kind: str, description: str, amount_cents: int) -> str:
    """A plain-language explanation of a charge, from its kind and description."""
    desc = description.lower()
    amount = format_cents(amount_cents)
    if kind == "rent":
        return (
            f"This is monthly rent ({amount}) for your unit under your lease. Rent is due on the 1st of "
            f"each month; there is a {GRACE_DAYS}-day grace period, after which a late fee applies."
        )
    if kind == "utility":
        return (
            f"This utility bill ({amount}) covers water, sewer and trash for your unit, billed by "
            "the metered usage of the previous month. It is due on the 15th. Electricity and gas are "
            "billed directly by the utility companies, not by us."
        )
    if "late" in desc:
        return (
            f"This late fee ({amount}) was charged because rent was not paid within the "
            f"{GRACE_DAYS}-day grace period after the 1st. The late fee is {LATE_FEE_PERCENT}% of "
            f"monthly rent, with a minimum of {format_cents(LATE_FEE_MIN_CENTS)}. The first late fee "
            "in any 12 months can be waived on request."
        )
    if "parking" in desc:
        return f"This is the monthly parking fee ({amount}) for your assigned parking space or garage permit."
    if "pet" in desc:
        return f"This is monthly pet rent ({amount}) for a registered pet, as set in your pet addendum."
    if "lockout" in desc:
        return (
            f"This lockout fee ({amount}) covers staff letting you into your unit after you were locked out "
            "(free during office hours once a year; after-hours lockouts are charged)."
        )
    return f"This is a one-time fee ({amount}): {description}. Ask us to review it if it looks wrong."

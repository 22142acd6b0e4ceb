"""The amount of a payment named by what it covers ("half of what's overdue", "everything except 100
bucks", "the late fee and the water bill"), read from the resident's open invoices.

`billing_amounts.scoped_request` reads the words; this reads the ledger. The result is either the
amount with the words the confirm question names it by (and, for charges named one by one, the
invoices it pays), or a plain reason it cannot be worked out: then the flow asks for an amount, and
nothing is charged until the resident says yes to a question that names the exact amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from callcenter_agents.billing_amounts import Scope
from callcenter_agents.tool_turn import ToolTurn

from callcenter.types import format_cents

_SHARE_WORDS = {
    Fraction(1, 2): "half",
    Fraction(1, 3): "a third",
    Fraction(2, 3): "two thirds",
    Fraction(1, 4): "a quarter",
    Fraction(3, 4): "three quarters",
}
NOUN = {
    "late fee": "late fee",
    "water": "water bill",
    "parking": "parking charge",
    "pet rent": "pet rent charge",
    "lockout": "lockout fee",
    "rent": "rent",
    "fee": "fee",
    "utility": "utility bill",
}


@dataclass(frozen=True, slots=True)
class Scoped:
    """What a scoped payment comes to: the cents, how the confirm question names it, and the
    (invoice_id, cents) it pays one by one (empty: toward the balance, oldest invoices first)."""

    cents: int
    label: str
    parts: tuple[tuple[int, int], ...] = field(default=())
    state: dict[str, int] = field(default_factory=dict)  # amounts the label states, as the verifier's evidence


def is_charge(invoice: dict[str, Any], what: str) -> bool:
    """Whether an invoice is the charge a resident names ("water" is the Water, sewer & trash bill; "fee"
    and "utility" are any of that kind)."""
    kind, desc = invoice.get("kind"), str(invoice.get("description", "")).lower()
    if what == "rent":
        return kind == "rent"
    if what in ("water", "utility"):
        return kind == "utility"
    if what == "fee":
        return kind == "fee"
    if what == "late fee":
        return kind == "fee" and "late" in desc
    return kind == "fee" and {"parking": "parking", "pet rent": "pet", "lockout": "lockout"}[what] in desc


def _share(scope: Scope, cents: int, label: str) -> tuple[int, str]:
    if scope.share is None:
        return cents, label
    words = _SHARE_WORDS.get(scope.share, f"{scope.share.numerator}/{scope.share.denominator}")
    return int(scope.share * cents), f"{words} of {label} ({format_cents(cents)})"


async def scoped_amount(t: ToolTurn, scope: Scope, bal: dict[str, Any]) -> Scoped | str:
    """The payment the scope comes to, or the reason there is none to offer (said to the resident)."""
    owed = int(bal.get("balance_cents", 0))
    if scope.base == "overdue":
        overdue = int(bal.get("overdue_cents", 0))
        if overdue <= 0:
            return f"Nothing on your account is overdue right now; your balance is {format_cents(owed)}."
        cents, label = _share(scope, overdue, "what's overdue")
        return Scoped(cents, label)
    if scope.base == "balance":
        if scope.less_cents >= owed:
            return (
                f"Your balance is {format_cents(owed)}, so keeping {format_cents(scope.less_cents)} back "
                "leaves nothing to pay."
            )
        label = f"everything except {format_cents(scope.less_cents)}"
        return Scoped(owed - scope.less_cents, label, state={"less_cents": scope.less_cents})
    invoices = [
        i
        for i in (await t.call("list_invoices", {"status": "open"})).get("invoices", [])
        if int(i.get("due_cents", 0)) > 0
    ]
    invoices.sort(key=lambda i: (str(i.get("due_on", "")), int(i["invoice_id"])))
    if scope.base == "all_but_charges":
        kept = [i for i in invoices if not any(is_charge(i, what) for what, _ in scope.charges)]
        names = " and the ".join(NOUN[what] for what, _ in scope.charges)
        if len(kept) == len(invoices):
            return f"I don't see an open {names} on your account; your balance is {format_cents(owed)}."
        if not kept:
            return f"The {names} is all you owe right now ({format_cents(owed)})."
        return _parts(kept, f"everything except the {names}")
    chosen: list[dict[str, Any]] = []
    for what, plural in scope.charges:
        of_kind = [i for i in invoices if is_charge(i, what) and i not in chosen]
        if not of_kind:
            return f"I don't see an open {NOUN[what]} on your account."
        chosen += of_kind if plural else of_kind[:1]
    if scope.share is not None:  # "half of the rent and the water bill": which invoice gets what is unsaid
        total = sum(int(i["due_cents"]) for i in chosen)
        return f"Those charges come to {format_cents(total)}; I can pay them in full, or an amount you name."
    return _parts(chosen, " and ".join(str(i.get("description", "")) for i in chosen))


def _parts(invoices: list[dict[str, Any]], label: str) -> Scoped:
    parts = tuple((int(i["invoice_id"]), int(i["due_cents"])) for i in invoices)
    return Scoped(sum(c for _, c in parts), label, parts)

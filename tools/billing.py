"""Billing tools: balance, invoices, saved payment methods, payments, charge explanations, waivers.

Money is integer cents throughout; every amount also comes with a display string so the
model never formats money itself. Payments never exceed what is owed and are keyed by
the executor's idempotency key, so a retried call cannot charge twice.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import asyncpg
import structlog
from callcenter_tools.billing_policy import allocate, explain, in_grace, is_late_fee, waiver_decision
from callcenter_tools.booking import BUSINESS_TZ
from callcenter_tools.escalation import session_uuid
from pydantic import Field

from callcenter.tooling.args import Args
from callcenter.tooling.toolkit import ToolContext, ToolError, tool
from callcenter.types import format_cents

log = structlog.get_logger(__name__)

Id = Annotated[int, Field(gt=0)]

MAX_PAYMENT_CENTS = 10_000_000


def _today(ctx: ToolContext) -> date:
    return ctx.now.astimezone(BUSINESS_TZ).date()


def _invoice_out(row: asyncpg.Record, today: date) -> dict[str, Any]:
    due = row["amount_cents"] - row["paid_cents"]
    return {
        "invoice_id": row["id"],
        "kind": row["kind"],
        "description": row["description"],
        "amount_cents": row["amount_cents"],
        "amount": format_cents(row["amount_cents"]),
        "paid_cents": row["paid_cents"],
        "due_cents": due if row["status"] == "open" else 0,
        "due_on": row["due_on"].isoformat(),
        "status": row["status"],
        "overdue": row["status"] == "open" and row["due_on"] < today,
        **({"grace_ends": grace.isoformat()} if (grace := in_grace(row["kind"], row["due_on"], today)) else {}),
    }


def _method_label(kind: str, brand: str, last4: str) -> str:
    return f"{brand} ending {last4}" if kind == "card" else f"{brand} account ending {last4}"


async def _own_invoice(ctx: ToolContext, invoice_id: int, *, lock: bool = False) -> asyncpg.Record:
    customer_id = ctx.require_customer()
    row = await ctx.conn.fetchrow(
        "SELECT * FROM invoices WHERE id = $1 AND customer_id = $2" + (" FOR UPDATE" if lock else ""),
        invoice_id,
        customer_id,
    )
    if row is None:
        raise ToolError(f"No invoice {invoice_id} found on your account; call list_invoices.", code="not_found")
    return row


class NoArgs(Args):
    pass


def _balance_facts(result: dict[str, Any]) -> tuple[str, ...]:
    """Nothing owed is a fact the resident may hear as "you're all paid up"."""
    return ("paid",) if int(result.get("balance_cents", 0)) <= 0 else ()


# An invoice's status read back ("your paid invoices", "that fee was waived") is a fact, not an action.
_INVOICE_STATUS_FACTS = {"paid": ("paid",), "void": ("waived",)}


def _invoice_facts(result: dict[str, Any]) -> tuple[str, ...]:
    invoices = result.get("invoices") or [result.get("invoice") or {}]
    return tuple(f for i in invoices for f in _INVOICE_STATUS_FACTS.get(str(i.get("status")), ()))


@tool(vertical="billing", facts=_balance_facts)
async def get_balance(ctx: ToolContext, args: NoArgs) -> dict[str, Any]:
    """The signed-in resident's balance: total owed, how much is overdue, and what falls due next.

    `next_due` is never a date already past (that money is in `overdue`): the earliest due date from
    today on, with everything open that falls due that day (rent and parking due on the 1st together).
    """
    customer_id = ctx.require_customer()
    today = _today(ctx)
    rows = await ctx.conn.fetch(
        """
        SELECT id, kind, due_on, amount_cents - paid_cents AS due FROM invoices
        WHERE customer_id = $1 AND status = 'open' ORDER BY due_on, id
        """,
        customer_id,
    )
    balance = sum(int(r["due"]) for r in rows)
    overdue = sum(int(r["due"]) for r in rows if r["due_on"] < today)
    grace = [(r, ends) for r in rows if (ends := in_grace(r["kind"], r["due_on"], today))]
    upcoming = [r for r in rows if r["due_on"] >= today]
    first = upcoming[0] if upcoming else None
    return {
        "balance_cents": balance,
        "balance": format_cents(balance),
        "overdue_cents": overdue,
        "overdue": format_cents(overdue),
        # of `overdue`, rent still within its grace period: due, with no late fee before `grace_ends`
        "in_grace_cents": (in_grace_cents := sum(int(r["due"]) for r, _ in grace)),
        "late_cents": overdue - in_grace_cents,  # past the due date and any grace period
        "grace_ends": max(ends for _, ends in grace).isoformat() if grace else None,
        "open_invoices": len(rows),
        "next_due": (
            {
                "invoice_id": first["id"],
                "due_on": first["due_on"].isoformat(),
                "amount_due_cents": sum(int(r["due"]) for r in upcoming if r["due_on"] == first["due_on"]),
            }
            if first
            else None
        ),
    }


class ListInvoicesArgs(Args):
    status: Literal["open", "paid", "all"] = Field(
        default="open", description="'open' for unpaid invoices (oldest first), 'paid', or 'all'."
    )
    limit: int = Field(default=12, ge=1, le=24, description="How many invoices to return.")


@tool(vertical="billing", facts=_invoice_facts)
async def list_invoices(ctx: ToolContext, args: ListInvoicesArgs) -> dict[str, Any]:
    """List the resident's invoices (rent, utilities, fees) with amounts due and due dates."""
    customer_id = ctx.require_customer()
    order = "due_on ASC, id ASC" if args.status == "open" else "due_on DESC, id DESC"
    rows = await ctx.conn.fetch(
        f"""
        SELECT * FROM invoices WHERE customer_id = $1 AND ($2 = 'all' OR status = $2)
        ORDER BY {order} LIMIT $3
        """,
        customer_id,
        args.status,
        args.limit,
    )
    today = _today(ctx)
    return {"invoices": [_invoice_out(r, today) for r in rows]}


@tool(vertical="billing")
async def list_payment_methods(ctx: ToolContext, args: NoArgs) -> dict[str, Any]:
    """List the resident's saved payment methods (only brand and last 4 digits are ever stored)."""
    customer_id = ctx.require_customer()
    rows = await ctx.conn.fetch(
        "SELECT * FROM payment_methods WHERE customer_id = $1 ORDER BY is_default DESC, id", customer_id
    )
    return {
        "methods": [
            {
                "method_id": r["id"],
                "kind": r["kind"],
                "brand": r["brand"],
                "last4": r["last4"],
                "is_default": r["is_default"],
                "label": _method_label(r["kind"], r["brand"], r["last4"]),
            }
            for r in rows
        ]
    }


class PayBalanceArgs(Args):
    amount_cents: int = Field(
        gt=0, le=MAX_PAYMENT_CENTS, description="Amount to pay in cents (e.g. 185000 for $1,850.00)."
    )
    invoice_id: Id | None = Field(
        default=None, description="Pay this invoice only; null pays the oldest open invoices first."
    )
    method_id: Id | None = Field(
        default=None, description="A method_id from list_payment_methods; null uses the default method."
    )


async def _payment_method(ctx: ToolContext, customer_id: int, method_id: int | None) -> asyncpg.Record:
    if method_id is not None:
        row = await ctx.conn.fetchrow(
            "SELECT * FROM payment_methods WHERE id = $1 AND customer_id = $2", method_id, customer_id
        )
        if row is None:
            raise ToolError(
                f"No payment method {method_id} on your account; call list_payment_methods.", code="not_found"
            )
        return row
    row = await ctx.conn.fetchrow(
        "SELECT * FROM payment_methods WHERE customer_id = $1 ORDER BY is_default DESC, id LIMIT 1",
        customer_id,
    )
    if row is None:
        raise ToolError(
            "There is no saved payment method on your account; add a card or bank account in the resident "
            "portal first (we never take card numbers in chat).",
            code="no_method",
        )
    return row


async def _replay(ctx: ToolContext, customer_id: int, key: str) -> dict[str, Any] | None:
    """The result of an earlier call with the same idempotency key, if it already paid."""
    rows = await ctx.conn.fetch(
        """
        SELECT p.id, p.invoice_id, p.amount_cents, m.kind, m.brand, m.last4
        FROM payments p JOIN payment_methods m ON m.id = p.method_id
        WHERE p.customer_id = $1 AND p.idempotency_key LIKE $2 ORDER BY p.id
        """,
        customer_id,
        key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%",
    )
    if not rows:
        return None
    return await _payment_result(ctx, customer_id, [dict(r) for r in rows])


async def _payment_result(ctx: ToolContext, customer_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    paid = sum(int(r["amount_cents"]) for r in rows)
    remaining = await ctx.conn.fetchval(
        """SELECT COALESCE(sum(amount_cents - paid_cents), 0) FROM invoices
           WHERE customer_id = $1 AND status = 'open'""",
        customer_id,
    )
    first = rows[0]
    return {
        "paid_cents": paid,
        "paid": format_cents(paid),
        "method": _method_label(first["kind"], first["brand"], first["last4"]),
        "payment_ids": [r["id"] for r in rows],
        "allocations": [{"invoice_id": r["invoice_id"], "amount_cents": r["amount_cents"]} for r in rows],
        "remaining_balance_cents": int(remaining),
        "remaining_balance": format_cents(int(remaining)),
    }


@tool(writes=True, vertical="billing", claims=("payment of", "paid"))
async def pay_balance(ctx: ToolContext, args: PayBalanceArgs) -> dict[str, Any]:
    """Pay toward the resident's balance with a saved payment method (confirm the amount first).

    Pays the given invoice, or the oldest open invoices first. Never more than is owed: if the
    amount is too high the error says how much is owed.
    """
    customer_id = ctx.require_customer()
    key = ctx.idempotency_key or f"adhoc-{uuid.uuid4().hex}"
    earlier = await _replay(ctx, customer_id, key)
    if earlier is not None:
        return earlier
    method = await _payment_method(ctx, customer_id, args.method_id)
    if args.invoice_id is not None:
        invoice = await _own_invoice(ctx, args.invoice_id, lock=True)
        if invoice["status"] != "open":
            raise ToolError(f"Invoice {invoice['id']} is {invoice['status']}; nothing is owed on it.", code="not_open")
        open_rows = [invoice]
        where = f"on invoice {invoice['id']}"
    else:
        open_rows = await ctx.conn.fetch(
            """SELECT * FROM invoices WHERE customer_id = $1 AND status = 'open'
               ORDER BY due_on, id FOR UPDATE""",
            customer_id,
        )
        where = "in total"
    owed = [(int(r["id"]), int(r["amount_cents"] - r["paid_cents"])) for r in open_rows]
    total = sum(due for _, due in owed)
    if total <= 0:
        raise ToolError("Nothing is owed right now, so no payment was made.", code="nothing_owed")
    if args.amount_cents > total:
        raise ToolError(
            f"That is more than is owed: {format_cents(total)} is due {where}. "
            f"You can pay up to {format_cents(total)} ({total} cents).",
            code="overpayment",
        )
    rows: list[dict[str, Any]] = []
    for invoice_id, amount in allocate(args.amount_cents, owed):
        payment_id = await ctx.conn.fetchval(
            """
            INSERT INTO payments
                (customer_id, invoice_id, method_id, amount_cents, idempotency_key, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
            """,
            customer_id,
            invoice_id,
            method["id"],
            amount,
            f"{key}:{invoice_id}",
            ctx.now,
        )
        await ctx.conn.execute(
            """
            UPDATE invoices SET paid_cents = paid_cents + $1,
                   status = CASE WHEN paid_cents + $1 >= amount_cents THEN 'paid' ELSE status END
            WHERE id = $2
            """,
            amount,
            invoice_id,
        )
        rows.append(
            {
                "id": payment_id,
                "invoice_id": invoice_id,
                "amount_cents": amount,
                "kind": method["kind"],
                "brand": method["brand"],
                "last4": method["last4"],
            }
        )
    log.info("tool.payment.made", customer_id=customer_id, amount_cents=args.amount_cents, payments=len(rows))
    return await _payment_result(ctx, customer_id, rows)


class ListPaymentsArgs(Args):
    limit: int = Field(default=5, ge=1, le=24, description="How many payments to return, most recent first.")
    since: date | None = Field(
        default=None, description="Only payments made on or after this day (YYYY-MM-DD, business time)."
    )


def _payments_facts(result: dict[str, Any]) -> tuple[str, ...]:
    """Payments read back ("your last payment of $97.25 was…", "you paid…") are facts, not new payments."""
    return ("paid", "payment of") if result.get("payments") else ()


@tool(vertical="billing", facts=_payments_facts)
async def list_payments(ctx: ToolContext, args: ListPaymentsArgs) -> dict[str, Any]:
    """The resident's payments already made, most recent first: day, amount, method and what each paid for.

    One payment toward several invoices is one entry (the allocations are stored per invoice).
    """
    customer_id = ctx.require_customer()
    rows = await ctx.conn.fetch(
        """
        SELECT p.id, p.amount_cents, p.created_at, p.idempotency_key, p.method_id,
               m.kind, m.brand, m.last4, i.description
        FROM payments p JOIN payment_methods m ON m.id = p.method_id
        LEFT JOIN invoices i ON i.id = p.invoice_id
        WHERE p.customer_id = $1
        ORDER BY p.created_at DESC, p.id DESC LIMIT 200
        """,
        customer_id,
    )
    groups: dict[tuple[str, Any, int], dict[str, Any]] = {}
    for r in rows:
        day = r["created_at"].astimezone(BUSINESS_TZ).date()
        if args.since is not None and day < args.since:
            continue
        key = (str(r["idempotency_key"]).rsplit(":", 1)[0], r["created_at"], int(r["method_id"]))
        entry = groups.get(key)
        if entry is None:
            if len(groups) >= args.limit:
                continue
            entry = groups[key] = {
                "paid_on": day.isoformat(),
                "amount_cents": 0,
                "method": _method_label(r["kind"], r["brand"], r["last4"]),
                "paid_for": [],
            }
        entry["amount_cents"] += int(r["amount_cents"])
        if r["description"] and r["description"] not in entry["paid_for"]:
            entry["paid_for"].insert(0, r["description"])  # rows come newest first: allocation order is oldest first
    payments = list(groups.values())
    for entry in payments:
        entry["amount"] = format_cents(entry["amount_cents"])
    return {"payments": payments, "today": _today(ctx).isoformat()}


class InvoiceArgs(Args):
    invoice_id: Id = Field(description="invoice_id from list_invoices.")


@tool(vertical="billing", facts=_invoice_facts)
async def explain_charge(ctx: ToolContext, args: InvoiceArgs) -> dict[str, Any]:
    """Explain what an invoice is for (rent, utilities, late fee, parking, pet rent, lockout...)."""
    row = await _own_invoice(ctx, args.invoice_id)
    text = explain(row["kind"], row["description"], row["amount_cents"])
    if is_late_fee(row["kind"], row["description"]):
        text = f"{text} {await _late_rent(ctx, row)}".strip()
    return {"invoice": _invoice_out(row, _today(ctx)), "explanation": text}


async def _late_rent(ctx: ToolContext, fee: asyncpg.Record) -> str:
    """Which rent a late fee is for and when it was paid ("Your Rent November 2026 was due Nov 1, 2026
    and paid on Nov 13, 2026."), so "what's the late fee for? I paid November rent" is answered; "" when
    the fee names no rent invoice of theirs."""
    named = str(fee["description"]).split(" - ", 1)[-1].strip().lower()  # "Late fee - rent November 2026"
    rent = await ctx.conn.fetchrow(
        "SELECT id, description, due_on, status FROM invoices WHERE customer_id = $1 AND kind = 'rent'"
        " AND lower(description) = $2",
        fee["customer_id"],
        named,
    )
    if rent is None:
        return ""
    due = f"{rent['due_on']:%b} {rent['due_on'].day}, {rent['due_on'].year}"
    paid_at = await ctx.conn.fetchval("SELECT max(created_at) FROM payments WHERE invoice_id = $1", rent["id"])
    if rent["status"] == "open" or paid_at is None:
        return f"Your {rent['description']} was due {due} and is not paid in full yet."
    day = paid_at.astimezone(BUSINESS_TZ).date()
    return (
        f"Your {rent['description']} was due {due} and paid on {day:%b} {day.day}, {day.year}, after the grace period."
    )


class FeeWaiverArgs(Args):
    invoice_id: Id = Field(description="invoice_id of the fee, from list_invoices.")
    reason: str = Field(max_length=500, description="Why the resident asks for the waiver, in their words.")


@tool(writes=True, vertical="billing", claims=("waived",))
async def request_fee_waiver(ctx: ToolContext, args: FeeWaiverArgs) -> dict[str, Any]:
    """Ask to waive a fee. The first late fee in 12 months is waived on the spot; other fees
    go to the billing team for review (a ticket is opened). Rent and utilities can't be waived."""
    customer_id = ctx.require_customer()
    row = await _own_invoice(ctx, args.invoice_id, lock=True)
    if row["kind"] != "fee":
        raise ToolError(
            f"Invoice {row['id']} is {row['kind']}, not a fee; only fees can be waived. "
            "For hardship with rent or utilities, offer a handoff to the billing team.",
            code="not_a_fee",
        )
    if row["status"] == "void":
        raise ToolError(f"Invoice {row['id']} was already waived; nothing is owed on it.", code="already_void")
    prior = 0
    if is_late_fee(row["kind"], row["description"]):
        prior = await ctx.conn.fetchval(
            """
            SELECT count(*) FROM invoices
            WHERE customer_id = $1 AND id <> $2 AND kind = 'fee' AND description ILIKE '%late%'
              AND issued_on > $3
            """,
            customer_id,
            row["id"],
            _today(ctx) - timedelta(days=365),
        )
    decision = waiver_decision(
        kind=row["kind"],
        description=row["description"],
        status=row["status"],
        paid_cents=row["paid_cents"],
        prior_late_fees=int(prior),
    )
    if decision == "waive":
        await ctx.conn.execute("UPDATE invoices SET status = 'void' WHERE id = $1", row["id"])
        log.info("tool.fee.waived", invoice_id=row["id"])
        return {
            "invoice_id": row["id"],
            "waived": True,
            "ticket_id": None,
            "message": f"The {format_cents(row['amount_cents'])} late fee was waived as a one-time courtesy "
            "(first late fee in 12 months).",
        }
    ticket_id = await ctx.conn.fetchval(
        """
        INSERT INTO tickets (customer_id, session_id, category, priority, subject, body, created_at)
        VALUES ($1, $2, 'billing', 'normal', $3, $4, $5) RETURNING id
        """,
        customer_id,
        session_uuid(ctx.session_id),
        f"Fee waiver request: invoice {row['id']} ({format_cents(row['amount_cents'])})",
        f"{row['description']}\nResident's reason: {args.reason}",
        ctx.now,
    )
    log.info("tool.fee.waiver_review", invoice_id=row["id"], ticket_id=ticket_id)
    why = (
        "it is not the first late fee in 12 months"
        if is_late_fee(row["kind"], row["description"])
        else "this kind of fee needs a person's review"
    )
    return {
        "invoice_id": row["id"],
        "waived": False,
        "ticket_id": ticket_id,
        "message": f"It can't be waived automatically because {why}; the billing team will review "
        f"ticket #{ticket_id} within 2 business days.",
    }


BILLING_TOOLS = (
    get_balance,
    list_invoices,
    list_payment_methods,
    list_payments,
    pay_balance,
    explain_charge,
    request_fee_waiver,
)

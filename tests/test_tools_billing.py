from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg
import pytest
from callcenter_tools.billing import (
    explain_charge,
    get_balance,
    list_invoices,
    list_payment_methods,
    list_payments,
    pay_balance,
    request_fee_waiver,
)
from callcenter_tools.billing_policy import allocate, late_fee_cents, waiver_decision
from callcenter_tools.booking import BUSINESS_TZ
from pydantic import ValidationError

from callcenter.tooling.toolkit import Tool, ToolContext, ToolError

NOW = datetime(2031, 3, 10, 12, 0, tzinfo=BUSINESS_TZ)


async def resident(conn: asyncpg.Connection) -> dict[str, int]:
    cid = await conn.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ('Pat', $1, 'Harbor View', '2C') RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )

    async def inv(kind: str, desc: str, cents: int, due: date, status: str = "open", paid: int = 0) -> int:
        i: int = await conn.fetchval(
            """INSERT INTO invoices
                   (customer_id, kind, description, amount_cents, paid_cents, issued_on, due_on, status)
               VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id""",
            cid,
            kind,
            desc,
            cents,
            paid,
            due,
            status,
        )
        return i

    out = {
        "cid": cid,
        "old_rent": await inv("rent", "Rent February 2031", 180_000, date(2031, 2, 1), "open", 30_000),
        "utility": await inv("utility", "Water, sewer & trash February 2031", 6_000, date(2031, 3, 15)),
        "late": await inv("fee", "Late fee - rent February 2031", 9_000, date(2031, 2, 20)),
        "parking": await inv("fee", "Parking March 2031", 6_000, date(2031, 3, 1)),
        "paid": await inv("rent", "Rent January 2031", 180_000, date(2031, 1, 1), "paid", 180_000),
    }
    out["visa"] = await conn.fetchval(
        "INSERT INTO payment_methods (customer_id, kind, brand, last4, is_default)"
        " VALUES ($1,'card','Visa','4242',true) RETURNING id",
        cid,
    )
    out["bank"] = await conn.fetchval(
        "INSERT INTO payment_methods (customer_id, kind, brand, last4) VALUES ($1,'bank','Chase','6789') RETURNING id",
        cid,
    )
    return out


async def call(tool: Tool[Any], conn: asyncpg.Connection, cid: int | None, key: str = "k1", **raw: Any) -> Any:
    ctx = ToolContext(
        conn=conn, session_id=str(uuid.uuid4()), customer_id=cid, now=NOW, idempotency_key=key, agent="billing"
    )
    async with conn.transaction():
        return await tool.fn(ctx, tool.parse(raw))


def test_pure_rules() -> None:
    assert late_fee_cents(180_000) == 9_000 and late_fee_cents(50_000) == 5_000
    assert allocate(10_000, [(1, 4_000), (2, 4_000), (3, 9_000)]) == [(1, 4_000), (2, 4_000), (3, 2_000)]
    kw: dict[str, Any] = {"status": "open", "paid_cents": 0}
    assert waiver_decision(kind="fee", description="Late fee", prior_late_fees=0, **kw) == "waive"
    assert waiver_decision(kind="fee", description="Late fee", prior_late_fees=1, **kw) == "review"
    assert waiver_decision(kind="fee", description="Parking", prior_late_fees=0, **kw) == "review"
    assert waiver_decision(kind="rent", description="Rent", prior_late_fees=0, **kw) == "refuse"


def test_narrow_args() -> None:
    for bad in (
        {"amount_cents": 0},
        {"amount_cents": -5},
        {"amount_cents": 10_000_001},
        {"amount_cents": "lots"},
        {"amount_cents": 100, "customer_id": 1},
    ):
        with pytest.raises(ValidationError):
            pay_balance.parse(bad)
    with pytest.raises(ValidationError):
        list_invoices.parse({"status": "overdue"})
    with pytest.raises(ValidationError):
        list_invoices.parse({"limit": 25})
    with pytest.raises(ValidationError):
        request_fee_waiver.parse({"invoice_id": 1, "reason": "x" * 501})


async def test_balance_invoices_methods(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        r = await resident(conn)
        bal = await call(get_balance, conn, r["cid"])
        assert bal["balance_cents"] == 150_000 + 6_000 + 9_000 + 6_000
        assert bal["overdue_cents"] == 150_000 + 9_000 + 6_000 and bal["overdue"] == "$1,650.00"
        # what falls due next, never a date already past (that money is overdue)
        assert bal["open_invoices"] == 4 and bal["next_due"]["invoice_id"] == r["utility"]
        assert bal["next_due"]["amount_due_cents"] == 6_000 and bal["next_due"]["due_on"] >= NOW.date().isoformat()
        inv = await call(list_invoices, conn, r["cid"])
        assert [i["invoice_id"] for i in inv["invoices"]] == [r["old_rent"], r["late"], r["parking"], r["utility"]]
        assert [i["overdue"] for i in inv["invoices"]] == [True, True, True, False]
        every = await call(list_invoices, conn, r["cid"], status="all")
        assert len(every["invoices"]) == 5
        methods = await call(list_payment_methods, conn, r["cid"])
        assert [m["label"] for m in methods["methods"]] == ["Visa ending 4242", "Chase account ending 6789"]
        explained = await call(explain_charge, conn, r["cid"], invoice_id=r["late"])
        assert "5%" in explained["explanation"] and "$50.00" in explained["explanation"]
        with pytest.raises(ToolError) as unverified:
            await call(get_balance, conn, None)
        assert unverified.value.code == "unverified"


async def test_pay_oldest_first_never_more_than_owed_and_idempotent(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        r = await resident(conn)
        other = await resident(conn)
        with pytest.raises(ToolError) as over:
            await call(pay_balance, conn, r["cid"], amount_cents=171_001)
        assert over.value.code == "overpayment" and "$1,710.00" in str(over.value)
        with pytest.raises(ToolError) as over_one:
            await call(pay_balance, conn, r["cid"], amount_cents=9_001, invoice_id=r["late"])
        assert "$90.00" in str(over_one.value)
        # Someone else's invoice or card is "not found", never used.
        with pytest.raises(ToolError) as theirs:
            await call(pay_balance, conn, r["cid"], amount_cents=100, invoice_id=other["late"])
        assert theirs.value.code == "not_found"
        with pytest.raises(ToolError):
            await call(pay_balance, conn, r["cid"], amount_cents=100, method_id=other["visa"])
        with pytest.raises(ToolError):
            await call(explain_charge, conn, r["cid"], invoice_id=other["late"])

        paid = await call(pay_balance, conn, r["cid"], key="pay-1", amount_cents=155_000)
        assert paid["allocations"] == [
            {"invoice_id": r["old_rent"], "amount_cents": 150_000},
            {"invoice_id": r["late"], "amount_cents": 5_000},
        ]
        assert paid["method"] == "Visa ending 4242" and paid["remaining_balance_cents"] == 16_000
        keys = await conn.fetch(
            "SELECT idempotency_key FROM payments WHERE id = ANY($1) ORDER BY id", paid["payment_ids"]
        )
        assert [k[0] for k in keys] == [f"pay-1:{r['old_rent']}", f"pay-1:{r['late']}"]
        assert await conn.fetchval("SELECT status FROM invoices WHERE id = $1", r["old_rent"]) == "paid"
        # Retrying the same call pays nothing more.
        again = await call(pay_balance, conn, r["cid"], key="pay-1", amount_cents=155_000)
        assert again["payment_ids"] == paid["payment_ids"] and again["remaining_balance_cents"] == 16_000

        bank = await call(
            pay_balance, conn, r["cid"], key="pay-2", amount_cents=6_000, invoice_id=r["utility"], method_id=r["bank"]
        )
        assert bank["method"] == "Chase account ending 6789" and bank["remaining_balance_cents"] == 10_000
        with pytest.raises(ToolError) as closed:
            await call(pay_balance, conn, r["cid"], key="pay-3", amount_cents=1, invoice_id=r["utility"])
        assert closed.value.code == "not_open"


async def test_fee_waiver_policy(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        r = await resident(conn)
        with pytest.raises(ToolError) as rent:
            await call(request_fee_waiver, conn, r["cid"], invoice_id=r["old_rent"], reason="hard month")
        assert rent.value.code == "not_a_fee"
        first = await call(request_fee_waiver, conn, r["cid"], invoice_id=r["late"], reason="bank delay")
        assert first["waived"] is True and first["ticket_id"] is None
        assert await conn.fetchval("SELECT status FROM invoices WHERE id = $1", r["late"]) == "void"
        with pytest.raises(ToolError):
            await call(request_fee_waiver, conn, r["cid"], invoice_id=r["late"], reason="again")
        # A second late fee within 12 months goes to review.
        second = await conn.fetchval(
            """INSERT INTO invoices (customer_id, kind, description, amount_cents, issued_on, due_on)
               VALUES ($1, 'fee', 'Late fee - rent March 2031', 9000, '2031-03-06', '2031-03-13') RETURNING id""",
            r["cid"],
        )
        review = await call(request_fee_waiver, conn, r["cid"], invoice_id=second, reason="again late")
        assert review["waived"] is False and review["ticket_id"]
        ticket = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", review["ticket_id"])
        assert ticket["category"] == "billing" and ticket["customer_id"] == r["cid"]
        assert "again late" in ticket["body"]
        parking = await call(request_fee_waiver, conn, r["cid"], invoice_id=r["parking"], reason="no car")
        assert parking["waived"] is False and parking["ticket_id"]


async def test_list_payments_reads_back_one_entry_per_payment_for_the_signed_in_resident_only(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        r = await resident(conn)
        assert (await call(list_payments, conn, r["cid"]))["payments"] == []
        await call(pay_balance, conn, r["cid"], key="split", amount_cents=160_000)  # rent rest + late fee + ...
        out = await call(list_payments, conn, r["cid"])
        assert len(out["payments"]) == 1  # one payment over several invoices is one entry
        first = out["payments"][0]
        assert first["amount_cents"] == 160_000 and first["amount"] == "$1,600.00"
        assert first["paid_on"] == "2031-03-10" and first["method"] == "Visa ending 4242"
        assert first["paid_for"][0] == "Rent February 2031" and len(first["paid_for"]) > 1
        later = await call(list_payments, conn, r["cid"], since="2031-03-11")
        assert later["payments"] == [] and later["today"] == "2031-03-10"
        other = await resident(conn)
        assert (await call(list_payments, conn, other["cid"]))["payments"] == []
        with pytest.raises(ToolError):
            await call(list_payments, conn, None)
        assert list_payments.facts_of(out) and not list_payments.facts_of({"payments": []})

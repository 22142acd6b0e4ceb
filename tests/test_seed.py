from __future__ import annotations

import uuid
from datetime import date, datetime, time

import asyncpg
from callcenter_tools.billing import get_balance, list_payment_methods, request_fee_waiver
from callcenter_tools.booking import BUSINESS_TZ, find_slots, list_my_appointments
from callcenter_tools.seed import seed

from callcenter.store.db import connect
from callcenter.store.migrate import migrate
from callcenter.tooling.toolkit import ToolContext

TODAY = date(2031, 3, 12)


async def test_seed_is_deterministic_idempotent_and_has_the_demo_resident(fresh_dsn: str) -> None:
    conn = await connect(fresh_dsn)
    try:
        await migrate(conn)
        counts = await seed_(conn)
        assert counts["customers"] == 40 and counts["technicians"] == 9
        assert counts["slots"] > 300 and counts["invoices"] > 40 * 6 * 2 and counts["payments"] > 300
        assert counts["appointments"] > 0 and counts["payment_methods"] >= 40
        # Second run without reset writes nothing.
        assert await seed_(conn) == counts
        snapshot = await conn.fetch("SELECT id, full_name, unit FROM customers ORDER BY id")
        invoices = await conn.fetch("SELECT id, amount_cents, status FROM invoices ORDER BY id")
        # Reset gives exactly the same data again (also wiping conversations).
        await conn.execute("INSERT INTO sessions (id, channel, customer_id) VALUES ($1, 'web', 1)", uuid.uuid4())
        assert await seed_(conn, reset=True) == counts
        assert await conn.fetch("SELECT id, full_name, unit FROM customers ORDER BY id") == snapshot
        assert await conn.fetch("SELECT id, amount_cents, status FROM invoices ORDER BY id") == invoices
        assert await conn.fetchval("SELECT count(*) FROM sessions") == 0

        alex = await conn.fetchrow("SELECT * FROM customers WHERE id = 1")
        assert (alex["full_name"], alex["unit"], alex["building"]) == ("Alex Rivera", "4B", "Maple Court")
        # No card numbers anywhere: brand and last4 only.
        assert await conn.fetchval("SELECT max(length(last4)) FROM payment_methods") == 4

        now = datetime.combine(TODAY, time(10), tzinfo=BUSINESS_TZ)
        ctx = ToolContext(conn=conn, session_id=str(uuid.uuid4()), customer_id=1, now=now, idempotency_key="k")
        async with conn.transaction():
            balance = await get_balance.fn(ctx, get_balance.parse({}))
            assert balance["overdue_cents"] > 0
            methods = await list_payment_methods.fn(ctx, list_payment_methods.parse({}))
            assert methods["methods"][0]["label"] == "Visa ending 4242" and methods["methods"][0]["is_default"]
            appts = await list_my_appointments.fn(ctx, list_my_appointments.parse({}))
            assert appts["appointments"][0]["category"] == "plumbing"
            slots = await find_slots.fn(ctx, find_slots.parse({"category": "hvac", "limit": 10}))
            assert len(slots["slots"]) == 10
            viewing = await find_slots.fn(ctx, find_slots.parse({"kind": "viewing"}))
            assert viewing["slots"]
            fee = await conn.fetchval(
                "SELECT id FROM invoices WHERE customer_id = 1 AND kind = 'fee' AND status = 'open'"
            )
            waived = await request_fee_waiver.fn(
                ctx, request_fee_waiver.parse({"invoice_id": fee, "reason": "first time"})
            )
            assert waived["waived"] is True
        # Open invoices never exceed their amounts; paid ones have a payment.
        assert (
            await conn.fetchval(
                """SELECT count(*) FROM invoices i WHERE status = 'paid'
               AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = i.id)"""
            )
            == 0
        )
        assert await conn.fetchval("SELECT count(*) FROM invoices WHERE status = 'open' AND due_on < $1", TODAY) > 1
    finally:
        await conn.close()


async def seed_(conn: asyncpg.Connection, reset: bool = False) -> dict[str, int]:
    return await seed(conn, today=TODAY, reset=reset)


async def test_the_demo_seeded_now_has_no_payment_in_the_future_and_no_next_due_in_the_past(fresh_dsn: str) -> None:
    """Seeded for today and looked at at any hour of it (trial 2026-12-01: a payment at noon of a day the
    demo was used at 3 a.m., and "Next due: … on" a date already past): every payment is over, and what
    each resident hears as "next due" is today or later, for days across a month's cycle."""
    conn = await connect(fresh_dsn)
    try:
        await migrate(conn)
        for today in (date(2026, 12, 1), date(2026, 12, 5), date(2027, 1, 15), datetime.now(BUSINESS_TZ).date()):
            await seed(conn, today=today, reset=True)
            for hour in (0, 3, 11, 23):
                now = datetime.combine(today, time(hour, 10), tzinfo=BUSINESS_TZ)
                assert await conn.fetchval("SELECT count(*) FROM payments WHERE created_at > $1", now) == 0, now
                for cid in range(1, 41):
                    ctx = ToolContext(conn=conn, session_id=str(uuid.uuid4()), customer_id=cid, now=now)
                    async with conn.transaction():
                        nxt = (await get_balance.fn(ctx, get_balance.parse({})))["next_due"]
                    assert nxt is None or nxt["due_on"] >= today.isoformat(), (today, cid, nxt)
    finally:
        await conn.close()

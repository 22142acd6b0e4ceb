"""How a stored conversation of the demo business becomes eval expectations (`callcenter eval export`).

The engine's exporter hands over the session's successful tool calls; this module knows what
each of the demo's tools changed — appointments booked, moved or cancelled, payments made,
fees waived, tickets opened — and which tables a session that never touched them must leave alone.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

_APPT = """
SELECT a.id, a.customer_id, a.kind, a.category, a.status,
       (s.starts_at AT TIME ZONE 'America/New_York')::date::text AS local_date,
       to_char(s.starts_at AT TIME ZONE 'America/New_York', 'HH24:MI') AS local_time
FROM appointments a JOIN slots s ON s.id = a.slot_id WHERE a.id = $1"""


async def expectations(
    conn: asyncpg.Connection, session_id: uuid.UUID, calls: list[tuple[str, dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """(expected rows, tables that must stay unchanged) for a session's successful (tool, result) calls."""
    sid = session_id
    db: list[dict[str, Any]] = []
    payments = 0
    tools_used: list[str] = []
    for tool, result in calls:
        tools_used.append(tool)
        if tool == "book_appointment" and result.get("appointment_id"):
            row = await conn.fetchrow(_APPT, int(result["appointment_id"]))
            if row is not None:
                db.append(
                    {
                        "table": "appointments",
                        "new": True,
                        "match": {
                            "customer_id": "{customer}",
                            "kind": row["kind"],
                            "category": row["category"],
                            "status": row["status"],
                            "local_date": row["local_date"],
                            "local_time": row["local_time"],
                        },
                    }
                )
        elif tool in ("reschedule_appointment", "cancel_appointment") and result.get("appointment_id"):
            row = await conn.fetchrow(_APPT, int(result["appointment_id"]))
            if row is not None:
                match: dict[str, Any] = {"id": row["id"], "status": row["status"]}
                if row["status"] == "booked":
                    match.update(local_date=row["local_date"], local_time=row["local_time"])
                db.append({"table": "appointments", "match": match})
        elif tool == "pay_balance":
            payments += 1
            for alloc in result.get("allocations") or []:
                db.append(
                    {
                        "table": "payments",
                        "new": True,
                        "match": {
                            "customer_id": "{customer}",
                            "invoice_id": alloc["invoice_id"],
                            "amount_cents": alloc["amount_cents"],
                        },
                    }
                )
        elif tool == "request_fee_waiver" and result.get("invoice_id"):
            status = await conn.fetchval("SELECT status FROM invoices WHERE id = $1", int(result["invoice_id"]))
            db.append({"table": "invoices", "match": {"id": int(result["invoice_id"]), "status": status}})
    tickets = await conn.fetch("SELECT category, priority FROM tickets WHERE session_id = $1 ORDER BY id", sid)
    for t in tickets:
        db.append({"table": "tickets", "new": True, "match": {"category": t["category"], "priority": t["priority"]}})
    unchanged = [
        t
        for t, used in (
            ("payments", payments),
            (
                "appointments",
                any(t in tools_used for t in ("book_appointment", "reschedule_appointment", "cancel_appointment")),
            ),
        )
        if not used
    ]
    return db, unchanged

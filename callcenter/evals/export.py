"""From trace to eval: a stored session becomes a scenario with its observed end state.

The user's turns come from `messages`; the expectations from what the session changed —
appointments booked, moved or cancelled, payments made, fees waived, tickets opened and
human handoffs — read from its successful tool calls and the rows they point at. The
result is a regression test of what happened; edit it when what happened was wrong (a
complaint), so the test says what should have happened instead.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from callcenter.evals.scenario import Scenario

_APPT = """
SELECT a.id, a.customer_id, a.kind, a.category, a.status,
       (s.starts_at AT TIME ZONE 'America/New_York')::date::text AS local_date,
       to_char(s.starts_at AT TIME ZONE 'America/New_York', 'HH24:MI') AS local_time
FROM appointments a JOIN slots s ON s.id = a.slot_id WHERE a.id = $1"""


def _slug(session_id: str) -> str:
    return f"export-{session_id[:8]}"


async def export_session(conn: asyncpg.Connection, session_id: str) -> Scenario:
    sid = uuid.UUID(session_id)
    session = await conn.fetchrow("SELECT * FROM sessions WHERE id = $1", sid)
    if session is None:
        raise LookupError(f"no session {session_id}")
    customer = session["customer_id"]
    texts = [
        r["text"]
        for r in await conn.fetch("SELECT text FROM messages WHERE session_id = $1 AND role = 'user' ORDER BY seq", sid)
    ]
    if not texts:
        raise LookupError(f"session {session_id} has no user messages")
    db: list[dict[str, Any]] = []
    calls = await conn.fetch(
        "SELECT tool, result FROM tool_calls WHERE session_id = $1 AND status = 'ok' ORDER BY id", sid
    )
    payments = 0
    tools_used: list[str] = []
    for call in calls:
        tool, result = call["tool"], dict(call["result"] or {})
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
    handoff = await conn.fetchval(
        "SELECT priority FROM handoffs WHERE session_id = $1 AND kind = 'human' ORDER BY id LIMIT 1", sid
    )
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
    doc: dict[str, Any] = {
        "id": _slug(session_id),
        "description": f"Exported from session {session_id} ({session['channel']}, "
        f"{session['created_at']:%Y-%m-%d %H:%M %Z}).",
        "tags": [str((session["state"] or {}).get("last_vertical") or "exported")],
        "customer": customer,
        "channel": session["channel"] if session["channel"] in ("chat", "voice") else "chat",
        "now": session["created_at"].isoformat(),
        "user": {"turns": texts},
        "expect": {"db": db, "handoff": handoff if handoff else False, "unchanged": unchanged},
    }
    return Scenario.model_validate(doc)


async def export_sessions(dsn: str, session_ids: list[str]) -> list[Scenario]:
    from callcenter.store.db import connect

    conn = await connect(dsn)
    try:
        return [await export_session(conn, sid) for sid in session_ids]
    finally:
        await conn.close()

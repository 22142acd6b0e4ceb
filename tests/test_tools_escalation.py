from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from callcenter_tools.booking import BUSINESS_TZ
from callcenter_tools.escalation import MAX_TICKET_BODY, create_ticket, handoff_eta, handoff_to_human
from pydantic import ValidationError

from callcenter.tooling.toolkit import Tool, ToolContext, ToolError

NOW = datetime(2031, 3, 10, 23, 0, tzinfo=BUSINESS_TZ)


async def new_session(conn: asyncpg.Connection) -> str:
    sid = str(uuid.uuid4())
    await conn.execute("INSERT INTO sessions (id, channel) VALUES ($1, 'web')", uuid.UUID(sid))
    return sid


async def call(tool: Tool[Any], conn: asyncpg.Connection, sid: str, cid: int | None, **raw: Any) -> Any:
    ctx = ToolContext(conn=conn, session_id=sid, customer_id=cid, now=NOW, idempotency_key="k1", agent="escalation")
    async with conn.transaction():
        return await tool.fn(ctx, tool.parse(raw))


def test_narrow_args_and_eta() -> None:
    with pytest.raises(ValidationError):
        create_ticket.parse({"category": "plumbing", "subject": "x"})
    with pytest.raises(ValidationError):
        create_ticket.parse({"category": "noise", "subject": "x" * 121})
    with pytest.raises(ValidationError):
        handoff_to_human.parse({"queue": "police", "summary": "x"})
    with pytest.raises(ValidationError):
        handoff_to_human.parse({"queue": "billing", "priority": "asap", "summary": "x"})
    assert "555-0100" in handoff_eta("emergency", "urgent") and "immediately" in handoff_eta("general", "urgent")
    assert handoff_eta("billing", "normal") == "a human will join within 15 minutes"


async def test_ticket_without_sign_in(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        sid = await new_session(conn)
        out = await call(
            create_ticket,
            conn,
            sid,
            None,
            category="maintenance",
            priority="urgent",
            subject="Water pouring from ceiling",
            body="Unit 3A bathroom",
        )
        assert out["priority"] == "urgent" and out["status"] == "open"
        row = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", out["ticket_id"])
        assert row["customer_id"] is None and str(row["session_id"]) == sid and row["created_at"] == NOW


async def test_emergency_handoff_records_everything(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        sid = await new_session(conn)
        out = await call(
            handoff_to_human,
            conn,
            sid,
            None,
            queue="emergency",
            priority="high",
            summary="Caller smells gas in the hallway of Harbor View, floor 2.",
            reason="gas leak",
        )
        assert out["priority"] == "urgent" and out["queue"] == "emergency"
        assert "immediately" in out["eta"] and "555-0100" in out["eta"]
        handoff = await conn.fetchrow("SELECT * FROM handoffs WHERE id = $1", out["handoff_id"])
        assert handoff["kind"] == "human" and handoff["to_agent"] == "human:emergency"
        assert handoff["from_agent"] == "escalation" and handoff["priority"] == "urgent"
        context = handoff["context"]
        assert context == {"reason": "gas leak", "ticket_id": out["ticket_id"]}
        assert await conn.fetchval("SELECT status FROM sessions WHERE id = $1", uuid.UUID(sid)) == "human"
        ticket = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", out["ticket_id"])
        assert ticket["priority"] == "urgent" and ticket["category"] == "emergency"


async def test_handoff_needs_a_session(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(ToolError) as err:
            await call(handoff_to_human, conn, "", None, queue="billing", summary="Dispute")
        assert "555-0100" in str(err.value)


async def test_a_repeated_handoff_updates_the_open_one(pool: asyncpg.Pool) -> None:
    """A flood of "I smell gas" in one conversation is one ticket a person works on, not hundreds."""
    async with pool.acquire() as conn:
        sid = await new_session(conn)
        first = await call(handoff_to_human, conn, sid, None, queue="general", priority="normal", summary="help")
        again = [
            await call(handoff_to_human, conn, sid, None, queue="general", priority=p, summary=f"again {i}")
            for i, p in enumerate(("normal", "high", "low"))
        ]
        assert {a["ticket_id"] for a in again} == {first["ticket_id"]} and all(a["already_open"] for a in again)
        ticket = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", first["ticket_id"])
        assert ticket["priority"] == "high" and "again 2" in ticket["body"]  # raised, never lowered
        urgent = await call(handoff_to_human, conn, sid, None, queue="emergency", summary="gas in the hallway")
        assert urgent["ticket_id"] != first["ticket_id"]  # a different team gets its own
        assert await conn.fetchval("SELECT count(*) FROM tickets WHERE session_id = $1", uuid.UUID(sid)) == 2
        await conn.execute("UPDATE tickets SET status = 'closed' WHERE id = $1", first["ticket_id"])
        later = await call(handoff_to_human, conn, sid, None, queue="general", summary="new problem")
        assert later["ticket_id"] not in (first["ticket_id"], urgent["ticket_id"])


async def test_a_repeated_report_adds_every_word_to_the_open_ticket_or_opens_a_new_one(pool: asyncpg.Pool) -> None:
    """The same leak reported again from new conversations is one ticket holding every report whole;
    when that ticket has no room for a report, the report goes on a new ticket instead of being cut."""
    rng = random.Random(4)
    async with pool.acquire() as conn:
        cid = await conn.fetchval(
            "INSERT INTO customers (full_name, email, building, unit) VALUES ('Kim Ode', $1, 'Maple Court', '9D')"
            " RETURNING id",
            f"{uuid.uuid4().hex}@example.com",
        )
        reports = [
            f"call {i}: " + " ".join(rng.choice(["water", "still", "dripping", "ceiling", "stain", "bigger", "wet"])
            for _ in range(rng.randrange(50, 200)))
            for i in range(30)
        ]  # fmt: skip
        outs = []
        for i, words in enumerate(reports):
            priority = "high" if i == 3 else "normal"
            outs.append(
                await call(
                    create_ticket, conn, await new_session(conn), cid,
                    category="maintenance", priority=priority, subject="Kitchen ceiling leak", body=words,
                )
            )  # fmt: skip
        tickets = await conn.fetch("SELECT id, priority, body FROM tickets WHERE customer_id = $1 ORDER BY id", cid)
        assert len(tickets) >= 2  # the first filled up
        assert [o.get("already_open", False) for o in outs].count(True) == len(reports) - len(tickets)
        for out, words in zip(outs, reports, strict=True):
            [body] = [t["body"] for t in tickets if t["id"] == out["ticket_id"]]
            assert words in body  # whole, on the ticket the answer named
        assert sum(t["body"].count("call ") for t in tickets) == len(reports)  # once each
        assert all(len(t["body"]) <= MAX_TICKET_BODY for t in tickets)
        assert tickets[0]["priority"] == "high"  # raised by the fourth report

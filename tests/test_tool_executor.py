"""The executor: idempotent replays, validation errors, caps, rollback of refused tools."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import pytest
from pydantic import Field

from callcenter.tooling.executor import ToolArgumentError, ToolCapExceeded, TurnTools
from callcenter.tooling.toolkit import ToolArgs, ToolContext, ToolError, tool


class NoteArgs(ToolArgs):
    subject: str = Field(max_length=40)
    priority: Literal["low", "normal"] = "normal"
    fail: bool = False


@tool(writes=True)
async def open_note(ctx: ToolContext, args: NoteArgs) -> dict[str, Any]:
    """Open a ticket (test tool)."""
    ticket_id = await ctx.conn.fetchval(
        "INSERT INTO tickets (customer_id, session_id, category, priority, subject) "
        "VALUES ($1, $2, 'other', $3, $4) RETURNING id",
        ctx.customer_id,
        uuid.UUID(ctx.session_id),
        args.priority,
        args.subject,
    )
    if args.fail:
        raise ToolError("refused after writing")
    return {"ticket_id": ticket_id}


class LookupArgs(ToolArgs):
    subject: str = Field(max_length=40)


@tool()
async def count_notes(ctx: ToolContext, args: LookupArgs) -> dict[str, Any]:
    """How many tickets name this subject (a read-only test tool)."""
    n = await ctx.conn.fetchval(
        "SELECT count(*) FROM tickets WHERE session_id = $1 AND subject = $2", uuid.UUID(ctx.session_id), args.subject
    )
    return {"notes": n}


async def _session(pool: asyncpg.Pool) -> str:
    sid = uuid.uuid4()
    await pool.execute("INSERT INTO sessions (id, channel) VALUES ($1, 'test')", sid)
    return str(sid)


def _tools(pool: asyncpg.Pool, sid: str, max_calls: int = 8) -> TurnTools:
    return TurnTools(
        pool=pool,
        tools={"open_note": open_note},
        session_id=sid,
        turn_id=None,
        customer_id=None,
        agent="test",
        now=datetime.now(UTC),
        max_calls=max_calls,
    )


async def _count(pool: asyncpg.Pool, sid: str) -> int:
    n: int = await pool.fetchval("SELECT count(*) FROM tickets WHERE session_id=$1", uuid.UUID(sid))
    return n


async def test_replayed_call_returns_stored_result_and_writes_once(pool: asyncpg.Pool) -> None:
    sid = await _session(pool)
    first = await _tools(pool, sid).call("open_note", {"subject": "leak"}, idempotency_key="k1")
    again = await _tools(pool, sid).call("open_note", {"subject": "leak"}, idempotency_key="k1")
    assert first == again
    assert await _count(pool, sid) == 1


async def test_concurrent_replays_write_once(pool: asyncpg.Pool) -> None:
    sid = await _session(pool)
    results = await asyncio.gather(
        *(_tools(pool, sid).call("open_note", {"subject": "x"}, idempotency_key="same") for _ in range(5))
    )
    assert len({r["ticket_id"] for r in results}) == 1
    assert await _count(pool, sid) == 1


async def test_invalid_arguments_are_a_tool_argument_error(pool: asyncpg.Pool) -> None:
    sid = await _session(pool)
    runner = _tools(pool, sid)
    with pytest.raises(ToolArgumentError, match="priority"):
        await runner.call("open_note", {"subject": "x", "priority": "urgent!!"})
    with pytest.raises(ToolArgumentError, match="not valid JSON"):
        await runner.call("open_note", '{"subject": ')
    with pytest.raises(ToolArgumentError, match="Unknown tool"):
        await runner.call("drop_tables", {})
    with pytest.raises(ToolArgumentError):
        await runner.call("open_note", {"subject": "x", "customer_id": 2})  # extra keys are refused
    assert await _count(pool, sid) == 0
    statuses = await pool.fetch("SELECT status FROM tool_calls WHERE session_id=$1", uuid.UUID(sid))
    assert {r["status"] for r in statuses} == {"error"}


async def test_refusal_rolls_back_the_tools_writes(pool: asyncpg.Pool) -> None:
    sid = await _session(pool)
    with pytest.raises(ToolError, match="refused"):
        await _tools(pool, sid).call("open_note", {"subject": "x", "fail": True}, idempotency_key="f")
    assert await _count(pool, sid) == 0
    with pytest.raises(ToolError):  # the replay reports the same refusal, still writes nothing
        await _tools(pool, sid).call("open_note", {"subject": "x", "fail": True}, idempotency_key="f")
    assert await _count(pool, sid) == 0


async def test_per_turn_cap(pool: asyncpg.Pool) -> None:
    sid = await _session(pool)
    runner = _tools(pool, sid, max_calls=2)
    await runner.call("open_note", {"subject": "a"})
    await runner.call("open_note", {"subject": "b"})
    with pytest.raises(ToolCapExceeded):
        await runner.call("open_note", {"subject": "c"})
    assert await _count(pool, sid) == 2


def test_openai_schema_is_strict() -> None:
    fn = open_note.openai_schema()["function"]
    params = fn["parameters"]
    assert fn["strict"] is True
    assert params["additionalProperties"] is False
    assert sorted(params["required"]) == ["fail", "priority", "subject"]
    assert open_note.anthropic_schema()["input_schema"]["properties"]["priority"]["enum"] == ["low", "normal"]


def _turn_tools(pool: asyncpg.Pool, sid: str, turn_id: int | None, *, defer_reads: bool) -> TurnTools:
    return TurnTools(
        pool=pool,
        tools={"open_note": open_note, "count_notes": count_notes},
        session_id=sid,
        turn_id=turn_id,
        customer_id=None,
        agent="test",
        now=datetime.now(UTC),
        max_calls=8,
        defer_reads=defer_reads,
    )


async def _recorded(pool: asyncpg.Pool, sid: str) -> dict[str, Any]:
    rows = await pool.fetch("SELECT idempotency_key, result FROM tool_calls WHERE session_id=$1", uuid.UUID(sid))
    return {r["idempotency_key"]: r["result"] for r in rows}


async def test_a_new_turns_reads_are_committed_with_the_write_that_follows_them(pool: asyncpg.Pool) -> None:
    """Deferred reads cost no round trip of their own, yet a write never lands without the reads before it."""
    sid = await _session(pool)
    runner = _turn_tools(pool, sid, None, defer_reads=True)
    seen = await runner.call("count_notes", {"subject": "leak"}, idempotency_key="read-1")
    assert seen == {"notes": 0}
    assert await _recorded(pool, sid) == {}  # not yet: nothing depends on it
    assert [r["key"] for r in runner.unrecorded()] == ["read-1"]
    await runner.call("open_note", {"subject": "leak"}, idempotency_key="write-1")
    stored = await _recorded(pool, sid)
    assert stored["read-1"] == {"notes": 0} and "ticket_id" in stored["write-1"]
    assert runner.unrecorded() == []

    # The turn is re-run (its node died after the write): the read answers what the turn first saw,
    # not the ticket its own write made since, so the flow takes the same path to the same write.
    rerun = _turn_tools(pool, sid, None, defer_reads=False)
    assert await rerun.call("count_notes", {"subject": "leak"}, idempotency_key="read-1") == {"notes": 0}
    assert await rerun.call("open_note", {"subject": "leak"}, idempotency_key="write-1") == stored["write-1"]
    assert await _count(pool, sid) == 1


async def test_a_refused_write_commits_the_reads_before_it_and_flush_stores_the_rest(pool: asyncpg.Pool) -> None:
    sid = await _session(pool)
    runner = _turn_tools(pool, sid, None, defer_reads=True)
    await runner.call("count_notes", {"subject": "x"}, idempotency_key="read-1")
    with pytest.raises(ToolError, match="refused"):  # a refusal's row commits, and the read with it
        await runner.call("open_note", {"subject": "x", "fail": True}, idempotency_key="write-1")
    assert set(await _recorded(pool, sid)) == {"read-1", "write-1"} and await _count(pool, sid) == 0
    await runner.call("count_notes", {"subject": "y"}, idempotency_key="read-2")
    await runner.flush()  # before the human handoff's write (the orchestrator)
    await runner.flush()  # nothing left: no statement
    assert set(await _recorded(pool, sid)) == {"read-1", "write-1", "read-2"}

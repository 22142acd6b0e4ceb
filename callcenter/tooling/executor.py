"""Run tools: validated, capped, exactly once per idempotency key.

A replayed call (same session and idempotency key) returns the stored result and changes
nothing. A tool that writes runs in a transaction that first claims its `tool_calls` row: the
unique constraint on (session_id, idempotency_key) makes a concurrent replay wait and then
read the first call's result. A tool that only reads (a handbook search, a balance) has
nothing to do twice: it runs first and its record is written after it in one statement (one
round trip instead of a transaction's seven); a replay still gets what the turn first saw.

In a turn that has just opened (`defer_reads`), no earlier attempt can have recorded anything,
so a read's record waits (`unrecorded`) and is written with the next write: inside the next
writing tool's transaction, by `flush` before the human handoff, or with the reply by
`complete_turn`. Every read a write may have depended on is therefore stored, in the same
commit, before the write can be replayed; reads followed by no write are stored with the reply,
and a turn that dies before it simply reads again when it is re-run.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from pydantic import ValidationError

from callcenter.store.conversations import RECORD_READS_SQL, insert_handoff
from callcenter.store.db import acquire, retry_on_connection_loss
from callcenter.telemetry.metrics import TOOL_CALLS
from callcenter.telemetry.tracing import span
from callcenter.tooling.toolkit import Tool, ToolContext, ToolError, ToolLimits
from callcenter.types import HandoffContext

log = structlog.get_logger(__name__)


class ToolArgumentError(ToolError):
    """The arguments failed validation: a signal that the model should be escalated."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_arguments")


class ToolCapExceeded(ToolError):
    def __init__(self, cap: int) -> None:
        super().__init__(f"Tool call limit of {cap} per turn reached.", code="cap_exceeded")


@dataclass(slots=True)
class ToolCallRecord:
    tool: str
    arguments: dict[str, Any]
    idempotency_key: str
    result: dict[str, Any] | None
    error: str | None
    code: str | None
    replayed: bool
    latency_ms: float


@dataclass
class TurnTools:
    """The tool runner for one turn of one session, on behalf of its verified customer."""

    pool: asyncpg.Pool
    tools: dict[str, Tool[Any]]
    session_id: str
    turn_id: int | None
    customer_id: int | None
    agent: str
    now: datetime
    max_calls: int
    calls: list[ToolCallRecord] = field(default_factory=list)
    defer_reads: bool = False  # a new turn: read-only records go with the next write (module docstring)
    pending: list[dict[str, Any]] = field(default_factory=list)  # read-only records not yet written
    handoff: HandoffContext | None = None  # the turn's agent change, stored before its first write
    limits: ToolLimits = field(default_factory=ToolLimits)  # the operator's per-customer limits (settings)

    def unrecorded(self) -> list[dict[str, Any]]:
        """Read-only calls not stored yet, for `ConversationStore.complete_turn` to store with the reply."""
        return list(self.pending)

    async def flush(self) -> None:
        """Store the agent change and the deferred reads now (before a write that may depend on them)."""
        if not self.pending and self.handoff is None:
            return

        async def record() -> None:
            async with acquire(self.pool) as conn, conn.transaction():
                await self._record_deferred(conn)

        await retry_on_connection_loss(record, what="tool records")
        self.pending, self.handoff = [], None

    async def _record_deferred(self, conn: asyncpg.Connection) -> None:
        """In the caller's transaction: the agent change, then the reads, in the order they happened."""
        if self.handoff is not None:
            await insert_handoff(conn, self.handoff, turn_id=self.turn_id)
        if self.pending:
            await _record_reads(conn, uuid.UUID(self.session_id), self.turn_id, self.pending)

    async def call(
        self, name: str, raw_args: dict[str, Any] | str, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Run tool `name`; raises ToolError (incl. argument and cap errors) on refusal."""
        if len(self.calls) >= self.max_calls:
            raise ToolCapExceeded(self.max_calls)
        key = idempotency_key or f"turn{self.turn_id}:{len(self.calls) + 1}:{name}"
        started = time.perf_counter()
        record = ToolCallRecord(name, {}, key, None, None, None, False, 0.0)
        self.calls.append(record)
        try:
            # A lost connection is retried whole: the retry's first SELECT finds what a committed
            # attempt stored, so the tool never runs twice (bookings, payments, the human handoff).
            with span("tool.call", tool=name, replay_key=key):
                result, replayed = await retry_on_connection_loss(
                    lambda: self._run(name, raw_args, key, record), what=f"tool {name}"
                )
            record.result, record.replayed = result, replayed
            return result
        except ToolError as exc:
            record.error, record.code = str(exc), exc.code
            raise
        finally:
            record.latency_ms = (time.perf_counter() - started) * 1000
            TOOL_CALLS.labels(name, "error" if record.error else "replayed" if record.replayed else "ok").inc()
            log.info(
                "tool.called",
                session_id=self.session_id,
                tool=name,
                key=key,
                ok=record.error is None,
                replayed=record.replayed,
                latency_ms=round(record.latency_ms, 2),
            )

    async def _run(
        self, name: str, raw_args: dict[str, Any] | str, key: str, record: ToolCallRecord
    ) -> tuple[dict[str, Any], bool]:
        tool = self.tools.get(name)
        if tool is not None and not tool.writes:
            return await self._run_read_only(tool, raw_args, key, record)
        sid = uuid.UUID(self.session_id)
        failure: ToolError | None = None
        stored: tuple[dict[str, Any], bool] | None = None
        async with acquire(self.pool) as conn, conn.transaction():
            await self._record_deferred(conn)  # what this write may depend on commits with it
            claimed = await conn.fetchval(  # waits for a concurrent replay's transaction, then does nothing
                """INSERT INTO tool_calls (session_id, turn_id, agent, tool, idempotency_key, arguments, status)
                   VALUES ($1,$2,$3,$4,$5,$6,'ok') ON CONFLICT (session_id, idempotency_key) DO NOTHING
                   RETURNING id""",
                sid,
                self.turn_id,
                self.agent,
                name,
                key,
                _as_json_args(raw_args),
            )
            if claimed is None:  # an earlier run of this call (a recovered turn, a concurrent replay) committed
                stored = await _stored(conn, sid, key)
            else:
                started = time.perf_counter()
                try:
                    result = await self._invoke(conn, name, raw_args, key, record)
                except ToolError as exc:
                    failure, result = exc, {}
                status, error = ("error", str(failure)) if failure else ("ok", None)
                await conn.execute(
                    """UPDATE tool_calls SET result=$3, arguments=$4, latency_ms=$5, status=$6, error=$7
                       WHERE session_id=$1 AND idempotency_key=$2""",
                    sid,
                    key,
                    None if failure else result,
                    record.arguments or _as_json_args(raw_args),
                    (time.perf_counter() - started) * 1000,
                    status,
                    error,
                )
        self.pending, self.handoff = [], None  # committed with the write (a rolled-back attempt keeps them)
        if stored is not None:
            return stored
        # Raised after the transaction commits, so the error row is kept for replays.
        if failure is not None:
            raise failure
        return result, False

    async def _run_read_only(
        self, tool: Tool[Any], raw_args: dict[str, Any] | str, key: str, record: ToolCallRecord
    ) -> tuple[dict[str, Any], bool]:
        """Run a tool that changes nothing, then record it in one statement (no transaction: each of
        its queries reads one consistent snapshot, and running it twice harms nothing)."""
        sid = uuid.UUID(self.session_id)
        failure: ToolError | None = None
        async with acquire(self.pool) as conn:
            started = time.perf_counter()
            try:
                result = await self._invoke(conn, tool.name, raw_args, key, record, savepoint=False)
            except ToolError as exc:
                failure, result = exc, {}
            if self.defer_reads:
                self.pending.append(
                    {
                        "agent": self.agent,
                        "tool": tool.name,
                        "key": key,
                        "arguments": record.arguments or _as_json_args(raw_args),
                        "result": None if failure else result,
                        "latency_ms": (time.perf_counter() - started) * 1000,
                        "status": "error" if failure else "ok",
                        "error": str(failure) if failure else None,
                    }
                )
                if failure is not None:
                    raise failure
                return result, False
            recorded = await conn.fetchval(
                """INSERT INTO tool_calls (session_id, turn_id, agent, tool, idempotency_key, arguments, result,
                       latency_ms, status, error)
                   VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (session_id, idempotency_key) DO NOTHING
                   RETURNING id""",
                sid,
                self.turn_id,
                self.agent,
                tool.name,
                key,
                record.arguments or _as_json_args(raw_args),
                None if failure else result,
                (time.perf_counter() - started) * 1000,
                "error" if failure else "ok",
                str(failure) if failure else None,
            )
            if recorded is None:  # an earlier run of this turn recorded it: the turn sees what it saw then
                return await _stored(conn, sid, key)
        if failure is not None:
            raise failure
        return result, False

    async def _invoke(
        self,
        conn: asyncpg.Connection,
        name: str,
        raw_args: dict[str, Any] | str,
        key: str,
        record: ToolCallRecord,
        *,
        savepoint: bool = True,
    ) -> dict[str, Any]:
        tool = self.tools.get(name)
        if tool is None:
            raise ToolArgumentError(f"Unknown tool {name!r}; available: {', '.join(sorted(self.tools))}.")
        try:
            args = tool.parse(_parse_raw(raw_args))
        except ValidationError as exc:
            raise ToolArgumentError(_validation_message(exc)) from exc
        record.arguments = args.model_dump(mode="json")
        ctx = ToolContext(
            conn=conn,
            session_id=self.session_id,
            customer_id=self.customer_id,
            now=self.now,
            idempotency_key=key,
            agent=self.agent,
            limits=self.limits,
        )
        try:
            if not savepoint:
                return await tool.fn(ctx, args)
            async with conn.transaction():  # savepoint: a refusal undoes the tool's own writes only
                return await tool.fn(ctx, args)
        except ValidationError as exc:  # a tool validating its own inputs further
            raise ToolArgumentError(_validation_message(exc)) from exc


async def _record_reads(
    conn: asyncpg.Connection, sid: uuid.UUID, turn_id: int | None, rows: list[dict[str, Any]]
) -> None:
    sql = RECORD_READS_SQL.format(session="$1::uuid", turn="$2::bigint", rows="$3::jsonb", also_from="")
    await conn.execute(sql, sid, turn_id, rows)


async def _stored(conn: asyncpg.Connection, sid: uuid.UUID, key: str) -> tuple[dict[str, Any], bool]:
    """The stored outcome of a call already made: its result, or its refusal raised again."""
    stored = await conn.fetchrow(
        "SELECT result, status, error FROM tool_calls WHERE session_id=$1 AND idempotency_key=$2", sid, key
    )
    assert stored is not None
    if stored["status"] == "error":
        raise ToolError(stored["error"] or "tool failed", code="replayed_error")
    return dict(stored["result"] or {}), True


def _parse_raw(raw: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise ToolArgumentError(f"Arguments are not valid JSON: {exc.msg} at position {exc.pos}.") from exc
    if not isinstance(value, dict):
        raise ToolArgumentError("Arguments must be a JSON object.")
    return value


def _as_json_args(raw: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    return {"_raw": raw[:2000]}


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{loc}: {err['msg']}")
    return "Invalid arguments - " + "; ".join(parts)

"""Run tools: validated, capped, in a transaction, exactly once per idempotency key.

A replayed call (same session and idempotency key) returns the stored result and changes
nothing: the `tool_calls` row is claimed in the same transaction as the tool's writes, and
the unique constraint on (session_id, idempotency_key) makes a concurrent replay wait and
then read the first call's result.
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

from callcenter.store.db import acquire, retry_on_connection_loss
from callcenter.telemetry.metrics import TOOL_CALLS
from callcenter.telemetry.tracing import span
from callcenter.tooling.toolkit import Tool, ToolContext, ToolError

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
        sid = uuid.UUID(self.session_id)
        failure: ToolError | None = None
        async with acquire(self.pool) as conn, conn.transaction():
            stored = await conn.fetchrow(
                "SELECT result, status, error FROM tool_calls WHERE session_id=$1 AND idempotency_key=$2",
                sid,
                key,
            )
            if stored is None:
                claimed = await conn.fetchval(
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
                if claimed is None:  # a concurrent replay committed first
                    stored = await conn.fetchrow(
                        "SELECT result, status, error FROM tool_calls WHERE session_id=$1 AND idempotency_key=$2",
                        sid,
                        key,
                    )
            if stored is not None:
                if stored["status"] == "error":
                    failure = ToolError(stored["error"] or "tool failed", code="replayed_error")
                    result: dict[str, Any] = {}
                else:
                    return dict(stored["result"] or {}), True
            else:
                started = time.perf_counter()
                try:
                    result = await self._invoke(conn, name, raw_args, key, record)
                except ToolError as exc:
                    failure = exc
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
        # Raised after the transaction commits, so the error row is kept for replays.
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
        )
        try:
            async with conn.transaction():  # savepoint: a refusal undoes the tool's own writes only
                return await tool.fn(ctx, args)
        except ValidationError as exc:  # a tool validating its own inputs further
            raise ToolArgumentError(_validation_message(exc)) from exc


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

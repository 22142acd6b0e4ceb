"""Sessions, messages, turns and handoffs: the conversation's state outside any process.

The orchestrator asks this repository for "the session" and never writes SQL itself, so
any process can continue any session and storage can be tested on its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from callcenter.store.db import RetryingPool
from callcenter.types import HandoffContext


@dataclass(slots=True)
class SessionRecord:
    id: str
    customer_id: int | None
    channel: str
    status: str
    active_agent: str | None
    state: dict[str, Any]
    step_count: int
    policy: str
    created_at: datetime
    customer_name: str | None = None
    held_by: int | None = None  # the operator holding the session: the bot does not answer meanwhile


@dataclass(slots=True)
class MessageRecord:
    id: int
    seq: int
    role: str
    text: str
    agent: str | None
    created_at: datetime


@dataclass(slots=True)
class TurnOutcome:
    vertical: str | None = None
    confidence: float | None = None
    difficulty: float | None = None
    agent: str | None = None
    tier: int | None = None
    outcome: str = "ok"
    escalations: int = 0
    latency_ms: float | None = None


def _session(row: asyncpg.Record) -> SessionRecord:
    return SessionRecord(
        id=str(row["id"]),
        customer_id=row["customer_id"],
        channel=row["channel"],
        status=row["status"],
        active_agent=row["active_agent"],
        state=dict(row["state"] or {}),
        step_count=row["step_count"],
        policy=row["policy"],
        created_at=row["created_at"],
        customer_name=row.get("customer_name"),
        held_by=row.get("held_by"),
    )


class ConversationStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.db = RetryingPool(pool)

    async def create_session(
        self, *, channel: str, customer_id: int | None, policy: str = "routed", session_id: str | None = None
    ) -> SessionRecord:
        sid = session_id or str(uuid.uuid4())
        row = await self.db.fetchrow(
            """INSERT INTO sessions (id, customer_id, channel, policy) VALUES ($1, $2, $3, $4)
               RETURNING *""",
            uuid.UUID(sid),
            customer_id,
            channel,
            policy,
        )
        assert row is not None
        return _session(row)

    async def get_session(self, session_id: str) -> SessionRecord | None:
        try:
            sid = uuid.UUID(session_id)
        except ValueError:
            return None
        row = await self.db.fetchrow(
            """SELECT s.*, c.full_name AS customer_name FROM sessions s
               LEFT JOIN customers c ON c.id = s.customer_id WHERE s.id = $1""",
            sid,
        )
        return _session(row) if row else None

    async def customer_name(self, customer_id: int | None) -> str | None:
        if customer_id is None:
            return None
        name: str | None = await self.db.fetchval("SELECT full_name FROM customers WHERE id = $1", customer_id)
        return name

    async def customer_exists(self, customer_id: int) -> bool:
        return bool(await self.db.fetchval("SELECT 1 FROM customers WHERE id = $1", customer_id))

    async def history(self, session_id: str, limit: int = 200) -> list[MessageRecord]:
        rows = await self.db.fetch(
            """SELECT id, seq, role, text, agent, created_at FROM messages
               WHERE session_id = $1 ORDER BY seq DESC LIMIT $2""",
            uuid.UUID(session_id),
            limit,
        )
        return [MessageRecord(**dict(r)) for r in reversed(rows)]

    async def replace_message_text(self, message_id: int, text: str) -> None:
        """Rewrite a stored message (redaction only: a number the customer split over messages)."""
        await self.db.execute("UPDATE messages SET text = $2 WHERE id = $1", message_id, text)

    async def begin_turn(self, session_id: str, text: str) -> tuple[MessageRecord, int]:
        """Store the user's message and open its turn in one round trip."""
        for _ in range(5):
            try:
                row = await self.db.fetchrow(
                    """WITH m AS (
                           INSERT INTO messages (session_id, seq, role, text)
                           SELECT $1, COALESCE(MAX(seq), 0) + 1, 'user', $2 FROM messages WHERE session_id = $1
                           RETURNING id, seq, role, text, agent, created_at)
                       , t AS (INSERT INTO turns (session_id, message_id) SELECT $1, id FROM m RETURNING id)
                       SELECT m.*, t.id AS turn_id FROM m, t""",
                    uuid.UUID(session_id),
                    text,
                )
            except asyncpg.UniqueViolationError:
                continue
            assert row is not None
            data = dict(row)
            turn_id = data.pop("turn_id")
            return MessageRecord(**data), turn_id
        raise RuntimeError("could not store the message after 5 attempts")

    async def store_held_message(self, session_id: str, text: str) -> int:
        """Store a customer's message for the operator holding the session: no turn, no reply."""
        for _ in range(5):
            try:
                message_id: int = await self.db.fetchval(
                    """INSERT INTO messages (session_id, seq, role, text)
                       SELECT $1, COALESCE(MAX(seq), 0) + 1, 'user', $2 FROM messages WHERE session_id = $1
                       RETURNING id""",
                    uuid.UUID(session_id),
                    text,
                )
                return message_id
            except asyncpg.UniqueViolationError:
                continue
        raise RuntimeError("could not store the message after 5 attempts")

    async def complete_turn(
        self,
        session_id: str,
        turn_id: int,
        *,
        reply: str,
        agent: str,
        active_agent: str | None,
        state: dict[str, Any],
        steps: int,
        outcome: TurnOutcome,
    ) -> None:
        """Store the reply, the session's new state and the turn's outcome in one round trip."""
        await self.db.execute(
            """WITH m AS (
                   INSERT INTO messages (session_id, seq, role, text, agent)
                   SELECT $1, COALESCE(MAX(seq), 0) + 1, 'assistant', $2, $3 FROM messages WHERE session_id = $1
                   RETURNING id)
               , s AS (UPDATE sessions SET active_agent=$4, state=$5, step_count=step_count+$6, updated_at=now()
                       WHERE id=$1 RETURNING id)
               UPDATE turns SET vertical=$8, confidence=$9, difficulty=$10, agent=$11, tier=$12, outcome=$13,
                   escalations=$14, latency_ms=$15, finished_at=now()
               WHERE id=$7 AND EXISTS (SELECT 1 FROM m) AND EXISTS (SELECT 1 FROM s)""",
            uuid.UUID(session_id),
            reply,
            agent,
            active_agent,
            state,
            steps,
            turn_id,
            outcome.vertical,
            outcome.confidence,
            outcome.difficulty,
            outcome.agent,
            outcome.tier,
            outcome.outcome,
            outcome.escalations,
            outcome.latency_ms,
        )

    async def record_handoff(
        self, ctx: HandoffContext, *, turn_id: int | None, kind: str = "agent", queue: str | None = None
    ) -> int:
        handoff_id: int = await self.db.fetchval(
            """INSERT INTO handoffs (session_id, turn_id, from_agent, to_agent, kind, vertical, confidence,
                   priority, queue, summary, context)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id""",
            uuid.UUID(ctx.session_id),
            turn_id,
            ctx.from_agent,
            ctx.to_agent,
            kind,
            ctx.vertical.value,
            ctx.confidence,
            ctx.priority.value,
            queue,
            ctx.summary,
            ctx.model_dump(mode="json"),
        )
        return handoff_id

"""Sessions, messages, turns and handoffs: the conversation's state outside any process.

The orchestrator asks this repository for "the session" and never writes SQL itself, so
any process can continue any session and storage can be tested on its own.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg
import structlog

from callcenter.store.db import RetryingPool
from callcenter.store.message_notify import Notifier
from callcenter.types import HandoffContext

log = structlog.get_logger(__name__)

RECORD_READS_SQL = """INSERT INTO tool_calls (session_id, turn_id, agent, tool, idempotency_key, arguments, result,
           latency_ms, status, error)
       SELECT {session}, {turn}, r.agent, r.tool, r.key, r.arguments, r.result, r.latency_ms, r.status, r.error
       FROM jsonb_to_recordset({rows}) AS r(agent text, tool text, key text, arguments jsonb, result jsonb,
            latency_ms double precision, status text, error text)
       {also_from}
       ON CONFLICT (session_id, idempotency_key) DO NOTHING"""
"""Read-only tool calls a new turn deferred (callcenter/tooling/executor.py), in one statement.

`TurnTools.flush` runs it before a write; `complete_turn` embeds it in the turn's closing statement.
"""


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
    language: str | None = None  # the conversation's language (0009); None: the business's own so far


@dataclass(slots=True)
class MessageRecord:
    id: int
    seq: int
    role: str
    text: str
    agent: str | None
    created_at: datetime


@dataclass(slots=True)
class BegunTurn:
    """What `begin_turn` decided (see its docstring): the kind and what the caller needs for it."""

    kind: str
    turn_id: int | None = None
    message_id: int | None = None
    message_text: str | None = None
    reply: str | None = None
    reply_agent: str | None = None
    vertical: str | None = None
    confidence: float | None = None
    retry_after_s: float | None = None
    session: dict[str, Any] | None = None  # the session row as JSON, for resume/recover/new
    history: list[list[str]] | None = None  # [role, text] before the turn's message, oldest first

    def session_record(self) -> SessionRecord | None:
        """The session as it was when the turn began (None for the kinds that carry none)."""
        if self.session is None:
            return None
        row = dict(self.session)
        row["created_at"] = datetime.fromisoformat(row["created_at"])
        return _session(row)


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


def _session(row: asyncpg.Record | dict[str, Any]) -> SessionRecord:
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
        language=row.get("language"),
    )


SCRUB_COPIES_SQL = """
WITH m AS (UPDATE messages SET text = $2 WHERE id = $1 RETURNING session_id),
h AS (UPDATE handoffs SET summary = replace(summary, $3, $4), context = replace(context::text, $5, $6)::jsonb
      WHERE $7 AND session_id = (SELECT session_id FROM m)
        AND (strpos(summary, $3) > 0 OR strpos(context::text, $5) > 0)),
t AS (UPDATE tickets SET subject = replace(subject, $3, $4), body = replace(body, $3, $4)
      WHERE $7 AND session_id = (SELECT session_id FROM m) AND (strpos(subject, $3) > 0 OR strpos(body, $3) > 0)),
c AS (UPDATE tool_calls SET arguments = replace(arguments::text, $5, $6)::jsonb,
             result = replace(result::text, $5, $6)::jsonb
      WHERE $7 AND session_id = (SELECT session_id FROM m)
        AND (strpos(arguments::text, $5) > 0 OR strpos(coalesce(result::text, ''), $5) > 0))
UPDATE sessions SET state = replace(state::text, $5, $6)::jsonb
 WHERE $7 AND id = (SELECT session_id FROM m) AND strpos(state::text, $5) > 0"""
"""A split number's first part, masked in its message and in every copy the session made of it ($7: it has digits)."""


class _Fetches(Protocol):
    async def fetchval(self, query: str, *args: Any) -> Any: ...


async def insert_handoff(
    db: _Fetches, ctx: HandoffContext, *, turn_id: int | None, kind: str = "agent", queue: str | None = None
) -> int | None:
    """Insert a handoff row once per turn and kind (a pool, or a connection inside a transaction)."""
    handoff_id: int | None = await db.fetchval(
        """INSERT INTO handoffs (session_id, turn_id, from_agent, to_agent, kind, vertical, confidence,
               priority, queue, summary, context)
           SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11
           WHERE $2::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM handoffs WHERE turn_id = $2 AND kind = $5)
           RETURNING id""",
        uuid.UUID(ctx.session_id),
        turn_id,
        ctx.from_agent,
        ctx.to_agent,
        kind,
        ctx.vertical,
        ctx.confidence,
        ctx.priority.value,
        queue,
        ctx.summary,
        ctx.model_dump(mode="json"),
    )
    return handoff_id


class ConversationStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.db = RetryingPool(pool)
        self.notifier = Notifier(self.db)

    async def close(self) -> None:
        await self.notifier.close()

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

    async def customer_label(self, customer_id: int) -> str | None:
        """How staff know a customer at a glance: name and address ("Dana Reyes, Harbor View 2C")."""
        row = await self.db.fetchrow("SELECT full_name, building, unit FROM customers WHERE id = $1", customer_id)
        return f"{row['full_name']}, {row['building']} {row['unit']}" if row else None

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
        """Rewrite a stored message (redaction only: a number the customer split over messages).

        The turn that stored the first part may have copied it already (red-team F2: a handoff's
        summary and context, a ticket, a tool call, the session's state held "4111 1111"), so the
        masked part is replaced in the session's copies too, in the same statement.
        """
        old = await self.db.fetchval("SELECT text FROM messages WHERE id = $1", message_id)
        if old is None:
            return
        kept = len(os.path.commonprefix([old, text]))
        gone, now = old[kept:], text[kept:]
        as_json = json.dumps(gone, ensure_ascii=False)[1:-1], json.dumps(now, ensure_ascii=False)[1:-1]
        await self.db.execute(
            SCRUB_COPIES_SQL, message_id, text, gone, now, *as_json, sum(ch.isdigit() for ch in gone) >= 4
        )

    async def begin_turn(
        self, session_id: str, text: str | None, *, owner: str, lease_s: float, client_id: str | None = None
    ) -> BegunTurn:
        """Store the user's message and open its turn, or say why not, in one round trip.

        See `cc_begin_turn` in migrations/0007_turn_recovery.sql: a resent `client_id` is never
        stored twice, a pending turn with no live owner is handed to the caller to finish, and a
        turn running elsewhere answers `busy`. `text=None` only claims what is pending.
        """
        try:
            sid = uuid.UUID(session_id)
        except ValueError:
            return BegunTurn(kind="no_session")
        row = await self.db.fetchrow(
            "SELECT * FROM cc_begin_turn($1, $2, $3, $4, $5)", sid, text, client_id, owner, lease_s
        )
        assert row is not None
        begun = BegunTurn(**dict(row))
        if begun.kind in ("new", "held") and text is not None:  # stored now (a resent held one: announced again)
            # A person holding the session reads it at once; a turn's goes out with its reply.
            self.notifier.add(session_id, begun.message_id, "user", soon=begun.kind == "new")
        return begun

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
                self.notifier.add(session_id, message_id, "user")
                return message_id
            except asyncpg.UniqueViolationError:
                continue
        raise RuntimeError("could not store the message after 5 attempts")

    async def complete_turn(
        self,
        session_id: str,
        turn_id: int,
        *,
        owner: str,
        reply: str,
        agent: str,
        active_agent: str | None,
        state: dict[str, Any],
        steps: int,
        outcome: TurnOutcome,
        handoff: HandoffContext | None = None,
        tool_records: list[dict[str, Any]] | None = None,
    ) -> bool:
        """Store the reply, the session's new state and the turn's outcome in one round trip.

        With them go the turn's agent change (`handoff`, as `record_handoff` would write it) and
        the read-only tool calls not stored yet (`TurnTools.unrecorded`): one statement and one
        commit where they used to take three. Only the turn's current owner completes it: False
        means another node claimed the turn (this one was presumed dead) and its reply, not ours,
        is the one stored, with its own records; ours are not written.
        """
        done = await self.db.fetchval(
            """WITH t AS (SELECT id FROM turns WHERE id=$7 AND outcome='pending' AND owner=$16 FOR UPDATE)
               , m AS (
                   INSERT INTO messages (session_id, seq, role, text, agent)
                   SELECT $1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE session_id = $1),
                          'assistant', $2, $3 FROM t
                   RETURNING id)
               , s AS (UPDATE sessions SET active_agent=$4, state=$5, step_count=step_count+$6, updated_at=now()
                       WHERE id=$1 AND EXISTS (SELECT 1 FROM t) RETURNING id)
               , h AS (INSERT INTO handoffs (session_id, turn_id, from_agent, to_agent, kind, vertical, confidence,
                           priority, queue, summary, context)
                       SELECT $1, $7, $17::jsonb->>'from_agent', $17::jsonb->>'to_agent', 'agent',
                              $17::jsonb->>'vertical', ($17::jsonb->>'confidence')::double precision,
                              $17::jsonb->>'priority', NULL, $17::jsonb->>'summary', $17::jsonb
                       FROM t WHERE $17::jsonb IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM handoffs WHERE turn_id = $7 AND kind = 'agent'))
               , c AS ("""
            + RECORD_READS_SQL.format(session="$1", turn="$7", rows="COALESCE($18::jsonb, '[]')", also_from=", t")
            + """)
               UPDATE turns SET vertical=$8, confidence=$9, difficulty=$10, agent=$11, tier=$12, outcome=$13,
                   escalations=$14, latency_ms=$15, finished_at=now(), reply_id=(SELECT id FROM m),
                   owner=NULL, lease_until=NULL
               WHERE id IN (SELECT id FROM t) AND EXISTS (SELECT 1 FROM s) RETURNING reply_id""",
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
            owner,
            handoff.model_dump(mode="json") if handoff is not None else None,
            tool_records or None,
        )
        if done is None:
            return False
        self.notifier.add(session_id, done, "assistant")
        return True

    async def turn_reply(self, turn_id: int) -> tuple[str, str | None] | None:
        """The stored reply (text, agent) of a finished turn, None while it is pending."""
        row = await self.db.fetchrow(
            "SELECT m.text, m.agent FROM turns t JOIN messages m ON m.id = t.reply_id WHERE t.id = $1", turn_id
        )
        return (row["text"], row["agent"]) if row else None

    async def renew_leases(self, turn_ids: list[int], *, owner: str, lease_s: float) -> int:
        """Keep this node's running turns claimed (one statement per heartbeat for all of them)."""
        if not turn_ids:
            return 0
        status = await self.db.execute(
            """UPDATE turns SET lease_until = clock_timestamp() + make_interval(secs => $3)
               WHERE id = ANY($1) AND owner = $2 AND outcome = 'pending'""",
            turn_ids,
            owner,
            lease_s,
        )
        return int(status.split()[-1])

    async def claim_stale_turns(self, *, owner: str, lease_s: float, limit: int) -> list[str]:
        """Claim pending turns whose owner stopped renewing; returns their session ids.

        `FOR UPDATE SKIP LOCKED` lets every node's sweeper run at once without two of them
        claiming the same turn or waiting on each other.
        """
        rows = await self.db.fetch(
            """UPDATE turns SET owner = $1, lease_until = clock_timestamp() + make_interval(secs => $2)
               WHERE id IN (SELECT id FROM turns
                            WHERE outcome = 'pending' AND (lease_until IS NULL OR lease_until < clock_timestamp())
                            ORDER BY lease_until NULLS FIRST LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING session_id""",
            owner,
            lease_s,
            limit,
        )
        return [str(r["session_id"]) for r in rows]

    async def record_handoff(
        self, ctx: HandoffContext, *, turn_id: int | None, kind: str = "agent", queue: str | None = None
    ) -> int | None:
        """Record an agent change; None when this turn already recorded one (a recovered turn's re-run)."""
        return await insert_handoff(self.db, ctx, turn_id=turn_id, kind=kind, queue=queue)

    # --- phone calls: sessions known by the phone system's id, callers known by number -----------

    async def customer_by_phone(self, phone_key: str) -> int | None:
        """The one customer whose phone ends in these ten digits; None when none or several do."""
        rows = await self.pool.fetch(
            "SELECT id FROM customers WHERE right(regexp_replace(coalesce(phone, ''), '\\D', '', 'g'), 10) = $1"
            " LIMIT 2",
            phone_key,
        )
        return int(rows[0]["id"]) if len(rows) == 1 else None

    async def verified_customer_of(self, channel: str, external_id: str) -> int | None:
        """The customer who proved who they are (a PIN) on the channel's session with this id, if any."""
        found: int | None = await self.pool.fetchval(
            "SELECT customer_id FROM sessions WHERE channel=$1 AND external_id=$2 AND customer_id IS NOT NULL",
            channel,
            external_id,
        )
        return found

    async def session_by_external_id(self, channel: str, external_id: str) -> str | None:
        """The session a channel tagged with its own id (a phone call's sid, a posted call's id)."""
        found = await self.pool.fetchval(
            "SELECT id FROM sessions WHERE channel=$1 AND external_id=$2", channel, external_id
        )
        return None if found is None else str(found)

    async def tag_session(self, session_id: str, external_id: str) -> bool:
        """Tag a session with the channel's own id; False when another session of the channel has it."""
        try:
            await self.pool.execute(
                "UPDATE sessions SET external_id=$2 WHERE id=$1", uuid.UUID(session_id), external_id
            )
        except asyncpg.UniqueViolationError:
            return False
        return True

    async def claim_external_session(
        self,
        *,
        channel: str,
        external_id: str,
        customer_id: int | None,
        policy: str,
        state: dict[str, Any],
        messages: Sequence[tuple[str, str, str | None]],
    ) -> tuple[str, dict[str, Any]]:
        """The session for `external_id`: created with all its (role, text, agent) messages in one
        transaction, or the one already there with its stored state."""
        sid = uuid.uuid4()
        async with self.pool.acquire() as conn, conn.transaction():
            created = await conn.fetchval(
                """INSERT INTO sessions (id, customer_id, channel, policy, external_id, state)
                   VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (channel, external_id) DO NOTHING RETURNING id""",
                sid,
                customer_id,
                channel,
                policy,
                external_id,
                state,
            )
            if created is not None:
                await conn.executemany(
                    "INSERT INTO messages (session_id, seq, role, text, agent) VALUES ($1, $2, $3, $4, $5)",
                    [(sid, seq, role, text, agent) for seq, (role, text, agent) in enumerate(messages, start=1)],
                )
                # Once per finished call: announced with the commit, as the trigger did before 0015.
                await conn.execute(
                    """SELECT pg_notify('callcenter_events',
                           json_build_object('k', 'message', 's', session_id, 'm', id, 'r', role)::text)
                       FROM messages WHERE session_id = $1 AND role IN ('user', 'assistant') ORDER BY seq""",
                    sid,
                )
                return str(sid), state
        row = await self.pool.fetchrow(
            "SELECT id, state FROM sessions WHERE channel=$1 AND external_id=$2", channel, external_id
        )
        assert row is not None
        return str(row["id"]), dict(row["state"] or {})

    async def close_session(self, session_id: str, state: dict[str, Any]) -> None:
        """Store the final state; the session is closed unless it waits for a person."""
        await self.pool.execute(
            """UPDATE sessions SET state=$2, status=CASE WHEN status='human' THEN 'human' ELSE 'closed' END,
                   updated_at=now() WHERE id=$1""",
            uuid.UUID(session_id),
            state,
        )

    async def set_session_language(self, session_id: str, language: str) -> None:
        """Record the conversation's language (the turn that heard it change writes it)."""
        await self.db.execute("UPDATE sessions SET language = $2 WHERE id = $1", uuid.UUID(session_id), language)

    async def latest_human_handoff(self, session_id: str) -> dict[str, Any] | None:
        """The session's most recent handoff to a person: id, queue, priority, reason, ticket_id, status."""
        row = await self.pool.fetchrow(
            """SELECT id, queue, priority, context->>'reason' AS reason, context->>'ticket_id' AS ticket_id, status
               FROM handoffs WHERE session_id=$1 AND kind='human' ORDER BY id DESC LIMIT 1""",
            uuid.UUID(session_id),
        )
        return dict(row) if row else None

"""The desk's rows: the queue of human handoffs, who holds a session, and what operators write.

Every state change is one conditional UPDATE inside a transaction, so when operators on
different server processes race for the same handoff exactly one wins and the others learn
it from the row, not from anyone's memory. Triggers (migration 0004) announce each change
with NOTIFY; see callcenter/store/events.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from callcenter.store.db import RetryingPool

MAX_OTHERS = 20  # a customer's other waiting conversations listed under their queue entry


class DeskError(Exception):
    """A desk action that cannot be done; `code` is the wire error code."""

    code = "desk_error"


class UnknownHandoff(DeskError):
    code = "unknown_handoff"


class AlreadyTaken(DeskError):
    code = "already_taken"


class NotHolding(DeskError):
    code = "not_holding"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    handoff_id: int
    session_id: str
    priority: str
    queue: str | None
    summary: str
    waiting_s: float
    customer: str | None
    channel: str
    created_at: datetime
    language: str | None = None  # the conversation's language (sessions.language), None: the business's own
    waiting: int = 1  # the customer's waiting handoffs this entry stands for (all their conversations)
    others: tuple[QueueEntry, ...] = ()  # the customer's other waiting conversations, newest first (MAX_OTHERS)

    def as_json(self) -> dict[str, Any]:
        return {
            "handoff_id": self.handoff_id,
            "session_id": self.session_id,
            "priority": self.priority,
            "queue": self.queue,
            "summary": self.summary,
            "waiting_s": round(self.waiting_s, 1),
            "customer": self.customer,
            "channel": self.channel,
            "language": self.language,
            "waiting": self.waiting,
            "others": [o.as_json() for o in self.others],
        }


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    session_id: str
    seq: int
    role: str
    text: str
    agent: str | None
    operator: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "role": self.role,
            "text": self.text,
            "agent": self.agent,
            "operator": self.operator,
            "created_at": self.created_at.isoformat(),
        }


def _sid(session_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(session_id)
    except (ValueError, AttributeError, TypeError):
        raise NotHolding(f"{session_id!r} is not a session id.") from None


_MESSAGE_SQL = """SELECT m.id, m.session_id::text AS session_id, m.seq, m.role, m.text, m.agent,
                         o.name AS operator, m.created_at
                  FROM messages m LEFT JOIN operators o ON o.id = m.operator_id"""


class DeskStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.db = RetryingPool(pool)

    # --- reading -------------------------------------------------------------------------
    async def queue(self, limit: int = 200) -> list[QueueEntry]:
        """One entry per customer waiting for a person (per conversation for someone not signed in): their
        most pressing waiting handoff, the most pressing entries first, then the longest waiting.

        Entries are collapsed before the limit is applied, and urgent ones are never cut: one customer's
        flood of urgent handoffs over many conversations once filled the 200-entry frame and hid another
        customer's gas leak (red-team R3). Now the flood is one row (`waiting` says how many handoffs it
        stands for, `others` lists the customer's other waiting conversations, newest first, so any of
        them can still be taken) and every urgent row is sent, whatever `limit` says for the rest.
        """
        rows = await self.db.fetch(
            """WITH w AS (
                   SELECT h.id, h.session_id, h.priority, h.queue, h.summary, h.created_at, s.customer_id, s.channel,
                          s.language, COALESCE('c' || s.customer_id::text, 's' || h.session_id::text) AS who,
                          CASE h.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2
                                          WHEN 'low' THEN 3 ELSE 9 END AS rank
                   FROM handoffs h JOIN sessions s ON s.id = h.session_id
                   WHERE h.kind = 'human' AND h.status = 'waiting' AND s.held_by IS NULL),
               per AS (
                   SELECT w.*, row_number() OVER (PARTITION BY who ORDER BY rank, created_at, id) AS nth,
                          row_number() OVER (PARTITION BY who ORDER BY rank, created_at DESC, id DESC) AS newest,
                          min(created_at) OVER (PARTITION BY w.session_id) AS session_at,
                          min(created_at) OVER (PARTITION BY who) AS first_at,
                          count(*) OVER (PARTITION BY who) AS waiting
                   FROM w),
               ordered AS (
                   SELECT who, rank, row_number() OVER (ORDER BY rank, first_at, id) AS place FROM per WHERE nth = 1)
               SELECT p.id, p.session_id::text AS session_id, p.priority, p.queue, p.summary, p.nth, p.who,
                      p.first_at, p.session_at, extract(epoch FROM now() - p.first_at)::float8 AS waiting_s,
                      extract(epoch FROM now() - p.session_at)::float8 AS session_waiting_s, p.waiting,
                      c.full_name AS customer, p.channel, p.language
               FROM per p JOIN ordered o ON o.who = p.who LEFT JOIN customers c ON c.id = p.customer_id
               WHERE (o.place <= $1 OR o.rank = 0) AND (p.nth = 1 OR p.newest <= $2)
               ORDER BY o.place, p.newest""",
            limit,
            MAX_OTHERS,
        )
        heads: dict[str, QueueEntry] = {}
        others: dict[str, list[QueueEntry]] = {}
        for r in rows:
            entry = QueueEntry(
                handoff_id=r["id"],
                session_id=r["session_id"],
                priority=r["priority"],
                queue=r["queue"],
                summary=r["summary"],
                waiting_s=max(0.0, r["waiting_s" if r["nth"] == 1 else "session_waiting_s"]),
                customer=r["customer"],
                channel=r["channel"],
                created_at=r["first_at" if r["nth"] == 1 else "session_at"],
                language=r["language"],
                waiting=int(r["waiting"]),
            )
            if r["nth"] == 1:
                heads[r["who"]] = entry
            elif r["session_id"] not in {o.session_id for o in others.get(r["who"], [])}:
                others.setdefault(r["who"], []).append(entry)
        return [
            replace(head, others=tuple(o for o in others.get(who, []) if o.session_id != head.session_id))
            for who, head in heads.items()
        ]

    async def message(self, message_id: int) -> StoredMessage | None:
        row = await self.db.fetchrow(_MESSAGE_SQL + " WHERE m.id = $1", message_id)
        return StoredMessage(**dict(row)) if row else None

    async def messages_after(self, session_id: str, after_id: int, limit: int = 500) -> list[StoredMessage]:
        rows = await self.db.fetch(
            _MESSAGE_SQL + " WHERE m.session_id = $1 AND m.id > $2 ORDER BY m.seq LIMIT $3",
            _sid(session_id),
            after_id,
            limit,
        )
        return [StoredMessage(**dict(r)) for r in rows]

    async def transcript(self, session_id: str, limit: int = 200) -> list[StoredMessage]:
        rows = await self.db.fetch(
            f"SELECT * FROM ({_MESSAGE_SQL} WHERE m.session_id = $1 ORDER BY m.seq DESC LIMIT $2) t ORDER BY seq",
            _sid(session_id),
            limit,
        )
        return [StoredMessage(**dict(r)) for r in rows]

    async def last_message_id(self, session_id: str) -> int:
        value = await self.db.fetchval(
            "SELECT COALESCE(max(id), 0) FROM messages WHERE session_id = $1", _sid(session_id)
        )
        return int(value)

    async def holder(self, session_id: str) -> int | None:
        """The operator id holding the session, or None (also for unknown sessions)."""
        try:
            sid = uuid.UUID(session_id)
        except ValueError:
            return None
        held: int | None = await self.db.fetchval("SELECT held_by FROM sessions WHERE id = $1", sid)
        return held

    async def session_exists(self, session_id: str) -> bool:
        try:
            sid = uuid.UUID(session_id)
        except ValueError:
            return False
        return bool(await self.db.fetchval("SELECT 1 FROM sessions WHERE id = $1", sid))

    async def held_sessions(self, operator_id: int) -> list[str]:
        rows = await self.db.fetch(
            "SELECT id::text AS id FROM sessions WHERE held_by = $1 ORDER BY updated_at", operator_id
        )
        return [r["id"] for r in rows]

    # --- changing ------------------------------------------------------------------------
    async def take(self, handoff_id: int, operator_id: int) -> str:
        """Hold the handoff's session for this operator; the session id. Exactly one racer wins."""
        async with self.pool.acquire() as conn, conn.transaction():
            sid = await conn.fetchval(
                """UPDATE handoffs SET status = 'held', operator_id = $2, taken_at = now()
                   WHERE id = $1 AND kind = 'human' AND status = 'waiting' RETURNING session_id""",
                handoff_id,
                operator_id,
            )
            if sid is None:
                status = await conn.fetchval("SELECT status FROM handoffs WHERE id = $1 AND kind = 'human'", handoff_id)
                if status is None:
                    raise UnknownHandoff(f"No handoff #{handoff_id} waits for a person.")
                raise AlreadyTaken(f"Handoff #{handoff_id} is already {status}; pick another from the queue.")
            held = await conn.fetchval(
                """UPDATE sessions SET held_by = $2, status = 'human', updated_at = now()
                   WHERE id = $1 AND (held_by IS NULL OR held_by = $2) RETURNING id""",
                sid,
                operator_id,
            )
            if held is None:
                raise AlreadyTaken("Another operator already holds this conversation.")
            await conn.execute(
                """UPDATE handoffs SET status = 'held', operator_id = $2, taken_at = now()
                   WHERE session_id = $1 AND kind = 'human' AND status = 'waiting'""",
                sid,
                operator_id,
            )
            await conn.execute(
                """UPDATE tickets SET status = 'in_progress'
                   WHERE status = 'open' AND id IN (
                       SELECT (context->>'ticket_id')::bigint FROM handoffs
                       WHERE session_id = $1 AND kind = 'human' AND status = 'held' AND context ? 'ticket_id')""",
                sid,
            )
        return str(sid)

    async def send(self, session_id: str, operator_id: int, text: str) -> StoredMessage:
        """Store the operator's message in the conversation; NotHolding unless they hold it."""
        sid = _sid(session_id)
        for _ in range(5):
            try:
                row = await self.db.fetchrow(
                    """WITH m AS (
                           INSERT INTO messages (session_id, seq, role, text, agent, operator_id)
                           SELECT s.id, COALESCE((SELECT max(seq) FROM messages WHERE session_id = s.id), 0) + 1,
                                  'agent', $3, 'human', $2
                           FROM sessions s WHERE s.id = $1 AND s.held_by = $2
                           RETURNING *)
                       SELECT m.id, m.session_id::text AS session_id, m.seq, m.role, m.text, m.agent,
                              o.name AS operator, m.created_at
                       FROM m JOIN operators o ON o.id = m.operator_id""",
                    sid,
                    operator_id,
                    text,
                )
            except asyncpg.UniqueViolationError:
                continue
            if row is None:
                raise NotHolding("You do not hold this conversation; take its handoff first.")
            return StoredMessage(**dict(row))
        raise RuntimeError("could not store the message after 5 attempts")

    async def release(self, session_id: str, operator_id: int, note: str | None) -> None:
        """Give the session back to the bot, with the operator's note for its next turns."""
        sid = _sid(session_id)
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                """UPDATE sessions SET held_by = NULL, status = 'active', updated_at = now(),
                       state = CASE WHEN $3::text IS NULL THEN state - 'operator_note'
                                    ELSE state || jsonb_build_object('operator_note', $3::text) END
                   WHERE id = $1 AND held_by = $2 RETURNING id""",
                sid,
                operator_id,
                note,
            )
            if done is None:
                raise NotHolding("You do not hold this conversation.")
            await conn.execute(
                """UPDATE handoffs SET status = 'released', resolution = $3
                   WHERE session_id = $1 AND kind = 'human' AND status = 'held' AND operator_id = $2""",
                sid,
                operator_id,
                note,
            )

    async def close(self, session_id: str, operator_id: int, resolution: str, *, supervisor: bool) -> int:
        """Close the session's open handoffs and their tickets; the number of handoffs closed.

        The holder may close; a supervisor may close any session's handoffs, waiting, held or released.
        """
        sid = _sid(session_id)
        async with self.pool.acquire() as conn, conn.transaction():
            held = await conn.fetchval("SELECT held_by FROM sessions WHERE id = $1 FOR UPDATE", sid)
            if held != operator_id and not supervisor:
                raise NotHolding("You do not hold this conversation; take its handoff first.")
            rows = await conn.fetch(
                """UPDATE handoffs SET status = 'closed', closed_at = now(), resolution = $2,
                       operator_id = COALESCE(operator_id, $3)
                   WHERE session_id = $1 AND kind = 'human' AND status IN ('waiting', 'held', 'released')
                   RETURNING (context->>'ticket_id')::bigint AS ticket_id""",
                sid,
                resolution,
                operator_id,
            )
            if not rows and held is None:
                raise NotHolding("This conversation has no open handoff to close.")
            tickets = [r["ticket_id"] for r in rows if r["ticket_id"] is not None]
            if tickets:
                await conn.execute("UPDATE tickets SET status = 'closed' WHERE id = ANY($1::bigint[])", tickets)
            await conn.execute(
                "UPDATE sessions SET held_by = NULL, status = 'active', updated_at = now() WHERE id = $1", sid
            )
            return len(rows)


async def requeue_operator(conn: asyncpg.Connection, operator_id: int) -> int:
    """Put every session this operator holds back in the queue (they were disabled); how many."""
    async with conn.transaction():
        rows = await conn.fetch(
            "UPDATE sessions SET held_by = NULL, updated_at = now() WHERE held_by = $1 RETURNING id", operator_id
        )
        await conn.execute(
            """UPDATE handoffs SET status = 'waiting', operator_id = NULL, taken_at = NULL
               WHERE operator_id = $1 AND kind = 'human' AND status = 'held'""",
            operator_id,
        )
        return len(rows)


async def withdraw_waiting(pool: asyncpg.Pool, session_id: str, queues: tuple[str, ...], resolution: str) -> int:
    """Close the session's handoffs still `waiting` in `queues` (nobody took them yet) and their tickets, with
    `resolution` as the reason; how many. One a person already holds is theirs to close, and is left alone."""
    sid = _sid(session_id)
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """UPDATE handoffs SET status = 'closed', closed_at = now(), resolution = $3
               WHERE session_id = $1 AND kind = 'human' AND status = 'waiting' AND queue = ANY($2::text[])
               RETURNING (context->>'ticket_id')::bigint AS ticket_id""",
            sid,
            list(queues),
            resolution,
        )
        tickets = [r["ticket_id"] for r in rows if r["ticket_id"] is not None]
        if tickets:
            await conn.execute("UPDATE tickets SET status = 'closed' WHERE id = ANY($1::bigint[])", tickets)
        if rows:  # nobody else on the way: the conversation is the assistant's again
            await conn.execute(
                """UPDATE sessions SET status = 'active', updated_at = now() WHERE id = $1 AND status = 'human'
                   AND NOT EXISTS (SELECT 1 FROM handoffs WHERE session_id = $1 AND kind = 'human'
                                   AND status IN ('waiting', 'held'))""",
                sid,
            )
        return len(rows)

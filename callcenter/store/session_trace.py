"""The whole conversation for a person or an integration: session, messages, and per-turn trace.

Each turn shows what the product decided and what it cost: the router's vertical,
confidence and difficulty, the agent and tier, the tools it called (arguments and results
with secrets masked), the model calls' cost and latency, and escalations. Card numbers are
already masked before storage; this adds a second guard for any field named like a secret.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from callcenter.redaction import mask_card_numbers

MASK = "***"
_SECRET_KEY = re.compile(r"(card|cvv|cvc|ssn|social|password|passcode|secret|token|pin|iban|account_number)", re.I)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")


def mask_secrets(value: Any) -> Any:
    """A copy of a JSON value with secret-named fields replaced and card/SSN-shaped text masked."""
    if isinstance(value, dict):
        return {
            k: (MASK if _SECRET_KEY.search(str(k)) and v not in (None, "") else mask_secrets(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    if isinstance(value, str):
        return _SSN.sub("***-**-****", mask_card_numbers(value))
    return value


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _row(record: asyncpg.Record) -> dict[str, Any]:
    return {k: _json(v) for k, v in dict(record).items()}


async def session_trace(pool: asyncpg.Pool, session_id: str) -> dict[str, Any] | None:
    """Everything stored about one session, or None when there is no such session."""
    try:
        sid = uuid.UUID(session_id)
    except ValueError:
        return None
    async with pool.acquire() as conn:
        session = await conn.fetchrow(
            """SELECT s.id, s.customer_id, c.full_name AS customer, s.channel, s.status, s.active_agent,
                      o.name AS held_by, s.step_count, s.policy, s.language, s.created_at, s.updated_at
               FROM sessions s LEFT JOIN customers c ON c.id = s.customer_id
               LEFT JOIN operators o ON o.id = s.held_by WHERE s.id = $1""",
            sid,
        )
        if session is None:
            return None
        messages = await conn.fetch(
            """SELECT m.id, m.seq, m.role, m.text, m.agent, o.name AS operator, m.created_at
               FROM messages m LEFT JOIN operators o ON o.id = m.operator_id
               WHERE m.session_id = $1 ORDER BY m.seq""",
            sid,
        )
        turns = await conn.fetch(
            """SELECT t.id, t.message_id, t.vertical, t.confidence, t.difficulty, t.agent, t.tier, t.outcome,
                      t.escalations, t.latency_ms, t.created_at,
                      COALESCE(sum(mc.cost_usd), 0) AS cost_usd, count(mc.id) AS model_calls,
                      array_remove(array_agg(DISTINCT mc.model), NULL) AS models
               FROM turns t LEFT JOIN model_calls mc ON mc.turn_id = t.id
               WHERE t.session_id = $1 GROUP BY t.id ORDER BY t.id""",
            sid,
        )
        tools = await conn.fetch(
            """SELECT turn_id, tool, arguments, result, status, error, latency_ms FROM tool_calls
               WHERE session_id = $1 ORDER BY id""",
            sid,
        )
        escalations = await conn.fetch(
            """SELECT turn_id, tier, model, escalation_reason FROM model_calls
               WHERE session_id = $1 AND escalation_of IS NOT NULL ORDER BY id""",
            sid,
        )
        handoffs = await conn.fetch(
            """SELECT h.id, h.turn_id, h.from_agent, h.to_agent, h.kind, h.priority, h.queue, h.status,
                      o.name AS operator, h.created_at, h.taken_at, h.closed_at, h.resolution
               FROM handoffs h LEFT JOIN operators o ON o.id = h.operator_id
               WHERE h.session_id = $1 ORDER BY h.id""",
            sid,
        )
    tools_by_turn: dict[int | None, list[dict[str, Any]]] = {}
    for t in tools:
        tools_by_turn.setdefault(t["turn_id"], []).append(
            {
                "name": t["tool"],
                "arguments": mask_secrets(t["arguments"]),
                "result": mask_secrets(t["result"]),
                "status": t["status"],
                "error": t["error"],
                "latency_ms": t["latency_ms"],
            }
        )
    esc_by_turn: dict[int | None, list[dict[str, Any]]] = {}
    for e in escalations:
        esc_by_turn.setdefault(e["turn_id"], []).append(
            {"to_tier": e["tier"], "model": e["model"], "reason": e["escalation_reason"]}
        )
    return {
        "session": {**_row(session), "id": str(session["id"])},
        "messages": [_row(m) for m in messages],
        "turns": [
            {
                **_row(t),
                "cost_usd": float(t["cost_usd"]),
                "models": list(t["models"]),
                "tools": tools_by_turn.get(t["id"], []),
                "escalation_steps": esc_by_turn.get(t["id"], []),
            }
            for t in turns
        ],
        "handoffs": [_row(h) for h in handoffs],
    }

"""What supervisors read on the desk: money per agent, handoffs by status, the sessions live now.

Read-only aggregates over the conversation tables, kept here so the desk's HTTP handlers speak
JSON and nothing else; the row shapes are the wire shapes of `GET /v1/desk/costs` and
`GET /v1/desk/sessions` (docs/openapi.yaml).
"""

from __future__ import annotations

from typing import Any

from callcenter.store.db import RetryingPool

# The live view's page: the newest sessions first, no more than this many.
LIVE_SESSIONS_LIMIT = 100


async def costs_by_agent(pool: RetryingPool) -> dict[str, Any]:
    """Calls and cost per agent (and what frontier-only would have cost), and human handoffs by status."""
    rows = await pool.fetch(
        """SELECT COALESCE(agent, 'none') AS agent, count(*) AS calls, COALESCE(sum(cost_usd), 0) AS cost_usd,
                  COALESCE(sum(frontier_cost_usd), 0) AS frontier_cost_usd
           FROM model_calls WHERE status = 'ok' GROUP BY 1 ORDER BY 3 DESC"""
    )
    handoffs = await pool.fetch("SELECT status, count(*) AS n FROM handoffs WHERE kind = 'human' GROUP BY status")
    return {
        "agents": [
            {
                "agent": r["agent"],
                "calls": r["calls"],
                "cost_usd": float(r["cost_usd"]),
                "frontier_cost_usd": float(r["frontier_cost_usd"]),
            }
            for r in rows
        ],
        "human_handoffs": {r["status"]: r["n"] for r in handoffs},
    }


async def recent_sessions(pool: RetryingPool, minutes: int) -> list[dict[str, Any]]:
    """Sessions touched in the last `minutes`, newest first, with who holds them and how long they are."""
    rows = await pool.fetch(
        """SELECT s.id::text AS session_id, s.channel, s.status, c.full_name AS customer, o.name AS held_by,
                  s.active_agent, s.updated_at,
                  (SELECT count(*) FROM messages m WHERE m.session_id = s.id) AS messages
           FROM sessions s LEFT JOIN customers c ON c.id = s.customer_id LEFT JOIN operators o ON o.id = s.held_by
           WHERE s.updated_at > now() - make_interval(mins => $1) ORDER BY s.updated_at DESC LIMIT $2""",
        minutes,
        LIVE_SESSIONS_LIMIT,
    )
    return [{**dict(r), "updated_at": r["updated_at"].isoformat()} for r in rows]

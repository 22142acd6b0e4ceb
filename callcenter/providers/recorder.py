"""PostgresCallRecorder: one `model_calls` row per model attempt.

Cost reports, the savings figure and the escalation analysis all read this table, so
failed attempts are written too (status 'error', zero usage): they cost latency even
when they cost no tokens.
"""

from __future__ import annotations

import uuid

import asyncpg

from callcenter.providers.base import ModelCallRecord
from callcenter.store.db import RetryingPool

_INSERT = """
INSERT INTO model_calls (
    session_id, turn_id, agent, step_type, provider, model, tier,
    input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,
    cost_usd, frontier_cost_usd, latency_ms, ttft_ms,
    escalation_of, escalation_reason, status, error, prices_read_on
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
RETURNING id
"""


class PostgresCallRecorder:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = RetryingPool(pool)  # a database restart mid-turn must not lose the bill

    async def record(self, call: ModelCallRecord) -> int:
        u = call.usage
        row_id = await self._pool.fetchval(
            _INSERT,
            uuid.UUID(call.session_id) if call.session_id else None,
            call.turn_id,
            call.agent or None,
            str(call.step_type),
            call.provider,
            call.model,
            int(call.tier),
            u.input_tokens,
            u.output_tokens,
            u.cache_write_tokens,
            u.cache_read_tokens,
            call.cost_usd,
            call.frontier_cost_usd,
            call.latency_ms,
            call.ttft_ms,
            call.escalation_of,
            call.escalation_reason,
            call.status,
            call.error,
            call.prices_read_on,
        )
        return int(row_id)

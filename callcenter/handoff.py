"""Handing a conversation to a person: one service for the web chat, the phone relay and call transcripts.

The business names the tool that does it (`HUMAN_HANDOFF_TOOL` in its agents module); the tool
takes `queue`, `priority`, `summary` and `reason` and may answer with a `ticket_id` and a
`handoff_id`. It runs like any tool — for the session's customer, once per idempotency key —
so a retried turn or a re-posted call never hands over twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from callcenter.app import App
from callcenter.specialists.flow import HumanHandoffRequest
from callcenter.tooling.executor import TurnTools

SUMMARY_CHARS = 1000
REASON_CHARS = 300


class HumanHandoff:
    def __init__(self, app: App, pool: asyncpg.Pool, *, clock: Callable[[], datetime] | None = None) -> None:
        self.app = app
        self.pool = pool
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def available(self) -> bool:
        """Whether the business has a way to reach a person at all."""
        return self.app.human_handoff_tool is not None and self.app.human_handoff_tool in self.app.tools

    async def hand_over(
        self,
        request: HumanHandoffRequest,
        *,
        session_id: str,
        customer_id: int | None,
        turn_id: int | None,
        agent: str,
        idempotency_key: str,
    ) -> dict[str, Any] | None:
        """Run the business's handoff tool; its result, or None when the business has none.

        Raises `ToolError` when the tool refuses: the caller decides what the customer hears.
        """
        if not self.available:
            return None
        tool = self.app.tools[str(self.app.human_handoff_tool)]
        runner = TurnTools(
            pool=self.pool,
            tools={tool.name: tool},
            session_id=session_id,
            turn_id=turn_id,
            customer_id=customer_id,
            agent=agent,
            now=self._clock(),
            max_calls=1,
        )
        args = {
            "queue": request.queue,
            "priority": request.priority.value,
            "summary": request.summary[:SUMMARY_CHARS],
            "reason": request.reason[:REASON_CHARS],
        }
        return await runner.call(tool.name, args, idempotency_key=idempotency_key)

"""A test-side conversation with one agent's deterministic flow, over the real tools.

Shared by the agent tests: tools run in a transaction with the session's customer, the
way the orchestrator's executor runs them.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.tooling.toolkit import ToolContext
from callcenter.types import HandoffContext


class Convo:
    """One resident's conversation with one agent; tools run like the orchestrator runs them."""

    def __init__(self, pool: asyncpg.Pool, agent: AgentSpec, customer_id: int | None, now: datetime) -> None:
        self.pool, self.agent, self.customer_id, self.now = pool, agent, customer_id, now
        self.session_id = str(uuid.uuid4())
        self.state: dict[str, Any] = {}
        self.history: list[tuple[str, str]] = []
        self.calls: list[str] = []

    async def open(self) -> Convo:
        await self.pool.execute(
            "INSERT INTO sessions (id, customer_id, channel) VALUES ($1, $2, 'web')",
            uuid.UUID(self.session_id),
            self.customer_id,
        )
        return self

    async def call_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        tool = self.agent.tool(name)
        self.calls.append(name)
        async with self.pool.acquire() as conn, conn.transaction():
            ctx = ToolContext(
                conn,
                self.session_id,
                self.customer_id,
                self.now,
                idempotency_key=f"{self.session_id}:k{len(self.calls)}",
                agent=self.agent.name,
            )
            return await tool.fn(ctx, tool.parse(args))

    async def say(self, text: str) -> FlowReply:
        assert self.agent.flow is not None
        context = HandoffContext(
            session_id=self.session_id,
            customer_id=self.customer_id,
            vertical=self.agent.vertical,
            confidence=0.9,
            to_agent=self.agent.name,
        )
        turn = FlowTurn(
            text=text,
            state=dict(self.state),
            context=context,
            call_tool=self.call_tool,
            now=self.now,
            history=list(self.history),
        )
        reply = await self.agent.flow().step(turn)
        json.dumps(reply.state)  # state must survive a round trip through jsonb
        self.state = {} if reply.done else reply.state
        self.history += [("user", text), ("assistant", reply.text)]
        return reply

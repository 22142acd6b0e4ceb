"""The turn handle every flow step works through.

A flow calls tools through it so that the reply it builds carries exactly the tool results it
relied on: the verifier checks the reply's claims against those results, nothing else.
"""

from __future__ import annotations

from typing import Any

from callcenter.specialists.flow import FlowReply, FlowTurn, HumanHandoffRequest


class ToolTurn:
    """One flow step: calls tools and keeps their results for the reply the verifier checks."""

    def __init__(self, turn: FlowTurn) -> None:
        self.turn = turn
        self.results: list[dict[str, Any]] = []

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await self.turn.call_tool(name, args)
        self.results.append(result)
        return result

    def reply(
        self,
        text: str,
        state: dict[str, Any] | None = None,
        *,
        done: bool = False,
        human: HumanHandoffRequest | None = None,
    ) -> FlowReply:
        return FlowReply(text=text, state=state or {}, done=done, human=human, tool_results=list(self.results))

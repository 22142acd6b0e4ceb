"""The seam between the orchestrator and whatever runs a specialist step.

The offline backend runs the agent's deterministic flow; the model backend runs an LLM
with tool use, verification and escalation. Both take a `SpecialistTurn` and give back a
`SpecialistResult`, so the orchestrator does not change when models are plugged in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn, HumanHandoffRequest
from callcenter.specialists.verifier import GENERIC_PROMISES, verify_reply
from callcenter.tooling.executor import TurnTools
from callcenter.types import HandoffContext, Tier, Verdict

OnDelta = Callable[[str], Awaitable[None]]


@dataclass(slots=True)
class SpecialistTurn:
    agent: AgentSpec
    text: str
    state: dict[str, Any]
    context: HandoffContext
    tools: TurnTools
    now: datetime
    history: list[tuple[str, str]]
    turn_id: int
    difficulty: float | None = None
    claims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    promises: tuple[str, ...] = GENERIC_PROMISES

    def verify(self, reply: str, evidence: Sequence[dict[str, Any]]) -> Verdict:
        """Check `reply` against `evidence` (tool results and flow state) and this turn's tool calls.

        The one place replies are verified: the model backend calls it inside its escalation loop,
        the orchestrator for a reply no backend verified, and a backend that streams must call it
        before the first delta.
        """
        return verify_reply(
            reply,
            user_text=self.text,
            tool_results=evidence,
            tools_called=[c.tool for c in self.tools.calls if c.error is None],
            tools_failed=[c.tool for c in self.tools.calls if c.error is not None],
            claims=self.claims,
            facts=self.facts(),
            promises=self.promises,
        )

    def facts(self) -> set[str]:
        """The claim phrases this turn's successful tool results state as facts (`Tool.facts_of`)."""
        out: set[str] = set()
        for call in self.tools.calls:
            tool = self.tools.tools.get(call.tool)
            if tool is not None and call.error is None:
                out.update(tool.facts_of(call.result))
        return out


@dataclass(slots=True)
class SpecialistResult:
    text: str
    state: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    human: HumanHandoffRequest | None = None
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    tier: Tier | None = None
    escalations: int = 0
    outcome: str = "ok"
    verdict: Verdict | None = None
    """The verifier's verdict on `text` when the backend already checked it (through `turn.verify`);
    None and the orchestrator checks it."""

    @classmethod
    def of_flow(cls, reply: FlowReply, turn: SpecialistTurn, **extra: Any) -> SpecialistResult:
        """A flow's reply as a result; its evidence is the results the flow names, else every result this
        turn's tools returned (the one place a flow step's tool results are gathered)."""
        results = list(reply.tool_results) or [c.result for c in turn.tools.calls if c.result is not None]
        return cls(
            text=reply.text, state=reply.state, done=reply.done, human=reply.human, tool_results=results, **extra
        )


class SpecialistBackend(Protocol):
    name: str

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult: ...


class FlowBackend:
    """The offline backend: each agent's deterministic flow over the same typed tools."""

    name = "local"

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult:
        flow_cls = turn.agent.flow
        if flow_cls is None:
            raise RuntimeError(f"agent {turn.agent.name} has no deterministic flow")
        flow = flow_cls()
        reply = await flow.step(
            FlowTurn(
                text=turn.text,
                state=turn.state,
                context=turn.context,
                call_tool=turn.tools.call,
                now=turn.now,
                history=turn.history,
            )
        )
        return SpecialistResult.of_flow(reply, turn)


async def flow_first_turn(turn: SpecialistTurn) -> SpecialistResult:
    """A turn the policy gives the agent's flow (tier 0, or a `flow_first` agent under flow-first):
    its flow answers, no model is called, and the turn's outcome says so (`flow`) for reports."""
    result = await FlowBackend().run(turn)
    result.outcome = "flow"
    return result

"""A model backend whose correct answer is known: for comparing routing policies offline.

The agent's deterministic flow proposes every action (each tool call, then the reply);
before an action happens, a model of the policy's tier must produce it, over the real SDK
against the fake provider's modelled tiers (`x-fake-oracle` carries the expected answer,
`x-fake-difficulty` the turn's difficulty). A model that hedges or garbles arguments is
escalated exactly as in production; when the allowed tiers are exhausted the action does
not happen and the customer is handed to a person. Cost, latency, tier mix and database
end state are therefore those a policy would produce with models of that competence.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import structlog

from callcenter.fakellm.oracle import DIFFICULTY_HEADER, ORACLE_HEADER, encode_oracle_payload
from callcenter.providers.base import ChatMessage, ModelResponse
from callcenter.providers.client import AllProvidersFailed, CallContext, ModelClient
from callcenter.specialists.escalation import Ladder, NoTierLeft, Retry, climb
from callcenter.specialists.flow import FlowTurn, HumanHandoffRequest
from callcenter.specialists.prompt_layout import SharedPrefix, agent_request
from callcenter.specialists.seam import OnDelta, SpecialistResult, SpecialistTurn, flow_first_turn
from callcenter.specialists.tier_policy import RoutingPolicy
from callcenter.types import Priority, StepType, Tier

log = structlog.get_logger(__name__)


class ModelGaveUp(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _as_json(value: Any) -> Any:
    """`value` as it looks after a JSON round trip (dates become strings): what a model can send."""
    return json.loads(json.dumps(value, default=str))


class GuidedModelBackend:
    name = "modelled"

    def __init__(
        self,
        client: ModelClient,
        policy: RoutingPolicy,
        *,
        difficulty_for: Callable[[SpecialistTurn], float | None] | None = None,
        shared: SharedPrefix | None = None,
    ) -> None:
        self.client = client
        self.policy = policy
        self.difficulty_for = difficulty_for or (lambda turn: turn.difficulty)
        self.shared = shared

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult:
        flow_cls = turn.agent.flow
        if flow_cls is None:
            raise RuntimeError(f"agent {turn.agent.name} has no flow to guide the model")
        policy = self.policy.with_overrides(turn.agent.routing)
        if policy.flow_answers(turn.agent.name, flow_first=turn.agent.flow_first, difficulty=turn.difficulty):
            return await flow_first_turn(turn)
        difficulty = self.difficulty_for(turn)
        step = StepType.TOOL_SELECTION if turn.agent.tools else StepType.RESPONSE
        ladder = Ladder(
            policy,
            policy.start_tier(step, turn.agent.default_tier, turn.difficulty),
            session_id=turn.context.session_id,
            turn_id=turn.turn_id,
        )

        async def gated_call(name: str, args: dict[str, Any]) -> dict[str, Any]:
            await self._attempt(
                turn,
                ladder,
                difficulty,
                StepType.TOOL_SELECTION,
                {"tool_calls": [{"name": name, "arguments": args}]},
                lambda r: (
                    bool(r.tool_calls) and r.tool_calls[0].name == name and r.tool_calls[0].arguments == _as_json(args)
                ),
            )
            return await turn.tools.call(name, args)

        try:
            reply = await flow_cls().step(
                FlowTurn(
                    text=turn.text,
                    state=turn.state,
                    context=turn.context,
                    call_tool=gated_call,
                    now=turn.now,
                    history=turn.history,
                )
            )
            await self._attempt(
                turn,
                ladder,
                difficulty,
                StepType.RESPONSE,
                {"text": reply.text},
                lambda r: r.text.strip() == reply.text.strip(),
            )
        except ModelGaveUp as exc:
            return SpecialistResult(
                text="I'm sorry, I couldn't complete that reliably. I'm passing you to a member of our team.",
                human=HumanHandoffRequest(
                    "general", Priority.NORMAL, turn.context.summary, f"model gave up: {exc.reason}"
                ),
                tier=ladder.tier,
                escalations=ladder.escalations,
                outcome="model_failed",
            )
        return SpecialistResult.of_flow(reply, turn, tier=ladder.tier, escalations=ladder.escalations)

    async def _attempt(
        self,
        turn: SpecialistTurn,
        ladder: Ladder,
        difficulty: float | None,
        step: StepType,
        expected: dict[str, Any],
        correct: Callable[[ModelResponse], bool],
    ) -> None:
        """A model of the ladder's tier must produce the flow's next action, escalating until one does."""
        headers = {ORACLE_HEADER: encode_oracle_payload(expected)}
        if difficulty is not None:
            headers[DIFFICULTY_HEADER] = f"{difficulty:.3f}"
        request = agent_request(
            turn.agent,
            [ChatMessage(role="user", text=turn.text)],
            shared=self.shared,
            step_type=step,
            extra_headers=headers,
        )

        async def call(tier: Tier, context: CallContext) -> ModelResponse:
            return await self.client.complete(request, tier, context=context)

        async def judge(response: ModelResponse) -> ModelResponse | Retry:
            return response if correct(response) else Retry("wrong action")

        try:
            response = await climb(ladder, call, judge)
        except NoTierLeft as exc:
            raise ModelGaveUp(exc.reason) from exc
        except AllProvidersFailed as exc:
            raise ModelGaveUp(f"providers unavailable: {exc}") from exc
        ladder.tier = max(ladder.tier, response.model.tier)

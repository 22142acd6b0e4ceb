"""Escalation: the signals that send a step one tier up, and the one loop that climbs the tiers.

Claude and the GPT-5 family return no token logprobs, so for them the signals are
behavioural: hedges, refusals, tool arguments that fail validation, tool errors and the
verifier's verdict. Where the catalog says a model returns logprobs, a low mean token
probability is a signal too.

`climb` is shared by every backend that runs steps on models (the production model backend
and the modelled backend evals compare policies with): call a tier, read the signals, let the
backend judge the answer, and on a failure re-run one tier up until the policy's cap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from callcenter.providers.base import ModelResponse
from callcenter.providers.client import CallContext
from callcenter.specialists.tier_policy import RoutingPolicy
from callcenter.specialists.verifier import is_hedge
from callcenter.types import Tier

log = structlog.get_logger(__name__)

T = TypeVar("T")


def response_escalation_reason(response: ModelResponse, *, logprob_threshold: float) -> str | None:
    """Why this response should be re-run one tier up, or None when it looks confident."""
    if response.stop_reason == "refusal":
        return "refusal"
    for call in response.tool_calls:
        if call.arguments is None:
            return f"invalid tool arguments for {call.name}"
    if response.text and not response.tool_calls and is_hedge(response.text):
        return "hedge"
    if response.logprob_confidence is not None and response.logprob_confidence < logprob_threshold:
        return f"low logprob confidence {response.logprob_confidence:.2f}"
    if not response.text.strip() and not response.tool_calls:
        return "empty response"
    return None


@dataclass(frozen=True, slots=True)
class Retry:
    """A backend's verdict on a response: not good enough, re-run it one tier up."""

    reason: str


class NoTierLeft(Exception):
    """The step failed on the highest tier the policy allows (or the escalation cap was reached)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RoundLimit(Exception):
    """The step used all its rounds (tool rounds and escalations) without an answer."""


@dataclass(slots=True)
class Ladder:
    """One turn's climb: the tier the next call runs on, escalations so far, and why the last one happened."""

    policy: RoutingPolicy
    tier: Tier
    session_id: str
    turn_id: int
    escalations: int = 0
    last_call_id: int | None = None
    reason: str | None = None

    def call_context(self) -> CallContext:
        """The context of the next call: an escalation points at the call it re-runs."""
        return CallContext(
            session_id=self.session_id,
            turn_id=self.turn_id,
            escalation_of=self.last_call_id if self.reason else None,
            escalation_reason=self.reason,
        )

    def escalate(self, response: ModelResponse, reason: str) -> bool:
        """Move one tier up from the tier that answered; False when the policy allows no higher tier."""
        nxt = self.policy.next_tier(max(self.tier, response.model.tier), self.escalations)
        log.info(
            "model.escalation", reason=reason, from_tier=int(response.model.tier), to_tier=int(nxt) if nxt else None
        )
        if nxt is None:
            return False
        self.tier, self.escalations, self.reason = nxt, self.escalations + 1, reason
        return True


async def climb(
    ladder: Ladder,
    call: Callable[[Tier, CallContext], Awaitable[ModelResponse]],
    judge: Callable[[ModelResponse], Awaitable[T | Retry | None]],
    *,
    max_rounds: int | None = None,
    rejected: Callable[[str], None] | None = None,
) -> T:
    """Call models until `judge` accepts an answer, escalating on every failure signal.

    `judge` sees only responses without a failure signal and returns the backend's result,
    `Retry(reason)` to escalate, or None for another round on the same tier (after tool use).
    `rejected` hears the reason when a failure signal rejects a response before `judge` sees it.
    Raises `NoTierLeft` when a failure cannot escalate and `RoundLimit` after `max_rounds` calls.
    """
    rounds = 0
    while max_rounds is None or rounds < max_rounds:
        rounds += 1
        response = await call(ladder.tier, ladder.call_context())
        ladder.last_call_id, ladder.reason = response.call_id, None
        reason = response_escalation_reason(response, logprob_threshold=ladder.policy.logprob_threshold)
        if reason is not None and rejected is not None:
            rejected(reason)
        outcome = Retry(reason) if reason is not None else await judge(response)
        if outcome is None:
            continue
        if isinstance(outcome, Retry):
            if not ladder.escalate(response, outcome.reason):
                raise NoTierLeft(outcome.reason)
            continue
        return outcome
    raise RoundLimit(f"{max_rounds} rounds")

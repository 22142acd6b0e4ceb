"""A tier-1 model's second opinion on a routing verdict the local router is unsure of.

The seed's confidence escalation, applied to routing: a specialist step that looks unsure is
re-run one tier up; a router verdict whose calibrated confidence is below
`CALLCENTER_ROUTER_REASK_BELOW` is re-asked of a tier-1 model, which names one vertical. The
call goes through the same `ModelClient` as every other step, so it is a `model_calls` row
(step `classification`, tokens, cost, latency, the local verdict as escalation reason) and
shows in `callcenter report`. Emergencies are never re-asked (the rules already decided, and
they must not wait for a network). When the model is unavailable, slow or answers something
that is not a vertical, the local verdict stands: the second opinion can only help.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import structlog

from callcenter.providers.base import ChatMessage, ModelRequest
from callcenter.providers.client import AllProvidersFailed, CallContext, ModelClient
from callcenter.providers.deadline import remaining_s, turn_deadline
from callcenter.routing.router import Router
from callcenter.types import RouteDecision, StepType, Tier, Vertical

log = structlog.get_logger(__name__)

INSTRUCTIONS = """You route a customer's message to the team that handles it. \
Answer with exactly one team name from the list and nothing else.

Teams:
{teams}"""

HISTORY_TURNS = 4


class SecondOpinionRouter:
    """`inner`'s verdicts, with the unsure ones re-asked of a tier-1 model."""

    def __init__(
        self,
        inner: Router,
        client: ModelClient,
        teams: Mapping[Vertical, str],
        *,
        below: float,
        timeout_s: float = 3.0,
        tier: Tier = Tier.CHEAP,
    ) -> None:
        self.inner = inner
        self.client = client
        self.teams = dict(teams)
        self.below = below
        self.timeout_s = timeout_s
        self.tier = tier
        self.system = INSTRUCTIONS.format(teams="\n".join(f"- {v}: {d}" for v, d in self.teams.items()))

    async def route(
        self, text: str, history: Sequence[tuple[str, str]] = (), context: CallContext | None = None
    ) -> RouteDecision:
        decision = await self.inner.route(text, history, context=context)
        if decision.emergency or decision.confidence >= self.below:
            return decision
        return await self.reask(decision, text, history, context or CallContext())

    async def reask(
        self, decision: RouteDecision, text: str, history: Sequence[tuple[str, str]], context: CallContext
    ) -> RouteDecision:
        """The model's vertical for `text`, or `decision` unchanged when there is no usable answer."""
        started = time.perf_counter()
        why = f"router: {decision.vertical} at confidence {decision.confidence:.2f} < {self.below:.2f}"
        said = "\n".join(f"{role}: {t[:500]}" for role, t in list(history)[-HISTORY_TURNS:])
        prompt = (f"Conversation so far:\n{said}\n\n" if said else "") + f"Message to route:\n{text[:2000]}"
        request = ModelRequest(
            system=self.system,
            messages=[ChatMessage(role="user", text=prompt)],
            step_type=StepType.CLASSIFICATION,
            agent="router",
            max_tokens=10,
            cache_key="callcenter:router",
        )
        call = CallContext(context.session_id, context.turn_id, context.escalation_of, escalation_reason=why)
        left = remaining_s()
        budget = self.timeout_s if left is None else min(left, self.timeout_s)
        try:
            with turn_deadline(budget):
                response = await self.client.complete(request, self.tier, context=call)
        except (AllProvidersFailed, TimeoutError) as exc:
            log.warning("router.reask_failed", error=str(exc), kept=decision.vertical)
            return replace(decision, reason=f"{decision.reason}; tier-1 re-ask failed, local verdict kept")
        vertical = parse_vertical(response.text, self.teams)
        elapsed = (time.perf_counter() - started) * 1000
        log.info(
            "router.reasked",
            local=decision.vertical,
            local_confidence=round(decision.confidence, 3),
            model=response.model.id,
            answer=vertical or response.text[:40],
            latency_ms=round(elapsed, 1),
        )
        if vertical is None:
            return replace(decision, reason=f"{decision.reason}; tier-1 answer not a vertical, local verdict kept")
        return replace(
            decision,
            vertical=vertical,
            # The model gives no probability; its answer counts as clearing the bar it was asked at.
            confidence=max(self.below, decision.scores.get(vertical, 0.0)),
            latency_ms=decision.latency_ms + elapsed,
            reason=f"tier-1 re-ask ({response.model.id}): {vertical}; local said {decision.vertical} "
            f"at {decision.confidence:.2f}",
        )


_NAME = re.compile(r"[a-z_]+")


def parse_vertical(answer: str, teams: Mapping[Vertical, str]) -> Vertical | None:
    """The first word of `answer` that names a vertical ("Billing." -> billing), else None."""
    names = {str(v).lower(): v for v in teams}
    for word in _NAME.findall(answer.lower().replace("out of scope", "out_of_scope").replace("-", "_")):
        if word in names:
            return names[word]
    return None

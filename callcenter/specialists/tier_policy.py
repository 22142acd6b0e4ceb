"""Routing policies: which tier a step starts on and how far it may escalate.

Three mechanisms compose: static step-type routing (the kind of work picks the tier),
difficulty-predicted routing (a hard turn starts one tier up), and confidence-based
escalation (a low-confidence answer is re-run one tier up, capped per turn). The
single-tier policies exist to measure the routed one against.

Below the cheapest model sits tier 0, the agent's own deterministic flow: the routed policy
answers an easy turn (below the difficulty threshold) with the flow of an agent in
`tier0_agents`, the agents whose flows were measured reliable on a held-out split
(`specialists/flow_tiers.py`); hard turns and every other agent start on a model.

`flow-first` is the routed policy plus the business's word for the rest: the turns of agents
whose deterministic flow the business vouches for (`AgentSpec.flow_first`) are answered by
that flow with no model call. It is a policy of its own, never the routed one in disguise,
so every report shows both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from callcenter.settings import Settings
from callcenter.types import StepType, Tier

STATIC_STEP_TIERS: dict[StepType, Tier] = {
    StepType.CLASSIFICATION: Tier.CHEAP,
    StepType.EXTRACTION: Tier.CHEAP,
    StepType.TOOL_SELECTION: Tier.CHEAP,
    StepType.RESPONSE: Tier.CHEAP,
    StepType.VERIFICATION: Tier.CHEAP,
    StepType.USER_SIMULATION: Tier.CHEAP,
    StepType.PLANNING: Tier.MID,
    StepType.CODE_GENERATION: Tier.MID,
    StepType.MULTI_STEP_REASONING: Tier.FRONTIER,
}


@dataclass(frozen=True)
class RoutingPolicy:
    name: str
    step_tiers: Mapping[StepType, Tier] = field(default_factory=lambda: dict(STATIC_STEP_TIERS))
    difficulty_threshold: float | None = 0.5
    flow_first: bool = False
    """Turns of an agent marked `flow_first` are answered by its deterministic flow, no model."""
    tier0_agents: frozenset[str] = frozenset()
    """Agents whose flow answers their easy turns with no model (measured: `flow_tiers.FlowReliability`)."""
    escalate: bool = True
    min_tier: Tier = Tier.CHEAP
    max_tier: Tier = Tier.FRONTIER
    max_escalations: int = 2
    logprob_threshold: float = 0.70
    verifier_min_confidence: float = 0.5

    def start_tier(self, step: StepType, agent_tier: Tier = Tier.CHEAP, difficulty: float | None = None) -> Tier:
        """The tier a step starts on: the stricter of step type and agent default, bumped when hard."""
        tier = max(self.step_tiers.get(step, Tier.CHEAP), agent_tier)
        if self.difficulty_threshold is not None and difficulty is not None and difficulty >= self.difficulty_threshold:
            tier = tier.up()
        return self._clamp(tier)

    def flow_answers(self, agent: str, *, flow_first: bool, difficulty: float | None) -> bool:
        """Whether the agent's deterministic flow answers this turn, no model: the business vouches
        for it under flow-first, or it is tier 0 and the turn is below the difficulty threshold
        (the held-out measurement covers easy turns only)."""
        if self.flow_first and flow_first:
            return True
        if agent not in self.tier0_agents:
            return False
        return self.difficulty_threshold is None or difficulty is None or difficulty < self.difficulty_threshold

    def next_tier(self, current: Tier, escalations_so_far: int) -> Tier | None:
        """One tier up, or None when escalation is off, capped, or already at the top."""
        if not self.escalate or escalations_so_far >= self.max_escalations or current >= self.max_tier:
            return None
        return self._clamp(current.up())

    def _clamp(self, tier: Tier) -> Tier:
        return Tier(min(max(tier, self.min_tier), self.max_tier))

    def with_overrides(self, overrides: Mapping[str, Any]) -> RoutingPolicy:
        """Per-agent configuration (AgentSpec.routing) applied on top of the policy."""
        allowed = {
            k: v
            for k, v in overrides.items()
            if k in {"difficulty_threshold", "max_escalations", "logprob_threshold", "verifier_min_confidence"}
        }
        return replace(self, **allowed) if allowed else self


def _single(name: str, tier: Tier) -> RoutingPolicy:
    return RoutingPolicy(
        name=name,
        step_tiers={s: tier for s in StepType},
        difficulty_threshold=None,
        escalate=False,
        min_tier=tier,
        max_tier=tier,
    )


POLICIES: dict[str, RoutingPolicy] = {
    "routed": RoutingPolicy(name="routed"),
    "flow-first": RoutingPolicy(name="flow-first", flow_first=True),
    "cheap-only": _single("cheap-only", Tier.CHEAP),
    "mid-only": _single("mid-only", Tier.MID),
    "frontier-only": _single("frontier-only", Tier.FRONTIER),
}


def get_policy(name: str, **overrides: Any) -> RoutingPolicy:
    try:
        base = POLICIES[name]
    except KeyError:
        raise KeyError(f"unknown policy {name!r}; choose one of {', '.join(POLICIES)}") from None
    return replace(base, **overrides) if overrides else base


def policy_from_settings(
    settings: Settings,
    name: str = "routed",
    overrides: Mapping[str, Any] | None = None,
    *,
    tier0: frozenset[str] = frozenset(),
) -> RoutingPolicy:
    """The policy production runs and evals measure, built in one place.

    The routed policy takes the operator's (or `callcenter calibrate`'s) thresholds from
    settings, its tier-0 flows (`tier0`, the measured ones; none with `flow_tier0` off), then
    any explicit overrides (a calibration sweep's point); the single-tier baselines take only
    the overrides: they measure one model tier.
    """
    if name not in ("routed", "flow-first"):
        return get_policy(name, **dict(overrides or {}))
    tuned: dict[str, Any] = {
        "difficulty_threshold": settings.difficulty_threshold,
        "verifier_min_confidence": settings.verifier_min_confidence,
        "max_escalations": settings.max_escalations_per_turn,
        "logprob_threshold": settings.logprob_threshold,
        "tier0_agents": tier0 if settings.flow_tier0 else frozenset(),
    }
    tuned.update(overrides or {})
    return get_policy(name, **tuned)

from __future__ import annotations

from callcenter.settings import Settings
from callcenter.specialists.tier_policy import POLICIES, get_policy, policy_from_settings
from callcenter.types import StepType, Tier


def test_static_step_types() -> None:
    routed = POLICIES["routed"]
    assert routed.start_tier(StepType.TOOL_SELECTION) == Tier.CHEAP
    assert routed.start_tier(StepType.PLANNING) == Tier.MID
    assert routed.start_tier(StepType.MULTI_STEP_REASONING) == Tier.FRONTIER
    assert routed.start_tier(StepType.RESPONSE, agent_tier=Tier.MID) == Tier.MID


def test_difficulty_bumps_a_tier() -> None:
    routed = get_policy("routed", difficulty_threshold=0.6)
    assert routed.start_tier(StepType.RESPONSE, difficulty=0.59) == Tier.CHEAP
    assert routed.start_tier(StepType.RESPONSE, difficulty=0.6) == Tier.MID


def test_escalation_is_capped() -> None:
    routed = get_policy("routed", max_escalations=1)
    assert routed.next_tier(Tier.CHEAP, 0) == Tier.MID
    assert routed.next_tier(Tier.MID, 1) is None
    assert POLICIES["routed"].next_tier(Tier.FRONTIER, 0) is None


def test_single_tier_policies_never_move() -> None:
    for name, tier in (("cheap-only", Tier.CHEAP), ("mid-only", Tier.MID), ("frontier-only", Tier.FRONTIER)):
        p = POLICIES[name]
        assert p.start_tier(StepType.MULTI_STEP_REASONING, difficulty=1.0) == tier
        assert p.start_tier(StepType.CLASSIFICATION) == tier
        assert p.next_tier(tier, 0) is None


def test_agent_overrides() -> None:
    p = POLICIES["routed"].with_overrides({"difficulty_threshold": 0.9, "unknown": 1})
    assert p.difficulty_threshold == 0.9


def test_flow_first_is_a_policy_of_its_own() -> None:
    """The routed policy never serves turns from flows; flow-first is named, and only it does."""
    assert not POLICIES["routed"].flow_first
    assert POLICIES["flow-first"].flow_first
    for name in ("frontier-only", "mid-only", "cheap-only"):
        assert not POLICIES[name].flow_first
    settings = Settings(_env_file=None)
    assert policy_from_settings(settings, "flow-first").flow_first
    assert not policy_from_settings(settings).flow_first

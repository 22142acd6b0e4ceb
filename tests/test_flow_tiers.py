"""Tier 0: which flows the routed policy trusts, from a held-out record, and which turns they get.

The operator's view: a record of how each agent's flow did on held-out conversations decides
whether the routed policy answers that agent's easy turns with no model call. A flow that
failed more than 1 % of the held-out scenarios it spoke in, or was seen in too few, stays on
models; hard turns always go to models; the single-tier baselines never use flows.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from callcenter.app import load_app
from callcenter.settings import Settings
from callcenter.specialists.flow_tiers import FILE_NAME, MIN_PASS_RATE, MIN_SCENARIOS, FlowReliability
from callcenter.specialists.tier_policy import POLICIES, policy_from_settings

AGENTS = ("billing", "booking", "escalation", "general", "out_of_scope")


def _random_trials(
    rng: random.Random, n: int, fail_rate: dict[str, float]
) -> list[tuple[bool, list[tuple[str, bool]]]]:
    """Held-out runs: each speaks to 1-3 agents over 1-5 turns; it fails with the worst of its agents' rates."""
    out = []
    for _ in range(n):
        agents = rng.sample(AGENTS, rng.randint(1, 3))
        turns = [(rng.choice(agents), rng.random() < 0.5) for _ in range(rng.randint(1, 5))]
        spoke = {a for a, _ in turns}
        passed = all(rng.random() >= fail_rate.get(a, 0.0) for a in spoke)
        out.append((passed, turns))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_a_failed_scenario_counts_against_every_flow_that_spoke_in_it(seed: int) -> None:
    rng = random.Random(seed)
    trials = _random_trials(rng, rng.randint(20, 400), {"billing": rng.choice([0.0, 0.05, 0.3])})
    table = FlowReliability.from_trials(trials, measured_on="test", command="test")
    for agent, rec in table.agents.items():
        spoke_in = [passed for passed, turns in trials if any(a == agent for a, _ in turns)]
        assert (rec.scenarios, rec.passed) == (len(spoke_in), sum(spoke_in))
        assert rec.turns == sum(1 for _, turns in trials for a, _ in turns if a == agent)
        assert rec.tool_turns == sum(1 for _, turns in trials for a, t in turns if a == agent and t)
        trusted = len(spoke_in) >= MIN_SCENARIOS and sum(spoke_in) >= MIN_PASS_RATE * len(spoke_in)
        assert (agent in table.tier0) is trusted
    # the record survives the file it is kept in
    again = FlowReliability.load(_write(table))
    assert again.agents == table.agents and again.tier0 == table.tier0


def _write(table: FlowReliability) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / FILE_NAME
    path.write_text(table.to_json())
    return path


def test_one_failure_too_many_or_too_few_scenarios_keeps_a_flow_on_models() -> None:
    ok = [(True, [("booking", True)])] * 200
    assert FlowReliability.from_trials(ok, measured_on="", command="").tier0 == {"booking"}
    few = ok[: MIN_SCENARIOS - 1]
    assert FlowReliability.from_trials(few, measured_on="", command="").tier0 == frozenset()
    failures = int(200 * (1 - MIN_PASS_RATE)) + 1
    bad = ok[failures:] + [(False, [("booking", False), ("general", False)])] * failures
    table = FlowReliability.from_trials(bad, measured_on="", command="")
    assert "booking" not in table.tier0 and "general" not in table.tier0


def test_no_record_means_every_turn_goes_to_models(tmp_path: Path) -> None:
    assert FlowReliability.load(tmp_path / FILE_NAME).tier0 == frozenset()


def test_the_shipped_record_was_measured_off_the_reported_split() -> None:
    """The demo's record names its held-out split and the command that measured it; evals/ is not it."""
    app = load_app("callcenter_agents")
    record = app.flow_reliability
    assert record.agents and record.tier0 <= set(app.agents)
    assert "generated" in record.measured_on and "--flow-reliability" in record.command
    assert " evals/ " not in f" {record.command} " and " evals " not in f" {record.command} "
    doc = json.loads((Path(__import__("callcenter_agents").__file__).parent / FILE_NAME).read_text())
    assert {a for a, r in doc["agents"].items() if r["tier0"]} == set(record.tier0)


@pytest.mark.parametrize("difficulty", [None, 0.0, 0.1, 0.2, 0.3, 0.49, 0.5, 0.6, 0.8, 1.0])
def test_tier0_takes_easy_turns_of_trusted_flows_only(difficulty: float | None) -> None:
    settings = Settings()
    trusted = frozenset({"booking"})
    routed = policy_from_settings(settings, "routed", tier0=trusted)
    easy = difficulty is None or difficulty < settings.difficulty_threshold
    assert routed.flow_answers("booking", flow_first=False, difficulty=difficulty) is easy
    assert not routed.flow_answers("billing", flow_first=False, difficulty=difficulty)
    assert not routed.flow_answers("billing", flow_first=True, difficulty=difficulty)  # a mark is flow-first's
    flow_first = policy_from_settings(settings, "flow-first", tier0=trusted)
    assert flow_first.flow_answers("billing", flow_first=True, difficulty=difficulty)
    assert flow_first.flow_answers("booking", flow_first=False, difficulty=difficulty) is easy
    for name in ("frontier-only", "mid-only", "cheap-only"):
        single = policy_from_settings(settings, name, tier0=trusted)
        assert not single.flow_answers("booking", flow_first=True, difficulty=difficulty), name
    off = policy_from_settings(Settings(flow_tier0=False), "routed", tier0=trusted)
    assert not off.flow_answers("booking", flow_first=False, difficulty=difficulty)
    assert not POLICIES["routed"].tier0_agents  # the bare policy trusts no flow until measured

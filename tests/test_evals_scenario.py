"""The scenario format and the shipped suite's shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from callcenter.evals.judge import value_matches
from callcenter.evals.scenario import Scenario, ScenarioError, load_file, load_suite, placeholders, substitute
from callcenter.evals.user_sim import RuleBasedUser

SUITE = Path(__file__).resolve().parents[1] / "evals"


def test_shipped_suite_is_large_and_covers_every_area() -> None:
    scenarios = load_suite([SUITE])
    assert len(scenarios) >= 60
    assert len({s.id for s in scenarios}) == len(scenarios)
    tags = {t for s in scenarios for t in s.tags}
    assert {"booking", "billing", "escalation", "general", "out_of_scope", "adversarial", "multi_intent"} <= tags
    assert any(s.user.simulated for s in scenarios)
    difficulties = [s.turn_difficulty(t) for s in scenarios for t in (s.user.turns or [])]
    hard = sum(d >= 0.5 for d in difficulties)
    assert 0 < hard < len(difficulties) / 2  # most turns easy, some hard


def test_defaults_merge_and_validation_errors(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        "defaults: {tags: [billing], customer: 2}\nscenarios:\n"
        "  - {id: a, user: {turns: [hi]}}\n  - {id: b, customer: null, tags: [x], user: {turns: [hey]}}\n"
    )
    a, b = load_file(f)
    assert (a.customer, a.tags, b.customer, b.tags) == (2, ["billing"], None, ["x", "billing"])
    f.write_text("- {id: bad, user: {turns: [hi], simulated: {goal: g}}}\n")
    with pytest.raises(ScenarioError, match="exactly one of"):
        load_file(f)
    f.write_text("- {id: bad2, user: {turns: [hi]}, expect: {db: [{table: secrets}]}}\n")
    with pytest.raises(ScenarioError, match="unknown table"):
        load_file(f)


def test_placeholders_and_operators() -> None:
    values = placeholders(date(2026, 3, 10), 1)
    assert substitute({"d": "{tomorrow}", "c": "{customer}", "s": "on {today+2}"}, values) == {
        "d": "2026-03-11",
        "c": 1,
        "s": "on 2026-03-12",
    }
    assert value_matches(5000, 5000) and not value_matches(5000, "5001")
    assert value_matches(None, {None: True}) and value_matches(3, {"gte": 2}) and value_matches("ab", {"regex": "^a"})
    assert value_matches("open", {"in": ["open", "paid"]}) and value_matches(1, {"ne": 2})


async def test_rule_based_user_answers_from_facts_and_stops() -> None:
    s = Scenario.model_validate(
        {
            "id": "x",
            "user": {
                "simulated": {
                    "goal": "pay",
                    "opening": "I'd like to pay",
                    "known_facts": {"How much": "$120"},
                    "stop_when": ["Done"],
                }
            },
        }
    )
    sim = s.user.simulated
    assert sim is not None
    user = RuleBasedUser(s, sim)
    assert (await user.next_turn(None)).text == "I'd like to pay"  # type: ignore[union-attr]
    assert (await user.next_turn("How much would you like to pay?")).text == "$120"  # type: ignore[union-attr]
    assert (await user.next_turn("Pay $120.00 with Visa ending 4242?")).text == "Yes, please."  # type: ignore[union-attr]
    assert await user.next_turn("Done: I've paid $120.00.") is None

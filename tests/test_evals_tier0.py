"""Tier 0 in the shipped suite, as an operator reading `callcenter eval` meets it.

The routed policy answers the easy turns of agents whose flow the shipped held-out record
trusts (agents/flow_reliability.json) with that flow: those turns cost nothing and are counted
as turns by flow, and the conversations are judged on the database end state exactly as on
models. A hard turn of the same agent, and every turn of an untrusted agent, still goes to a
model; with CALLCENTER_FLOW_TIER0=false every turn does; frontier-only never uses flows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.app import load_app
from callcenter.cli.main import main
from callcenter.evals.scenario import load_suite

SUITE = Path(__file__).resolve().parents[1] / "evals"
THRESHOLD = 0.5  # the routed policy's default difficulty threshold (Settings.difficulty_threshold)


def _scenarios(trusted: frozenset[str]) -> tuple[list[str], list[str]]:
    """Shipped one-turn requests for a person (the escalation agent's): easy ones, and ones labelled hard."""
    assert "escalation" in trusted, trusted  # the record the demo ships trusts the escalation flow
    easy, hard = [], []
    for s in load_suite([SUITE / "escalation.yaml"]):
        turns = s.user.turns or []
        if len(turns) != 1 or not s.id.startswith(("human-request-", "person-")):
            continue
        (easy if s.turn_difficulty(turns[0]) < THRESHOLD else hard).append(s.id)
    return easy, hard


def _run(report: Path, ids: list[str], *policies: str) -> dict[str, dict[str, object]]:
    args = ["eval", str(SUITE), "--no-progress", "--latency-scale", "0.02", "--report", str(report)]
    for sid in ids:
        args += ["--only", sid]
    for p in policies:
        args += ["--policy", p]
    assert main(args) == 0
    policies_out: dict[str, dict[str, object]] = json.loads((report / "report.json").read_text())["policies"]
    return policies_out


def test_easy_turns_of_a_trusted_flow_cost_nothing_and_are_judged_as_before(
    offline_eval_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    easy, _ = _scenarios(load_app("callcenter_agents").flow_reliability.tier0)
    assert len(easy) >= 3, easy
    p = _run(offline_eval_env / "on", easy, "routed", "frontier-only", "local")
    capsys.readouterr()
    turns = len(easy)
    assert p["routed"]["flow_turns"] == turns and p["routed"]["model_calls_per_task"] == 0
    assert p["routed"]["cost_per_task_usd"] == 0
    assert p["frontier-only"]["flow_turns"] == 0 and p["frontier-only"]["model_calls_per_task"] > 0
    # the same judge: what passes on the flows passes under routed, scenario by scenario
    passed = {n: {s["id"]: s["pass"] for s in p[n]["scenarios"]} for n in ("routed", "local")}  # type: ignore[attr-defined]
    assert passed["routed"] == passed["local"] and all(passed["local"].values())

    monkeypatch.setenv("CALLCENTER_FLOW_TIER0", "false")
    off = _run(offline_eval_env / "off", easy, "routed")
    assert off["routed"]["flow_turns"] == 0 and off["routed"]["model_calls_per_task"] > 0


def test_hard_turns_and_untrusted_agents_still_go_to_models(
    offline_eval_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trusted = load_app("callcenter_agents").flow_reliability.tier0
    _, hard = _scenarios(trusted)
    # a hard escalation turn (a double-charge complaint, 0.7) and agents the record does not trust
    ids = [*hard, "dispute-double-charge-complaint"]
    untrusted = {"billing", "booking"} - trusted
    if "billing" in untrusted:
        ids.append("pay-exact-amount")
    if "booking" in untrusted:
        ids.append("booking-plumbing-tomorrow-morning")
    p = _run(offline_eval_env / "hard", ids, "routed")
    capsys.readouterr()
    assert p["routed"]["flow_turns"] == 0
    assert p["routed"]["model_calls_per_task"] > 0 and p["routed"]["success_rate"] == 1.0

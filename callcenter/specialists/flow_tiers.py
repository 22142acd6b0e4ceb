"""Tier 0 of the routed policy: the deterministic flows it answers easy turns with, by measurement.

A model step costs money and a flow step costs nothing, so the cheapest tier is the agent's own
flow — but only where the flow was shown to get conversations right on conversations other than
the ones the cost report is computed on. Otherwise the report would grade the flows on the exam
they were chosen with. The measurement is a file beside the agents (`flow_reliability.json`),
written by `callcenter eval HELD_OUT --policy local --flow-reliability FILE` on a held-out split
(the generated conversations, drawn from templates with a seed of their own; never `evals/`):
per agent, the held-out scenarios in which its flow answered at least one turn, and how many of
them passed. A failing scenario counts against every agent whose flow spoke in it, since the
judge sees only the end state.

An agent's flow is tier 0 when at least `MIN_SCENARIOS` such scenarios ran and at least
`MIN_PASS_RATE` of them passed: as often right as the frontier model is on the shipped suite.
The held-out turns carry no difficulty label (they count as easy), so the measurement says
nothing about hard turns: a turn at or above the routed policy's difficulty threshold still
starts on a model, as it starts one tier up on the model ladder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE_NAME = "flow_reliability.json"
MIN_SCENARIOS = 30
MIN_PASS_RATE = 0.99


@dataclass(frozen=True)
class AgentRecord:
    """One agent's flow on the held-out split."""

    scenarios: int
    passed: int
    turns: int
    tool_turns: int
    """Turns on which the flow called a tool (the tool-selection step), of `turns`."""

    @property
    def pass_rate(self) -> float:
        return self.passed / self.scenarios if self.scenarios else 0.0

    @property
    def reliable(self) -> bool:
        return self.scenarios >= MIN_SCENARIOS and self.pass_rate >= MIN_PASS_RATE


@dataclass(frozen=True)
class FlowReliability:
    """Per agent, how its flow did on a held-out split; `tier0` are the agents whose flow is trusted."""

    agents: Mapping[str, AgentRecord] = field(default_factory=dict)
    measured_on: str = ""
    command: str = ""

    @property
    def tier0(self) -> frozenset[str]:
        return frozenset(name for name, rec in self.agents.items() if rec.reliable)

    @classmethod
    def from_trials(
        cls, trials: Iterable[tuple[bool, Iterable[tuple[str, bool]]]], *, measured_on: str, command: str
    ) -> FlowReliability:
        """From (scenario passed, [(agent, called a tool) per turn its flow answered]) per scenario run."""
        counts: dict[str, list[int]] = {}
        for passed, turns in trials:
            seen: set[str] = set()
            for agent, tooled in turns:
                c = counts.setdefault(agent, [0, 0, 0, 0])
                c[2] += 1
                c[3] += int(tooled)
                if agent not in seen:
                    seen.add(agent)
                    c[0] += 1
                    c[1] += int(passed)
        agents = {a: AgentRecord(*c) for a, c in sorted(counts.items())}
        return cls(agents, measured_on=measured_on, command=command)

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "measured_on": self.measured_on,
            "command": self.command,
            "rule": f"tier 0 when scenarios >= {MIN_SCENARIOS} and passed/scenarios >= {MIN_PASS_RATE}",
            "agents": {
                name: {
                    "scenarios": r.scenarios,
                    "passed": r.passed,
                    "turns": r.turns,
                    "tool_turns": r.tool_turns,
                    "tier0": r.reliable,
                }
                for name, r in self.agents.items()
            },
        }
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> FlowReliability:
        """The file at `path`; no file means no flow is trusted (every turn goes to models)."""
        if not path.is_file():
            return cls()
        doc = json.loads(path.read_text())
        agents = {
            name: AgentRecord(int(r["scenarios"]), int(r["passed"]), int(r["turns"]), int(r["tool_turns"]))
            for name, r in doc.get("agents", {}).items()
        }
        return cls(agents, measured_on=str(doc.get("measured_on", "")), command=str(doc.get("command", "")))

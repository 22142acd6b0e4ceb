"""Declarative agent definitions: what the business writes in `agents/`.

An agent is data: instructions, tools, a default tier, whom it may hand off to, and
example utterances that train the local router. The engine never hard-codes an agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from callcenter.specialists.flow import Flow
from callcenter.tooling.toolkit import Tool
from callcenter.types import Tier, Vertical


@dataclass(frozen=True)
class AgentSpec:
    name: str
    vertical: Vertical
    description: str
    instructions: str
    tools: tuple[Tool[Any], ...] = ()
    default_tier: Tier = Tier.CHEAP
    handoff_targets: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    flow: type[Flow] | None = None
    routing: dict[str, Any] = field(default_factory=dict)
    acts_on_account: bool = False
    """True when the agent's tools read or change the customer's own account (balances, bookings):
    on a channel where identity is not yet proven (a phone call), the caller verifies first."""
    flow_first: bool = False
    """The business vouches for this agent's deterministic flow: under the `flow-first` policy
    (`CALLCENTER_FLOW_FIRST`) its turns are answered by the flow with no model call. Mark only
    agents whose flow passes every eval of its routes, held-out generated ones included."""

    def tool(self, name: str) -> Tool[Any]:
        for t in self.tools:
            if t.name == name:
                return t
        raise KeyError(f"agent {self.name} has no tool {name!r}")

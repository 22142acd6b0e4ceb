"""Load the business: its agents and tools, from configurable module names.

The demo ships as `callcenter_agents` / `callcenter_tools` (the repository's `agents/`
and `tools/` folders, installed under prefixed names so nothing collides with the
`agents` package of openai-agents). Another company sets CALLCENTER_AGENTS_MODULE.
An agents module exposes `AGENTS: list[AgentSpec]` and optionally `EMERGENCY_TERMS` and
`SHARED_CONTEXT` (the text every agent's model prompt starts with), and may have a
`difficulty` submodule with `HARD_EXAMPLES` / `EASY_EXAMPLES` for the difficulty prior.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.verifier import claim_index
from callcenter.tooling.toolkit import Tool
from callcenter.types import Vertical


@dataclass(frozen=True)
class App:
    agents: dict[str, AgentSpec]
    emergency_terms: tuple[str, ...] = ()
    hard_examples: tuple[str, ...] = ()
    easy_examples: tuple[str, ...] = ()
    shared_context: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def agent_for(self, vertical: Vertical) -> AgentSpec:
        for agent in self.agents.values():
            if agent.vertical == vertical:
                return agent
        raise KeyError(f"no agent serves vertical {vertical}")

    @property
    def tools(self) -> dict[str, Tool[Any]]:
        return {t.name: t for a in self.agents.values() for t in a.tools}

    @property
    def claims(self) -> dict[str, tuple[str, ...]]:
        """Claim phrase -> tools whose success backs it, from the tools' declarations (for the verifier)."""
        return claim_index(self.tools.values())

    def training_examples(self) -> list[tuple[str, Vertical]]:
        """(utterance, vertical) pairs from every agent's examples, for the local router."""
        return [(text, a.vertical) for a in self.agents.values() for text in a.examples]


@cache
def load_app(agents_module: str = "callcenter_agents") -> App:
    mod = importlib.import_module(agents_module)
    agents = {a.name: a for a in mod.AGENTS}
    try:  # optional: hard/easy turns that train the difficulty prior
        difficulty = importlib.import_module(agents_module + ".difficulty")
    except ModuleNotFoundError:
        difficulty = None
    return App(
        agents=agents,
        emergency_terms=tuple(getattr(mod, "EMERGENCY_TERMS", ())),
        hard_examples=tuple(getattr(difficulty, "HARD_EXAMPLES", ())),
        easy_examples=tuple(getattr(difficulty, "EASY_EXAMPLES", ())),
        shared_context=str(getattr(mod, "SHARED_CONTEXT", "")),
    )

"""The prompt layout every agent shares, so that one cached prefix serves them all.

A model request is laid out, in the order the providers' prompt caches read it, as:

    tools: every agent's tools, sorted by name           ┐ shared: byte-identical for every
    system 1: the business's shared context               ┘ agent, session and customer
    ── breakpoint ──
    system 2: the agent's own instructions and the names of the tools it may call
    ── breakpoint ──
    messages: the conversation (customer context rides on the newest user message)

Each agent's own prefix (its tools and instructions, 1–2k tokens) is below Claude Haiku
4.5's 4,096-token cache minimum, so on its own it is never cached; the shared part crosses
every tier's minimum and is read at 0.1x by all agents. Which breakpoints pay on which
model is the cache plan's arithmetic (`callcenter.providers.cache_plan`).

An agent still only calls its own tools: the executor knows only those, the instructions
name them, and OpenAI gets them as `allowed_tools`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import structlog

from callcenter.app import App
from callcenter.providers.base import ChatMessage, ModelRequest
from callcenter.providers.cache_plan import CachePlan, PrefixSizes, Traffic, build_cache_plan
from callcenter.providers.caching import estimate_tokens, sorted_tools
from callcenter.providers.catalog import Catalog
from callcenter.settings import Settings
from callcenter.specialists.agent_spec import AgentSpec
from callcenter.tooling.toolkit import Tool
from callcenter.types import StepType

log = structlog.get_logger(__name__)
SHARED_CACHE_KEY = "callcenter:shared"


@dataclass(frozen=True)
class SharedPrefix:
    """The part of the prompt every agent sends: all tools, then the shared context."""

    text: str
    tools: tuple[Tool[Any], ...]

    @classmethod
    def from_app(cls, app: App, *, flow_first: bool = False) -> SharedPrefix:
        """The union of the tools of the agents models serve: every agent, or under the flow-first
        policy (`flow_first`) every agent but those whose flow answers all their turns, whose
        tools no model call can use (the prefix every call reads shrinks by their schemas)."""
        union: dict[str, Tool[Any]] = {}
        for agent in model_served(app, flow_first=flow_first):
            for t in agent.tools:
                union.setdefault(t.name, t)
        return cls(text=app.shared_context, tools=tuple(sorted_tools(list(union.values()))))


def model_served(app: App, *, flow_first: bool = False) -> list[AgentSpec]:
    """The agents whose turns reach a model: all of them, or under flow-first those not marked
    `flow_first` (an agent marked so but without a flow still goes to models)."""
    return [a for a in app.agents.values() if not (flow_first and a.flow_first and a.flow is not None)]


def agent_instructions(agent: AgentSpec, shared: SharedPrefix | None) -> str:
    """The agent's system text after the shared prefix: its instructions and its tools by name."""
    if shared is None:
        return agent.instructions
    names = ", ".join(sorted(t.name for t in agent.tools)) or "none (reply in text only)"
    return (
        f"{agent.instructions}\nTools you may call in this role: {names}. "
        "The other tools listed belong to other specialists; do not call them."
    )


def agent_request(
    agent: AgentSpec,
    messages: list[ChatMessage],
    *,
    shared: SharedPrefix | None,
    step_type: StepType,
    extra_headers: dict[str, str] | None = None,
    want_logprobs: bool = True,
) -> ModelRequest:
    """A ModelRequest for `agent` in the shared layout (or the agent's own, without `shared`)."""
    tools: Sequence[Tool[Any]] = agent.tools
    allowed: tuple[str, ...] | None = None
    if shared is not None:
        tools = shared.tools
        allowed = tuple(sorted(t.name for t in agent.tools))
    return ModelRequest(
        system=agent_instructions(agent, shared),
        shared_system=shared.text if shared is not None else "",
        messages=messages,
        tools=tools,
        allowed_tools=allowed,
        step_type=step_type,
        agent=agent.name,
        cache_key=SHARED_CACHE_KEY if shared is not None else f"callcenter:{agent.name}",
        want_logprobs=want_logprobs,
        extra_headers=dict(extra_headers or {}),
    )


def prefix_sizes(shared: SharedPrefix, agents: Sequence[AgentSpec]) -> PrefixSizes:
    """Estimated token counts of the shared layout and of each agent's own (per-agent) layout."""
    tools = sum(estimate_tokens(t.anthropic_schema()) for t in shared.tools)
    return PrefixSizes(
        shared_tokens=tools + estimate_tokens(shared.text),
        agent_tokens={a.name: estimate_tokens(agent_instructions(a, shared)) for a in agents},
        own_tokens={
            a.name: sum(estimate_tokens(t.anthropic_schema()) for t in a.tools) + estimate_tokens(a.instructions)
            for a in agents
        },
    )


def cache_plan_for(
    app: App, catalog: Catalog, settings: Settings, day: date | None = None, *, flow_first: bool = False
) -> CachePlan:
    """The cache plan of this business on the catalog's enabled models, logged as `cache.plan`:
    over the agents models serve (under flow-first, not those its flows answer)."""
    shared = SharedPrefix.from_app(app, flow_first=flow_first)
    sizes = prefix_sizes(shared, model_served(app, flow_first=flow_first))
    plan = build_cache_plan(
        catalog.enabled(), sizes, Traffic(settings.cache_plan_calls_per_hour), day or datetime.now(UTC).date()
    )
    for line in plan.lines():
        log.info("cache.plan", plan=line)
    return plan

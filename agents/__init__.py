"""The demo business: a property-management help line's five agents.

`AGENTS` is what `callcenter.app.load_app` reads; `EMERGENCY_TERMS` lets the router send
danger to escalation before any classifier runs. Another company ships its own module
with the same three names.
"""

from __future__ import annotations

from callcenter_agents.billing import AGENT as BILLING
from callcenter_agents.booking import AGENT as BOOKING
from callcenter_agents.escalation import AGENT as ESCALATION
from callcenter_agents.general import AGENT as GENERAL
from callcenter_agents.out_of_scope import AGENT as OUT_OF_SCOPE

from callcenter.specialists.agent_spec import AgentSpec

AGENTS: list[AgentSpec] = [BOOKING, BILLING, ESCALATION, GENERAL, OUT_OF_SCOPE]

# Lower-case phrases that mean danger whatever else the message says (matched as phrases,
# so bare "gas" in "gas bill" does not fire).
EMERGENCY_TERMS: tuple[str, ...] = (
    "smell gas",
    "smells like gas",
    "smell of gas",
    "gas smell",
    "gas leak",
    "rotten egg",
    "carbon monoxide",
    "co alarm",
    "co detector",
    "fire",
    "smoke coming",
    "smell smoke",
    "flames",
    "sparking",
    "sparks",
    "exposed wire",
    "flooding",
    "flooded",
    "water pouring",
    "water everywhere",
    "burst pipe",
    "pipe burst",
    "sewage",
    "no heat",
    "security",  # a break-in in progress or just happened, an intruder (the rule kind, not a phrase)
    "stuck in the elevator",
)

HUMAN_HANDOFF_TOOL = "handoff_to_human"

__all__ = ["AGENTS", "EMERGENCY_TERMS", "HUMAN_HANDOFF_TOOL"]

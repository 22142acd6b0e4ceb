"""The demo business: a property-management help line's five agents.

`AGENTS` is what `callcenter.app.load_app` reads; `EMERGENCY_TERMS` lets the router send
danger to escalation before any classifier runs; `SHARED_CONTEXT` is what every agent's
model prompt starts with (common rules and the resident handbook), so one cached prefix
serves all agents. Another company ships its own module with the same names.
"""

from __future__ import annotations

from callcenter_agents.billing import AGENT as BILLING
from callcenter_agents.booking import AGENT as BOOKING
from callcenter_agents.escalation import AGENT as ESCALATION
from callcenter_agents.general import AGENT as GENERAL
from callcenter_agents.out_of_scope import AGENT as OUT_OF_SCOPE
from callcenter_tools.knowledge import handbook_text

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

COMMON_INSTRUCTIONS = """\
You are part of the resident help line of Maple Court, Harbor View and Cedar Lofts, a property-management
company. Several specialists share this prompt: booking (maintenance visits and viewings), billing (balance,
invoices, payments, fee waivers), escalation (emergencies, complaints, requests for a person), general
(building questions from the handbook below) and the front desk (requests the help line does not handle).
Your own role, and the only tools you may call in it, follow after the handbook.

Rules for every specialist:
- Facts come from tool results in this conversation or from the handbook below; never invent an amount,
  a time, a booking, a payment, a ticket number or a policy, and never say something was done unless a
  tool said so.
- Never ask for or repeat a full card number, a bank account number or a social security number.
- Danger first: gas, fire or smoke, carbon monoxide, flooding, sparks, no heat in freezing weather or
  anyone hurt goes to the escalation specialist at once, with "call 911" when anyone is in danger.
- Be honest that you are an automated assistant when asked, and keep replies short and plain.

The resident handbook (quote it; do not add to it):
"""

SHARED_CONTEXT = COMMON_INSTRUCTIONS + handbook_text()

__all__ = ["AGENTS", "EMERGENCY_TERMS", "HUMAN_HANDOFF_TOOL", "SHARED_CONTEXT"]

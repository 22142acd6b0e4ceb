"""A second, tiny business for the engine: a pharmacy help line with two agents and two tools.

It exists to prove that a business drops in with no engine change: its own verticals
("refills", "questions"), its own tools and claims, no emergency rules and no human queue.
"""

from __future__ import annotations

import re

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.tooling.toolkit import ToolError
from pharmacy.tools import OPENING_HOURS, opening_hours, refill_prescription

_RX = re.compile(r"\b(\d{4,7})\b")


class RefillFlow:
    """Ask for the prescription number, refill it, say when it is ready."""

    async def step(self, turn: FlowTurn) -> FlowReply:
        found = _RX.search(turn.text)
        if found is None:
            return FlowReply("Which prescription number should I refill? It is on the label.", {"asked": True})
        try:
            result = await turn.call_tool("refill_prescription", {"rx_number": int(found.group(1))})
        except ToolError as err:
            return FlowReply(f"Sorry, I couldn't refill that: {err}", done=True)
        return FlowReply(
            f"I've refilled prescription {result['rx_number']}; it is ready for pickup on {result['ready_on']}.",
            done=True,
            tool_results=[result],
        )


class QuestionsFlow:
    """Opening hours, from the tool; anything else is politely out of reach."""

    async def step(self, turn: FlowTurn) -> FlowReply:
        if re.search(r"\b(open|close|hours?|when)\b", turn.text, re.I):
            result = await turn.call_tool("opening_hours", {})
            hours = result["hours"]
            text = (
                f"We're open weekdays {hours['weekdays']}, Saturday {hours['saturday']}, "
                f"and {hours['sunday']} on Sunday."
            )
            return FlowReply(text, done=True, tool_results=[result])
        return FlowReply("I can refill prescriptions and tell you our opening hours.", done=True)


REFILLS = AgentSpec(
    name="refills",
    vertical="refills",
    description="Prescription refills.",
    instructions="You refill prescriptions. Ask for the prescription number, then call refill_prescription.",
    tools=(refill_prescription,),
    examples=(
        "I need a refill",
        "please refill my prescription",
        "can you refill rx 20482",
        "refill my blood pressure pills",
        "I'm out of my medication, can I get more",
        "renew my prescription please",
        "I need more of my inhaler",
        "refill number 448812",
        "my pills ran out",
        "can I get a refill on my meds",
    ),
    flow=RefillFlow,
)

QUESTIONS = AgentSpec(
    name="questions",
    vertical="questions",
    description=f"Opening hours ({', '.join(OPENING_HOURS)}) and other questions.",
    instructions="You answer questions about the pharmacy, such as its opening hours.",
    tools=(opening_hours,),
    examples=(
        "what time do you open",
        "when do you close today",
        "are you open on sunday",
        "what are your hours",
        "is the pharmacy open saturday",
        "how late are you open",
        "opening hours please",
        "do you open early on weekdays",
        "what's the weather like",
        "tell me a joke",
    ),
    flow=QuestionsFlow,
)

AGENTS = [REFILLS, QUESTIONS]
FALLBACK_VERTICAL = "questions"
CUSTOMER_NOUN = "patient"

"""The demo business's agent definitions: complete, consistent and loadable by the engine."""

from __future__ import annotations

import inspect

import pytest
from callcenter_agents import AGENTS, EMERGENCY_TERMS, HUMAN_HANDOFF_TOOL
from callcenter_agents.escalation import detect_emergency

from callcenter.app import load_app
from callcenter.specialists.agent_spec import AgentSpec
from callcenter.types import Tier

DEMO_VERTICALS = ("booking", "billing", "escalation", "general", "out_of_scope")

EXPECTED_TOOLS = {
    "booking": {
        "find_slots",
        "book_appointment",
        "reschedule_appointment",
        "cancel_appointment",
        "list_my_appointments",
        "add_appointment_note",
    },
    "billing": {
        "get_balance",
        "list_invoices",
        "list_payment_methods",
        "list_payments",
        "pay_balance",
        "explain_charge",
        "request_fee_waiver",
        "search_knowledge_base",
    },  # the handbook answers "how do I pay rent?"
    "escalation": {"create_ticket", "handoff_to_human", "handoff_status", "ticket_status"},
    "general": {"search_knowledge_base", "create_ticket", "handoff_status"},
    "out_of_scope": set(),
}


def by_name() -> dict[str, AgentSpec]:
    return {a.name: a for a in AGENTS}


def test_one_agent_per_vertical_with_the_contracted_names() -> None:
    agents = by_name()
    assert set(agents) == set(EXPECTED_TOOLS)
    assert [a.vertical for a in AGENTS] == list(DEMO_VERTICALS)
    assert all(agents[v].vertical == v for v in DEMO_VERTICALS)


@pytest.mark.parametrize("name", sorted(EXPECTED_TOOLS))
def test_agent_definition_is_complete(name: str) -> None:
    agent = by_name()[name]
    assert {t.name for t in agent.tools} == EXPECTED_TOOLS[name]
    assert agent.default_tier is Tier.CHEAP
    assert agent.description and len(agent.instructions) > 1000
    assert set(agent.handoff_targets) <= set(EXPECTED_TOOLS) - {name}
    assert agent.flow is not None and inspect.iscoroutinefunction(agent.flow.step)
    minimum = 80 if name == "out_of_scope" else 60
    assert len(agent.examples) >= minimum
    assert len(set(e.lower() for e in agent.examples)) == len(agent.examples)
    assert all(e.strip() == e and e for e in agent.examples)
    for t in agent.tools:  # both provider schemas build (strict mode for OpenAI)
        assert t.anthropic_schema()["name"] == t.name
        assert t.openai_schema()["function"]["strict"] is True


def test_instructions_carry_the_safety_rules() -> None:
    for agent in AGENTS:
        text = agent.instructions.lower()
        assert "escalation" in text or agent.name == "escalation"
        if agent.tools and agent.name != "escalation":
            assert "only" in text and ("invent" in text or "add facts" in text)
    assert "urgent" in by_name()["escalation"].instructions
    assert "yes" in by_name()["booking"].instructions and "yes" in by_name()["billing"].instructions


def test_examples_do_not_overlap_between_agents() -> None:
    seen: dict[str, str] = {}
    for agent in AGENTS:
        for example in agent.examples:
            key = example.lower()
            assert key not in seen, f"{example!r} in both {seen[key]} and {agent.name}"
            seen[key] = agent.name


def test_escalation_examples_that_name_danger_are_detected() -> None:
    examples = by_name()["escalation"].examples
    for text in ("I smell gas in my kitchen", "water is pouring through my ceiling", "the outlet is sparking"):
        assert text in examples and detect_emergency(text) is not None


def test_emergency_terms_and_handoff_tool() -> None:
    assert HUMAN_HANDOFF_TOOL == "handoff_to_human"
    assert HUMAN_HANDOFF_TOOL in {t.name for t in by_name()["escalation"].tools}
    assert all(term == term.lower().strip() for term in EMERGENCY_TERMS)
    assert {"smell gas", "carbon monoxide", "flooding", "fire"} <= set(EMERGENCY_TERMS)
    assert "gas" not in EMERGENCY_TERMS  # "gas bill" is billing, not an emergency


def test_engine_loads_the_business() -> None:
    app = load_app("callcenter_agents")
    assert app.agent_for("billing").name == "billing"
    assert app.emergency_terms == EMERGENCY_TERMS
    assert {"pay_balance", "handoff_to_human", "search_knowledge_base"} <= set(app.tools)
    pairs = app.training_examples()
    assert len(pairs) == sum(len(a.examples) for a in AGENTS)
    assert {v for _, v in pairs} == set(DEMO_VERTICALS)

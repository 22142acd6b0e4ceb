"""Escalation flow: emergencies reach a human on the first turn; complaints become tickets."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import pytest
from callcenter_agents.escalation import AGENT, detect_emergency, detect_intent, pick_queue
from callcenter_tools.booking import BUSINESS_TZ
from callcenter_tools.escalation import EMERGENCY_LINE
from flow_convo import Convo

from callcenter.types import Priority

NOW = datetime(2031, 1, 15, 22, 30, tzinfo=BUSINESS_TZ)


async def resident(pool: asyncpg.Pool) -> int:
    cid: int = await pool.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ('Sam Lee', $1, 'Cedar Lofts', '3B')"
        " RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    return cid


async def test_gas_smell_goes_to_an_urgent_human_on_the_first_turn(pool: asyncpg.Pool) -> None:
    c = await Convo(pool, AGENT, None, NOW).open()  # no sign-in needed for an emergency
    r = await c.say("I smell gas in my kitchen")
    assert r.done and r.human is not None
    assert r.human.queue == "emergency" and r.human.priority is Priority.URGENT
    assert "smell gas" in r.human.summary and "gas" in r.human.reason
    assert "leave" in r.text.lower() and "911" in r.text and EMERGENCY_LINE in r.text
    assert "switch" in r.text
    assert c.calls == []  # the orchestrator calls handoff_to_human, not the flow


@pytest.mark.parametrize(
    ("text", "kind", "advice"),
    [
        ("there's smoke coming from the unit next door", "fire", "911"),
        ("water is pouring through my ceiling", "flood", "shut-off valve"),
        ("my carbon monoxide detector is going off", "carbon_monoxide", "fresh air"),
        ("the outlet in the bedroom is sparking", "electrical", "breaker"),
        ("no heat and it's freezing in here", "no_heat", "layers"),
        ("someone is trying to break into my apartment", "security", "911"),
    ],
)
async def test_every_emergency_kind_gets_its_safety_advice(
    pool: asyncpg.Pool, text: str, kind: str, advice: str
) -> None:
    assert detect_emergency(text) == kind
    c = await Convo(pool, AGENT, None, NOW).open()
    r = await c.say(text)
    assert r.human is not None and r.human.priority is Priority.URGENT and r.human.queue == "emergency"
    assert advice in r.text and EMERGENCY_LINE in r.text


@pytest.mark.parametrize(
    "text",
    [
        "my smoke detector keeps chirping",
        "the heater in the bedroom doesn't turn on",
        "what's the gas bill for",
        "my faucet drips",
        "fire alarm test tomorrow?",
    ],
)
def test_routine_things_are_not_emergencies(text: str) -> None:
    assert detect_emergency(text) is None


async def test_asking_for_a_manager_hands_off_to_the_matching_queue_with_a_summary(pool: asyncpg.Pool) -> None:
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, NOW).open()
    c.history = [
        ("user", "why was I charged a late fee on my rent?"),
        ("assistant", "This is the late fee for March rent."),
    ]
    r = await c.say("I want to talk to a manager")
    assert r.done and r.human is not None
    assert r.human.queue == "billing" and r.human.priority is Priority.NORMAL
    assert "late fee" in r.human.summary and "talk to a manager" in r.human.summary
    assert "15 minutes" in r.text and "billing" in r.text


async def test_noise_complaint_opens_a_ticket_then_offers_a_person(pool: asyncpg.Pool) -> None:
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, NOW).open()
    r = await c.say("my upstairs neighbors are stomping and playing loud music every night")
    assert not r.done and r.human is None
    row = await pool.fetchrow("SELECT * FROM tickets WHERE session_id = $1", uuid.UUID(c.session_id))
    assert row is not None and row["category"] == "noise" and row["customer_id"] == cid
    assert f"#{row['id']}" in r.text
    r = await c.say("yes please")
    assert r.done and r.human is not None and r.human.priority is Priority.NORMAL


async def test_harassment_ticket_is_high_priority_and_declining_a_person_keeps_it(pool: asyncpg.Pool) -> None:
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, NOW).open()
    r = await c.say("my neighbor keeps harassing me in the hallway")
    row = await pool.fetchrow("SELECT * FROM tickets WHERE session_id = $1", uuid.UUID(c.session_id))
    assert row["priority"] == "high" and row["category"] == "complaint"
    assert "911" in r.text
    r = await c.say("no thanks")
    assert r.done and r.human is None and f"#{row['id']}" in r.text


async def test_legal_threat_goes_to_a_person_with_high_priority(pool: asyncpg.Pool) -> None:
    c = await Convo(pool, AGENT, None, NOW).open()
    r = await c.say("if my repair isn't fixed I'm calling my lawyer")
    assert r.human is not None and r.human.priority is Priority.HIGH and r.human.queue == "maintenance"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("let me speak to a human", "person"),
        ("transfer me to a representative", "person"),
        ("I'll sue you", "legal"),
        ("the dog next door barks all day", "noise"),
        ("my package was stolen from the lobby", "security"),
        ("nobody showed up for my appointment, this is unacceptable", "complaint"),
        ("emergency!", "emergency"),
        ("agent please", "person"),
        ("representative", "person"),
        ("operator", "person"),
        ("can I get a live agent", "person"),
        ("someone broke in to my apartment", "emergency"),
        ("someone just broke into my unit", "emergency"),
        ("I broke my key in the lock", "unclear"),
        ("my car was broken into in the garage", "security"),
    ],
)
def test_detect_intent(text: str, intent: str) -> None:
    assert detect_intent(text) == intent


def test_pick_queue_prefers_newest_words_then_history() -> None:
    assert pick_queue("talk to someone about my lease renewal", [], {}) == "leasing"
    assert pick_queue("a person please", [("user", "my toilet is broken")], {}) == "maintenance"
    assert pick_queue("a person please", [], {}) == "general"
    assert pick_queue("a person please", [], {"queue": "billing"}) == "billing"


async def test_break_in_is_an_urgent_security_handoff(pool: asyncpg.Pool) -> None:
    c = await Convo(pool, AGENT, await resident(pool), NOW).open()
    r = await c.say("someone broke in to my apartment")
    assert r.done and r.human is not None
    assert r.human.queue == "emergency" and r.human.priority is Priority.URGENT
    assert "911" in r.text and EMERGENCY_LINE in r.text
    assert detect_emergency("someone broke in to my apartment") == "security"


async def test_agent_please_hands_off_to_a_person(pool: asyncpg.Pool) -> None:
    for text in ("agent please", "operator", "representative"):
        c = await Convo(pool, AGENT, await resident(pool), NOW).open()
        r = await c.say(text)
        assert r.done and r.human is not None and r.human.priority is Priority.NORMAL, text

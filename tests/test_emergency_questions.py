"""Safety questions asked with an emergency are answered, or left with a person on the report; never dropped.

Gap (2026-12-02): "I smell gas — should I open the windows? can I use the stove?" got the safety steps and the
handoff, and the two questions were named nowhere. Now each question gets its answer from the safety steps of
its kind (agents/emergency_questions.py), with the handoff as before; one with no set answer is said to be left
for the person from the emergency team, and it is on the emergency ticket. Openers, questions and the way they
are joined are generated per kind (and roughened), at the first report and as a follow-up, through the
orchestrator; the end state is read from the handoffs and tickets tables.
"""

from __future__ import annotations

import random
import uuid

from seeded import NIGHT, clocked, variants

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime

LINE = "555-0100"
OPENERS = {
    "gas": ("I smell gas", "theres a gas smell in my kitchen", "it smells like rotten eggs in here"),
    "fire": ("there's a fire in my kitchen", "fire in the hallway outside my door"),
    "flood": ("my kitchen is flooding", "water is pouring through the ceiling"),
    "carbon_monoxide": ("the co alarm is going off", "my carbon monoxide detector is going off"),
    "no_heat": ("no heat and it's freezing in here", "the heat is out and the baby is cold"),
}
# (question, a phrase its answer must have)
QUESTIONS = {
    "gas": (
        ("should I open the windows", "open windows"),
        ("can I open a window to air it out", "open windows"),
        ("can I use the stove", "Don't cook, light anything"),
        ("is it ok to light a candle", "Don't cook, light anything"),
        ("should i turn off the lights", "Don't flip switches"),
        ("can i call the gas company from inside", "use your phone"),
        ("should i shut off the gas valve", "shut it off"),
        ("can i take my dog", "Take your pets"),
        ("can i go back in to get my laptop", "Don't go back in"),
        ("is it safe to stay in the apartment", "don't stay inside"),
    ),
    "fire": (
        ("can I use the elevator", "never the elevator"),
        ("should i try to put it out", "extinguisher"),
        ("should I open the windows", "Keep windows shut"),
        ("should i grab my kids", "get everyone out"),
    ),
    "flood": (
        ("should i turn off the water", "shut-off valve"),
        ("should i flip the breaker", "breaker"),
        ("should i put towels down", "towels"),
    ),
    "carbon_monoxide": (
        ("should i open the windows", "fresh air"),
        ("can i use the stove", "Don't use the oven"),
    ),
    "no_heat": (
        ("can i use the oven to warm up", "Don't use the oven"),
        ("is a space heater ok", "space heater is fine"),
    ),
}
JOINERS = (" — ", ", ", ". ", "! ")
FOR_A_PERSON = ("do i need to call my insurance", "will my renters insurance cover this")


async def emergency_turns(rt: Runtime, customer: int, turns: list[str]) -> tuple[list[str], list[str], str]:
    """The replies, the session's handoffs to a person (queue:priority) and its emergency ticket's body."""
    orch = clocked(rt, NIGHT)
    session = await orch.open_session(channel="test", customer_id=customer)
    replies = [(await orch.handle_turn(session.id, said)).text for said in turns]
    async with rt.pool.acquire() as conn:
        people = await conn.fetch(
            "SELECT queue, priority, context->>'ticket_id' AS ticket FROM handoffs WHERE session_id = $1 AND kind = "
            "'human'",
            uuid.UUID(session.id),
        )
        body = await conn.fetchval("SELECT body FROM tickets WHERE id = $1", int(people[0]["ticket"])) if people else ""
    return replies, [f"{p['queue']}:{p['priority']}" for p in people], str(body)


def asked(rng: random.Random, kind: str, n: int) -> tuple[str, list[str]]:
    """An opener of `kind` with `n` of its questions, joined as people type them, and the answers' phrases."""
    picked = rng.sample(QUESTIONS[kind], n)
    text = rng.choice(OPENERS[kind])
    for question, _ in picked:
        text += rng.choice(JOINERS) + question + rng.choice(("?", "", "??"))
    return text, [phrase for _, phrase in picked]


async def test_questions_asked_with_the_report_are_answered_with_the_safety_steps(
    night_runtime: Runtime, spec: Spec
) -> None:
    rng = random.Random(5)
    tried = 0
    for kind in QUESTIONS:
        for n in range(4):
            text, phrases = asked(rng, kind, 1 + n % 2)
            for said in dict.fromkeys([text, *variants(spec, text, 2, seed=n)[1:]]):
                tried += 1
                [reply], people, _body = await emergency_turns(night_runtime, 20 + tried % 10, [said])
                assert people == ["emergency:urgent"] and LINE in reply, (said, reply, people)
                assert all(p.lower() in reply.lower() for p in phrases), (said, phrases, reply)
                assert "will answer" not in reply, (said, reply)  # every one of these has its answer
    assert tried >= 35


async def test_a_question_after_the_report_is_answered_on_the_same_ticket(night_runtime: Runtime, spec: Spec) -> None:
    rng = random.Random(6)
    for i, kind in enumerate(QUESTIONS):
        for question, phrase in rng.sample(QUESTIONS[kind], 2):
            said = rng.choice(variants(spec, f"ok. {question}?", 3, seed=i))
            replies, people, _body = await emergency_turns(night_runtime, 30 + i, [rng.choice(OPENERS[kind]), said])
            assert phrase.lower() in replies[1].lower() and LINE in replies[1], (kind, said, replies[1])
            assert people == ["emergency:urgent"], (said, people)  # no second ticket, no other team


async def test_a_question_with_no_set_answer_is_left_for_the_person_on_the_report(night_runtime: Runtime) -> None:
    for i, question in enumerate(FOR_A_PERSON):
        replies, people, body = await emergency_turns(night_runtime, 34 + i, [f"I smell gas. {question}?"])
        assert "will answer" in replies[0] and question in replies[0] and question in body, (replies, body)
    question = "is it safe to stay in the apartment"  # asked after a flood: no set answer, so a person's
    replies, people, body = await emergency_turns(night_runtime, 36, ["my kitchen is flooding", question])
    assert "will answer" in replies[1] and question in replies[1], replies
    assert people == ["emergency:urgent"] and question in body, (people, body)


async def test_a_policy_question_after_the_report_is_answered_not_dropped(night_runtime: Runtime) -> None:
    """ "will my renters insurance cover this" after a flood: the handbook's answer, or left for the person."""
    replies, _people, _body = await emergency_turns(
        night_runtime, 37, ["my kitchen is flooding", "will my renters insurance cover this"]
    )
    assert "insurance" in replies[1].lower() or "will answer" in replies[1], replies

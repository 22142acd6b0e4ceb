"""Emergencies, complaints and tickets an outsider's trial found mishandled, from the resident's side.

Whole conversations through the orchestrator on a seeded database of this module's own, judged by
what the database holds afterwards (tickets, handoffs to people, appointments), each class tried in
wordings generated here (courtesy, hesitation, casing, one-letter slips; Spanish unaccented), not
only in the trial's sentences:

1. a danger reported as already over is logged, not dispatched, while every real emergency, negated
   words and earlier repairs around it included, still reaches the emergency team at once;
2. someone trapped in an elevator gets the same safety steps in Spanish as in English;
3. two requests in one message: the second is said back and done next, never dropped;
4. the same complaint logged twice is one ticket;
5. "any update on the gas leak i reported" reads back the earlier ticket instead of a new emergency.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from seeded import clocked, seeded_runtime, variants

from callcenter.evals.paraphrase import Spec, load_spec
from callcenter.orchestrator import Orchestrator
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
EVENING = datetime(2026, 11, 30, 20, 45, tzinfo=TZ)
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
LEAVE_NOW = re.compile(r"leave (your home|the building) now|get (everyone )?out .*now", re.I)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def trial_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=EVENING.date()) as rt:
        yield rt


@dataclass
class Ended:
    """One conversation: the replies, and the session's tickets and handoffs to people afterwards."""

    replies: list[str]
    tickets: list[dict[str, Any]]
    people: list[dict[str, Any]]

    @property
    def urgent(self) -> bool:
        return any(h["queue"] == "emergency" and h["priority"] == "urgent" for h in self.people)


async def converse(rt: Runtime, customer: int, turns: list[str]) -> Ended:
    orch: Orchestrator = clocked(rt, EVENING)
    session = await orch.open_session(channel="test", customer_id=customer)
    replies = [(await orch.handle_turn(session.id, said)).text for said in turns]
    sid = uuid.UUID(session.id)
    async with rt.store.pool.acquire() as conn:
        tickets = [dict(r) for r in await conn.fetch("SELECT * FROM tickets WHERE session_id = $1 ORDER BY id", sid)]
        people = [
            dict(r)
            for r in await conn.fetch(
                "SELECT queue, priority, context FROM handoffs WHERE session_id = $1 AND kind = 'human'", sid
            )
        ]
    return Ended(replies, tickets, people)


# 1. Over, and not over ------------------------------------------------------------------------------

_OVER = (
    "there was a gas smell yesterday but the gas company fixed it, just wanted you to know",
    "gas leak got repaired last week",
    "fyi the gas leak from last week was fixed by the gas company",
    "just letting you know the gas company came yesterday and sealed the gas leak",
    "there was a gas smell in the hallway on sunday, it's been taken care of",
    "the burst pipe in my bathroom was repaired on monday",
    "we had a small fire in the kitchen last night but the fire department put it out",
)


@pytest.mark.parametrize("wording", _OVER)
async def test_a_danger_reported_as_over_is_logged_not_dispatched(
    trial_runtime: Runtime, spec: Spec, wording: str
) -> None:
    for said in variants(spec, wording, 3, seed=21):
        ended = await converse(trial_runtime, 5, [said])
        [reply] = ended.replies
        assert not ended.urgent and not LEAVE_NOW.search(reply), (said, reply)
        number = re.search(r"ticket #(\d+)", reply)
        assert number and "555-0100" in reply, (said, reply)  # logged, with what to do if it comes back
        async with trial_runtime.store.pool.acquire() as conn:
            ticket = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", int(number[1]))
        assert ticket["customer_id"] == 5 and ticket["priority"] == "normal" and ticket["status"] == "open", ticket


# Real emergencies that carry the words of a repair, a question, a negation or an earlier report:
# every one must still reach the emergency team at once.
_STILL_EMERGENCIES = (
    "i smelled gas, is it fixed?",
    "the gas smell came back",
    "they fixed the gas leak last week but i can smell gas again",
    "the gas company said it was fixed but it still smells like gas",
    "the gas leak hasn't been fixed, i still smell it",
    "nobody fixed the gas leak and it smells really bad",
    "was the gas leak repaired? it smells like gas in the hallway",
    "i don't know if it's fixed but i smell gas",
    "not sure, but I smell gas",
    "my sink was fixed yesterday but now there's smoke coming from the outlet",
    "the plumber fixed my sink and now water is pouring through the ceiling",
    "can you get the gas leak fixed asap",
    "the burst pipe was never repaired and water is everywhere",
    "i reported a gas leak an hour ago and nobody came",
    "any update on the gas leak? it's getting worse",
    "the fire was put out but there's smoke coming from the wall again",
    "I'm stuck in the elevator, they said it was fixed",
    # reporting words are a report, not a question about an earlier one
    "i want to report a gas leak",
    "calling to report a burst pipe in unit 4",
    "i need to open a ticket for a gas leak",
    "I would like to report a gas smell in the hallway",
)


@pytest.mark.parametrize("wording", _STILL_EMERGENCIES)
async def test_a_real_emergency_near_repair_words_is_still_dispatched(
    trial_runtime: Runtime, spec: Spec, wording: str
) -> None:
    for said in variants(spec, wording, 2, seed=22):
        ended = await converse(trial_runtime, 6, [said])
        assert ended.urgent and "555-0100" in ended.replies[0], (said, ended.replies)


# 2. Trapped in an elevator, in Spanish as in English ---------------------------------------------

# Each safety step, as the English and the Spanish reply say it.
_ELEVATOR_STEPS = (
    (r"stay calm", r"mantenga la calma"),
    (r"alarm button", r"bot[oó]n de alarma"),
    (r"force the doors", r"forzar las puertas"),
    (r"call 911", r"llame al 911"),
    (r"555-0100", r"555-0100"),
)
_TRAPPED_ES = (
    "estoy atrapado en el elevador",
    "me quedé atrapada en el ascensor",
    "estamos atorados en el elevador, ayuda",
    "mi hijo está atrapado en el ascensor",
    "el elevador se atoró con mi mamá adentro",
)


@pytest.mark.parametrize("wording", _TRAPPED_ES)
async def test_someone_trapped_in_an_elevator_gets_the_same_steps_in_spanish(
    trial_runtime: Runtime, spec: Spec, wording: str
) -> None:
    english = await converse(trial_runtime, 7, ["I'm stuck in the elevator"])
    assert english.urgent and all(re.search(en, english.replies[0], re.I) for en, _ in _ELEVATOR_STEPS), english
    for said in variants(spec, wording, 3, seed=23, language="es"):
        ended = await converse(trial_runtime, 7, [said])
        [reply] = ended.replies
        assert ended.urgent, (said, reply)
        missing = [es for _, es in _ELEVATOR_STEPS if not re.search(es, reply, re.I)]
        assert not missing, (said, missing, reply)


# 3. Two requests in one message ----------------------------------------------------------------------

_TWO_REQUESTS = (
    "my sink is leaking and also i want to log a noise complaint",
    "i want to file a noise complaint about my upstairs neighbour and my toilet is clogged",
    "can you send a plumber for my dishwasher, also i want to report my neighbor's loud music",
    "what's my balance and also i want to complain about the noise",
)
# How a resident finishes the first request, by the agent that took it.
_FINISH = {"booking": ["the first one", "yes"], "escalation": ["no thanks"], "billing": []}
_OFFER = "Would you like me to help with that now?"


@pytest.mark.parametrize("wording", _TWO_REQUESTS)
async def test_the_second_of_two_requests_is_said_back_and_done_next(
    trial_runtime: Runtime, spec: Spec, wording: str
) -> None:
    for n, said in enumerate(variants(spec, wording, 2, seed=24)):
        orch = clocked(trial_runtime, EVENING)
        customer = 32 + 2 * _TWO_REQUESTS.index(wording) + n  # a resident with no complaint yet
        session = await orch.open_session(channel="test", customer_id=customer)
        first = await orch.handle_turn(session.id, said)
        replies = [first.text]
        heard = re.search(r"(come back to|also mentioned) \"([^\"]+)\"", first.text)
        # said back at once, in the resident's own words, not dropped
        assert heard and heard[2].lower() in said.lower() and len(heard[2].split()) >= 2, (said, first.text)
        for answer in _FINISH[first.agent]:
            if _OFFER in replies[-1]:
                break
            replies.append((await orch.handle_turn(session.id, answer)).text)
        assert _OFFER in replies[-1], (said, replies)
        taken = await orch.handle_turn(session.id, "yes")
        replies.append(taken.text)
        async with trial_runtime.store.pool.acquire() as conn:
            categories = {
                r["category"]
                for r in await conn.fetch("SELECT category FROM tickets WHERE session_id = $1", uuid.UUID(session.id))
            }
        assert categories & {"noise", "complaint"}, (said, replies)  # the complaint, first or second, is logged
        assert not {"emergency"} & categories, (said, replies)
        if re.search(r"sink|toilet|dishwasher", wording):  # and the repair booked, or being booked
            assert any("You're booked" in r for r in replies) or taken.agent == "booking", (said, replies)


# 4. The same complaint twice -------------------------------------------------------------------------

_SAME_COMPLAINT = (
    ("i want to log a complaint about the noise from upstairs", "log a complaint about the noise from upstairs"),
    (
        "file a noise complaint, the neighbors are blasting music",
        "i want to file a noise complaint, the neighbors are blasting music",
    ),
    (
        "i want to complain about the trash piling up in the hallway",
        "please log a complaint about the trash piling up in the hallway",
    ),
)


@pytest.mark.parametrize(("first", "again"), _SAME_COMPLAINT)
async def test_the_same_complaint_twice_is_one_ticket(
    trial_runtime: Runtime, spec: Spec, first: str, again: str
) -> None:
    for n, said in enumerate(variants(spec, again, 2, seed=25)):
        customer = 10 + 2 * _SAME_COMPLAINT.index((first, again)) + n  # a resident with no complaint yet
        # in one conversation, and again in the next one
        one = await converse(trial_runtime, customer, [first, "no", said])
        two = await converse(trial_runtime, customer, [said])
        numbers = [re.search(r"ticket #(\d+)", r) for r in (one.replies[0], one.replies[2], two.replies[0])]
        assert all(numbers) and len({m[1] for m in numbers if m}) == 1, (said, one.replies, two.replies)
        assert "already" in one.replies[2] and "already" in two.replies[0], (said, one.replies[2])
        assert len(one.tickets) == 1 and not two.tickets, (said, one.tickets, two.tickets)


# 5. The status of an earlier report ------------------------------------------------------------------

_STATUS_QUESTIONS = (
    "what's the status of my gas ticket",
    "any update on the gas leak i reported",
    "did anyone look at the gas leak i reported?",
    "any news on my gas leak report",
    "whats happening with the gas smell i reported",
)


@pytest.mark.parametrize("wording", _STATUS_QUESTIONS)
async def test_the_status_of_an_earlier_gas_report_is_read_back(
    trial_runtime: Runtime, spec: Spec, wording: str
) -> None:
    customer = 20 + _STATUS_QUESTIONS.index(wording)
    reported = await converse(trial_runtime, customer, ["I smell gas in my kitchen"])
    assert reported.urgent and len(reported.tickets) == 1, reported
    ticket = reported.tickets[0]["id"]
    for said in variants(spec, wording, 3, seed=26):
        asked = await converse(trial_runtime, customer, [said])
        [reply] = asked.replies
        assert f"#{ticket}" in reply and not asked.urgent and not asked.tickets, (said, reply)
        assert not LEAVE_NOW.search(reply) and "911" in reply, (said, reply)  # what to do if it's back, no script


async def test_a_status_question_with_no_earlier_report_is_a_new_emergency(trial_runtime: Runtime) -> None:
    ended = await converse(trial_runtime, 30, ["any update on the gas leak i reported"])
    assert ended.urgent and "911" in ended.replies[0], ended  # nothing to read back: a gas leak is dispatched


async def test_the_status_of_a_complaint_is_read_back(trial_runtime: Runtime, spec: Spec) -> None:
    filed = await converse(trial_runtime, 31, ["I want to file a noise complaint about my upstairs neighbour"])
    [ticket] = filed.tickets
    for said in variants(spec, "any update on my noise complaint", 3, seed=27):
        asked = await converse(trial_runtime, 31, [said])
        assert f"#{ticket['id']}" in asked.replies[0] and not asked.tickets and not asked.people, asked

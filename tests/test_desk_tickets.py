"""Requests only the office can carry out, and complaints, end on a ticket: tried as the resident.

The outsider's trial (docs/trials/2026-12-01-conversations.md #8, #9, #14, #19, #21, #24) found a
neighbour's drums every night ruled out of scope and "I want this logged" answered with the repair
prompt, "put in my notice now" and "can you make an exception" refused or ignored, "so can you take
it off" answered with the subletting paragraph, a missing package and a freight-elevator reservation
called "outside what I can help with". Whole conversations through the orchestrator on a seeded
database, each class in several wordings, each wording roughened by the eval generator (courtesy,
hesitation, casing, one-letter slips): the resident's own ticket of the right category exists
afterwards, the reply names its number and what happens next, a second report in the conversation
is added to the same ticket, and questions about the same topics open none.
"""

from __future__ import annotations

import re
import uuid

import pytest
from seeded import NIGHT, clocked, variants

from callcenter.evals.paraphrase import Spec
from callcenter.orchestrator import Orchestrator, TurnResult
from callcenter.runtime import Runtime

RESIDENT = 13


async def converse(orch: Orchestrator, turns: list[str], customer: int = RESIDENT) -> tuple[str, list[TurnResult]]:
    session = await orch.open_session(channel="test", customer_id=customer)
    return session.id, [await orch.handle_turn(session.id, said) for said in turns]


async def tickets(rt: Runtime, session_id: str) -> list[dict[str, object]]:
    rows = await rt.store.pool.fetch(
        "SELECT id, customer_id, category, status, subject, body FROM tickets WHERE session_id = $1 ORDER BY id",
        uuid.UUID(session_id),
    )
    return [dict(r) for r in rows]


async def handoffs(rt: Runtime, session_id: str) -> int:
    count: int = await rt.store.pool.fetchval(
        "SELECT count(*) FROM handoffs WHERE session_id = $1 AND kind = 'human'", uuid.UUID(session_id)
    )
    return count


# (category, wordings): one message that asks the office for something, or complains.
_REQUESTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "noise",
        (
            "there is a guy in 5B who plays drums every night till 1am. i have complained before and nothing happens",
            "my upstairs neighbor blasts music every night until 2am",
            "the people next door have parties every weekend, loud music till 3 am",
            "the dog in 4C barks all night and the owner does nothing",
        ),
    ),
    (
        "complaint",
        (
            "the maintenance guy who came yesterday was really rude to me",
            "i want to complain about the front desk staff, they hung up on me",
            "my neighbor keeps parking in my spot",
            "the neighbours in 2A leave their trash in the hallway every day",
        ),
    ),
    (
        "request",
        (
            "can you leave a message for the manager that the gate code isn't working for my guests",
            "please tell the property manager that i need to talk about my lease",
            "can you have the manager call me tomorrow",
        ),
    ),
    (
        "package",
        (
            "I have a package that was delivered 3 days ago but I never got it, "
            "tracking says delivered to the front desk",
            "i'm away next week, can you hold my packages at the office",
            "my amazon package is missing from the package room",
        ),
    ),
    (
        "parking",
        (
            "i need a parking permit for my new car",
            "can i get a second parking spot",
            "I'd like to request a guest parking pass for my mom for the weekend",
        ),
    ),
    (
        "reservation",
        (
            "can you reserve the freight elevator for dec 19",
            "i'd like to book the community room for a birthday party on saturday",
            "I need to reserve the elevator for moving day next friday",
        ),
    ),
    (
        "leasing",
        (
            "i want to give my notice, i'm moving out at the end of january",
            "please put in my 60 day notice, we're moving out",
        ),
    ),
)


async def replied_ticket(rt: Runtime, reply: str) -> dict[str, object]:
    """The ticket the reply names, as stored."""
    found = re.search(r"ticket #(\d+)", reply)
    assert found, reply
    row = await rt.store.pool.fetchrow("SELECT * FROM tickets WHERE id = $1", int(found.group(1)))
    assert row is not None
    return dict(row)


@pytest.mark.parametrize(("category", "wordings"), _REQUESTS, ids=[c for c, _ in _REQUESTS])
async def test_a_request_for_the_office_is_a_ticket_of_its_kind(
    night_runtime: Runtime, spec: Spec, category: str, wordings: tuple[str, ...]
) -> None:
    """Each wording from a resident of its own; its roughened repeats from the same resident in new
    conversations are the same request, added to the open ticket rather than filed again."""
    orch = clocked(night_runtime, NIGHT)
    for i, wording in enumerate(wordings):
        customer = 20 + i
        before = await open_tickets(night_runtime, customer, category)
        for said in variants(spec, wording, 3, seed=i):
            session_id, (result,) = await converse(orch, [said], customer)
            row = await replied_ticket(night_runtime, result.text)
            assert (row["category"], row["customer_id"], row["status"]) == (category, customer, "open"), (said, row)
            assert "outside what I can help with" not in result.text and "What needs fixing" not in result.text
            assert await handoffs(night_runtime, session_id) == 0, (said, result.text)  # a ticket, nobody woken
        assert await open_tickets(night_runtime, customer, category) == before + 1, wording


async def open_tickets(rt: Runtime, customer: int, category: str) -> int:
    count: int = await rt.store.pool.fetchval(
        "SELECT count(*) FROM tickets WHERE customer_id = $1 AND category = $2 AND status = 'open'", customer, category
    )
    return count


# Whole trial conversations: the request leans on what was said before it.
_CONVERSATIONS: tuple[tuple[int, tuple[str, ...], str, str], ...] = (
    (  # #8: the complaint, a question, then "I want this logged": one noise ticket, added to
        13,
        (
            "there is a guy in 5B who plays drums every night till 1am. i have complained before and nothing happens",
            "what are the quiet hours anyway",
            "so are you going to do something or not? i want this logged",
        ),
        "noise",
        "5B",
    ),
    (  # #14: a charge the resident disputes
        16,
        (
            "why am i being charged for parking?? i dont even have a car",
            "i sold it in october. i told the office",
            "so can you take it off",
        ),
        "billing",
        "parking",
    ),
    (  # #9: the notice, after two questions about moving out
        4,
        (
            "Hi, I'm planning to move out at the end of January. How much notice do I need to give?",
            "and how do I get my security deposit back, how long does it take",
            "ok can you put in my notice now then",
        ),
        "leasing",
        "January",
    ),
    (  # #21: an exception only the office can grant
        2,
        (
            "whats the rule on subletting? i want to airbnb my place for 2 weeks over christmas while im away",
            "so airbnb is ok if i ask 30 days ahead?",
            "christmas is less than 30 days away tho. can you make an exception",
        ),
        "request",
        "airbnb",
    ),
    (  # #19: the missing package, where packages go, "can you find out who has it": one ticket
        8,
        (
            "I have a package that was delivered 3 days ago but I never got it, "
            "tracking says delivered to the front desk",
            "where do packages go normally?",
            "can you find out who has it",
        ),
        "package",
        "front desk",
    ),
    (  # #24: movers are not ours, but the freight elevator is
        11,
        (
            "can you recommend a good moving company? and also do you guys rent out moving trucks",
            "ok what about the freight elevator, do i need to reserve it for moving day",
            "can you reserve it for dec 19",
        ),
        "reservation",
        "dec 19",
    ),
)


@pytest.mark.parametrize(
    ("customer", "turns", "category", "subject_word"), _CONVERSATIONS, ids=[c for _, _, c, _ in _CONVERSATIONS]
)
async def test_the_trials_requests_end_on_one_ticket(
    night_runtime: Runtime, spec: Spec, customer: int, turns: tuple[str, ...], category: str, subject_word: str
) -> None:
    """The same conversation again (roughened) from the same resident is the same request: added to
    the open ticket, never a second one."""
    orch = clocked(night_runtime, NIGHT)
    before = await open_tickets(night_runtime, customer, category)
    for seed in range(3):
        said = [variants(spec, t, 2, seed=seed)[-1] if seed else t for t in turns]
        _session_id, results = await converse(orch, said, customer)
        row = await replied_ticket(night_runtime, results[-1].text)
        assert (row["category"], row["customer_id"], row["status"]) == (category, customer, "open"), (said, row)
        assert subject_word.lower() in f"{row['subject']} {row['body']}".lower(), row
        for r in results[1:]:  # movers and trucks (#24) are honestly not ours; the rest is
            assert "outside what I can help with" not in r.text and "What needs fixing" not in r.text, r.text
    assert await open_tickets(night_runtime, customer, category) == before + 1


async def test_a_repeat_complaint_is_added_to_the_open_ticket(night_runtime: Runtime, spec: Spec) -> None:
    """More of the same in the conversation, or the complaint again in a new one, goes on the open ticket."""
    orch = clocked(night_runtime, NIGHT)
    customer = 33
    first = "the guy in 5B plays drums every night till 1am"
    for seed, again in enumerate(
        ("he's playing the drums again right now", "it's happening again, still drums", "log it please")
    ):
        _session_id, results = await converse(orch, [variants(spec, first, 2, seed)[-1], again], customer)
        rows = await night_runtime.store.pool.fetch("SELECT * FROM tickets WHERE customer_id = $1", customer)
        assert [r["category"] for r in rows] == ["noise"], ([r.text for r in results], [dict(r) for r in rows])
        ticket = rows[0]["id"]
        assert all(f"ticket #{ticket}" in r.text for r in results), [r.text for r in results]
        assert "already" in results[1].text and str(rows[0]["body"]).count("Again:") >= 2 * seed + 1


_QUESTIONS = (
    "what are the quiet hours",
    "how much is a parking permit",
    "where do packages go normally?",
    "how much notice do i need to give before moving out",
    "can my guest park overnight?",
    "is the community room free to use?",
)


@pytest.mark.parametrize("question", _QUESTIONS)
async def test_a_question_about_the_same_topics_opens_no_ticket(
    night_runtime: Runtime, spec: Spec, question: str
) -> None:
    orch = clocked(night_runtime, NIGHT)
    for said in variants(spec, question, 3, seed=7):
        session_id, (result,) = await converse(orch, [said])
        assert await tickets(night_runtime, session_id) == [], (said, result.text)


# --- #29: a drip from the unit upstairs is an urgent repair, not the emergency lock ---------------------

_DRIPS = (
    "there's water dripping from my bathroom ceiling, i think from upstairs",
    "the ceiling in my kitchen is dripping",
    "there's a wet spot on my ceiling that drips, probably from upstairs",
    "hey theres water dripping from my ceiling in the bathroom, i think from upstairs",
)
_POURING = (
    "there is water pouring from my ceiling",
    "water is dripping from the ceiling light in my kitchen",
    "water is coming through my bathroom ceiling",
)


async def test_a_drip_from_above_is_an_urgent_repair_ticket(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    for i, wording in enumerate(_DRIPS):
        for said in variants(spec, wording, 3, seed=i):
            session_id, (result,) = await converse(orch, [said], 30 + i)
            row = await replied_ticket(night_runtime, result.text)
            assert (row["category"], row["priority"], row["customer_id"]) == ("maintenance", "urgent", 30 + i), said
            assert await handoffs(night_runtime, session_id) == 0, (said, result.text)
            assert "shut-off valve" not in result.text and "555-0100" in result.text, result.text


async def test_water_pouring_in_or_onto_a_light_is_still_an_emergency(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    for i, wording in enumerate(_POURING):
        for said in variants(spec, wording, 2, seed=i):
            session_id, (result,) = await converse(orch, [said], 35)
            assert result.human_handoff and await handoffs(night_runtime, session_id) == 1, (said, result.text)


async def test_the_drip_and_the_parking_question_are_both_taken_up(night_runtime: Runtime, spec: Spec) -> None:
    """#29 as the trial sent it (roughened): both requests on tickets in the first reply, the downplay
    added to the leak's ticket, no emergency lock and no handoff."""
    orch = clocked(night_runtime, NIGHT)
    for seed in range(3):
        customer = 36 + seed
        first = (
            "hey theres water dripping from my ceiling in the bathroom, i think from upstairs. anyway, the real "
            "reason I'm writing: can I get a second parking spot?"
        )
        turns = [first, "the water is just a small drip, not a big deal"]
        said = [variants(spec, t, 2, seed=seed)[-1] if seed else t for t in turns]
        session_id, results = await converse(orch, said, customer)
        rows = await tickets(night_runtime, session_id)
        assert sorted(str(r["category"]) for r in rows) == ["maintenance", "parking"], ([r.text for r in results], rows)
        leak = next(r for r in rows if r["category"] == "maintenance")
        assert all(f"ticket #{r['id']}" in results[0].text for r in rows), results[0].text
        assert f"ticket #{leak['id']}" in results[1].text and "Again:" in str(leak["body"]), results[1].text
        assert await handoffs(night_runtime, session_id) == 0


# --- #42: an angry Spanish complaint about days without hot water is an urgent repair, not "un pago" ------

_OUTAGES_ES = (
    "ESTOY HARTA!!! llevo 2 semanas sin agua caliente y nadie viene. pago 2400 de renta para esto???",
    "llevamos tres días sin calefacción y nadie viene a arreglarla",
    "no hay agua caliente desde el lunes, ya me quejé dos veces",
    "estoy harto, pago mi renta puntual y sigo sin luz en la cocina",
)


async def test_a_spanish_outage_complaint_is_an_urgent_repair_handoff(night_runtime: Runtime, spec: Spec) -> None:
    orch = clocked(night_runtime, NIGHT)
    for i, wording in enumerate(_OUTAGES_ES):
        for said in variants(spec, wording, 3, seed=i, language="es"):
            session_id, results = await converse(orch, [said, "quiero hablar con el gerente"], 24)
            first, manager = results
            assert "reparación urgente" in first.text and "un pago" not in first.text, (said, first.text)
            rows = await night_runtime.store.pool.fetch(
                "SELECT h.queue, h.priority, t.body FROM handoffs h"
                " JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint WHERE h.session_id = $1",
                uuid.UUID(session_id),
            )
            assert [(r["queue"], r["priority"]) for r in rows] == [("spanish", "high")], (said, rows)
            assert "urgent repair" in str(rows[0]["body"]) and "gerente" in str(rows[0]["body"])
            assert re.search(r"ticket #\d+", manager.text)
    # a payment in Spanish is still a payment, at normal priority
    session_id, (paid,) = await converse(orch, ["hola, quisiera pagar mi renta con la tarjeta"], 19)
    queue = await night_runtime.store.pool.fetchrow(
        "SELECT queue, priority FROM handoffs WHERE session_id = $1", uuid.UUID(session_id)
    )
    assert "un pago" in paid.text and queue is not None and tuple(queue) == ("spanish", "normal")


async def test_camera_footage_and_more_words_for_a_ticket(night_runtime: Runtime, spec: Spec) -> None:
    """#39: "can you check the cameras for me" is a request for the management team, not the
    complaint-or-person question again; 12-02 c07: "just tell them its been going on 2 weeks and its
    unit above mine" after a noise complaint goes on that complaint's ticket."""
    orch = clocked(night_runtime, NIGHT)
    hit = "someone hit my car in the parking lot last night and drove off. is there a camera? who pays for this"
    for seed, ask in enumerate(("can you check the cameras for me", "could you pull the security footage")):
        for said in variants(spec, ask, 2, seed=seed):
            _session_id, (_first, result) = await converse(orch, [hit, said], 34)
            row = await replied_ticket(night_runtime, result.text)
            assert (row["category"], row["customer_id"]) == ("request", 34), (said, result.text)
            assert "can't view the cameras myself" in result.text
    noise = "my upstairs neighbor blasts music every night until 2am"
    for said in variants(spec, "just tell them its been going on 2 weeks and its the unit above mine", 3, seed=9):
        session_id, (first, more) = await converse(orch, [noise, said], 40)
        row = await replied_ticket(night_runtime, more.text)
        assert row["category"] == "noise" and f"ticket #{row['id']}" in first.text, (said, more.text)
        assert "2 weeks" in str(row["body"]), row["body"]

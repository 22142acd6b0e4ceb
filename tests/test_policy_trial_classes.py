"""Policy questions and their follow-ups, from the resident's side (outsider trial 2, class E).

Whole conversations through the orchestrator on a seeded runtime of their own, each wording roughened by
the eval generator, checking the reply and the database end state (tickets, handoffs):

- a relative staying weeks, and subletting "for the summer, allowed?", get the handbook's rule, not the
  out-of-scope decline or "didn't understand"; "what if it turns into 2 months" / "what if its just airbnb"
  stay on that rule; "ok who do i tell" and "who do I send the paperwork to" get the office's contacts;
- "what if i leave a couple weeks early, do i still pay the full month" gets the move-out rule on rent,
  not how to pay rent;
- "i already knocked, he doesnt care" after a noise complaint goes on its ticket, and "can you guys do
  something about it or not" points to that ticket with the person still on offer;
- "ok actually, when is the office open on saturdays" after "Would you like me to connect you with the
  office?" is a new question, answered, and hands nothing to a person.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import pytest
from seeded import TZ, clocked, seeded_runtime, session_turns, variants

from callcenter.evals.paraphrase import Spec
from callcenter.runtime import Runtime
from callcenter.settings import Settings

NIGHT = datetime(2026, 12, 2, 3, 0, tzinfo=TZ)  # when the outsider talked to it
OFFICE = "555-0199"
DECLINE = ("outside what I can help with", "didn't understand")


@pytest.fixture(scope="module")
async def rt(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=NIGHT.date()) as runtime:
        yield runtime


async def tickets(pool: asyncpg.Pool, session: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT id, category, body FROM tickets WHERE session_id = $1 ORDER BY id", session
    )
    return rows


async def handoffs(pool: asyncpg.Pool, session: uuid.UUID) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM handoffs WHERE session_id = $1 AND kind = 'human'", session))


def declined(text: str) -> bool:
    return any(d in text for d in DECLINE)


# (first question, its follow-ups, what the rule's answer says, then who to tell)
_RULES = (
    (
        (
            "my sister is gonna stay with me for like 3 weeks, is that ok",
            "my mom is staying with us for a month, is that allowed?",
            "can my brother stay with me for 5 weeks",
        ),
        ("what if it turns into 2 months", "and what if she stays longer"),
        "14 nights",
        ("ok who do i tell", "who should i tell", "who do i need to notify"),
    ),
    (
        (
            "thinking about subletting my place for the summer while im abroad, allowed?",
            "planning to sublet my apartment this summer, is that ok?",
        ),
        ("what if its just airbnb for a few weekends", "and what about airbnb for a couple weekends"),
        "written approval",
        ("who do i tell", "who do i send the request to"),
    ),
    (
        ("can i get a dog? she's a 60lb lab mix",),
        ("and what if shes a registered emotional support animal?",),
        "support animals",
        ("who do I send the paperwork to", "who do i give the documents to", "who should i send the forms to"),
    ),
)


@pytest.mark.parametrize(("firsts", "follow_ups", "rule", "whos"), _RULES, ids=["guest", "sublet", "pet"])
async def test_a_policy_question_its_follow_up_and_who_to_tell(
    rt: Runtime, spec: Spec, firsts: tuple[str, ...], follow_ups: tuple[str, ...], rule: str, whos: tuple[str, ...]
) -> None:
    orch = clocked(rt, NIGHT)
    residents = iter(range(2, 41))
    for i, first in enumerate(firsts):
        for said in variants(spec, first, 2, seed=31):
            follow_up = variants(spec, follow_ups[i % len(follow_ups)], 2, seed=i)[-1]
            who = variants(spec, whos[i % len(whos)], 2, seed=i + 7)[-1]
            session, [answer, more, office] = await session_turns(orch, next(residents), [said, follow_up, who])
            assert not declined(answer.text) and not declined(more.text), (said, answer.text, follow_up, more.text)
            assert rule in answer.text + more.text, (said, answer.text, more.text)
            assert OFFICE in office.text and "resident portal" not in office.text, (who, office.text)
            assert not await tickets(rt.store.pool, session) and not await handoffs(rt.store.pool, session)


_LEAVE_EARLY = (
    "what if i leave a couple weeks early, do i still pay the full month",
    "if i move out 2 weeks early do i still owe rent for the whole month",
    "do i have to pay rent if i break my lease",
)


async def test_leaving_early_gets_the_rent_rule_not_how_to_pay(rt: Runtime, spec: Spec) -> None:
    orch = clocked(rt, NIGHT)
    opening = ["how much notice do i need to give to move out", "and when do i get my deposit back"]
    for leave in _LEAVE_EARLY:
        for said in variants(spec, leave, 2, seed=5):
            session, [notice, deposit, early] = await session_turns(orch, 21, [*opening, said])
            assert "60 days" in notice.text and "30 days" in deposit.text, (notice.text, deposit.text)
            assert "rent is still owed through the end of the notice period" in early.text, (said, early.text)
            assert "How to pay rent" not in early.text
            assert not await tickets(rt.store.pool, session)


_TRIED = (
    "i already knocked, he doesnt care",
    "we already talked to him and he doesn't care",
    "i told them, they ignored me",
)
_PRESS = ("can you guys do something about it or not", "so what are you going to do about it")


async def test_noise_follow_ups_stay_on_the_ticket(rt: Runtime, spec: Spec) -> None:
    orch = clocked(rt, NIGHT)
    noise = "the guy next door has been blasting music till 2am every night this week"
    residents = iter(range(10, 41))
    for i, tried in enumerate(_TRIED):
        for said in variants(spec, tried, 2, seed=3):
            press = variants(spec, _PRESS[i % len(_PRESS)], 2, seed=i)[-1]
            session, [logged, added, pressed] = await session_turns(orch, next(residents), [noise, said, press])
            rows = await tickets(rt.store.pool, session)
            assert [r["category"] for r in rows] == ["noise"], (said, rows)
            ticket = f"#{rows[0]['id']}"
            assert ticket in logged.text and ticket in added.text and ticket in pressed.text, (added.text, pressed.text)
            assert "handbook" not in added.text and not declined(pressed.text), (added.text, pressed.text)
            assert "connect you with a person" in pressed.text, pressed.text
            assert said in rows[0]["body"], rows[0]["body"]  # the added detail is on the ticket
            assert not await handoffs(rt.store.pool, session)


_NEW_QUESTION = (
    "ok actually, when is the office open on saturdays",
    "ok but what are the office hours on saturday?",
    "yeah anyway when does the office open saturday",
)


async def test_a_new_question_after_ok_is_not_a_yes(rt: Runtime, spec: Spec) -> None:
    orch = clocked(rt, NIGHT)
    for asked in _NEW_QUESTION:
        for said in variants(spec, asked, 2, seed=9):
            session, [_, miss, hours] = await session_turns(
                orch, 9, ["hey how's your day going", "lol do you like the patriots", said]
            )
            assert "connect you with the office" in miss.text, miss.text
            assert "Saturday 10:00 AM to 4:00 PM" in hours.text and not hours.human_handoff, (said, hours.text)
            assert not await handoffs(rt.store.pool, session) and not await tickets(rt.store.pool, session)
    session, [_, _, yes] = await session_turns(orch, 9, ["hi", "lol do you like the patriots", "ok sure"])
    assert yes.human_handoff and await handoffs(rt.store.pool, session) == 1, yes.text


_ANGRY = ("I'm not paying another cent until this is fixed", "this better get fixed or im done paying")
_PERSON = ("just give me a real person", "get me a human")


async def test_a_person_asked_for_after_a_billing_handoff_is_the_billing_team(rt: Runtime, spec: Spec) -> None:
    orch = clocked(rt, NIGHT)
    residents = iter(range(20, 41))
    for angry in _ANGRY:
        for said in variants(spec, angry, 2, seed=4):
            person = variants(spec, _PERSON[len(said) % 2], 2, seed=2)[-1]
            first = "YOU PEOPLE CHARGED MY CARD TWICE THIS MONTH. I want my money back NOW"
            session, [refund, _, joined] = await session_turns(orch, next(residents), [first, said, person])
            assert "billing team" in refund.text and "maintenance" not in joined.text, (said, person, joined.text)
            queues = await rt.store.pool.fetch(
                "SELECT DISTINCT queue FROM handoffs WHERE session_id = $1 AND kind = 'human'", session
            )
            assert [r["queue"] for r in queues] == ["billing"], (said, person, queues)

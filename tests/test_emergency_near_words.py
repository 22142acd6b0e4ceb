"""Ordinary sentences holding a word one slip from a danger word raise no emergency; real reports still do.

A safety gap (outsider trial 2, 2026-12-02, conv 27): "n if he parks in a reserved spot by accident?" read
"parks" as a slip of "sparks" and got the fire-safety reply, an urgent emergency ticket and a page to the
emergency team. Every real word a slip of a danger word spells ("parks", "parking", "eater", "praying",
"hearing", "seeing", "dropping"...) is now kept as typed, and a danger word used in its ordinary sense
("fired from my job", "a burning question", "the gas station", "a flood of emails") is no report. Each
sentence is tried as typed and roughened (courtesy, hesitation, casing, typos) through the orchestrator on
a seeded database; the end state is read from the tickets and handoffs tables.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from seeded import NIGHT, clocked, variants

from callcenter.evals.paraphrase import Spec
from callcenter.routing.emergency_slips import ORDINARY_WORDS, slip_fixer
from callcenter.runtime import Runtime

_ORDINARY = (
    "n if he parks in a reserved spot by accident?",
    "what if my guest parks in a reserved spot by accident?",
    "what if someone parks in my spot",
    "where does my boyfriend park when he parks overnight",
    "is there parking for guests",
    "my neighbor keeps parking in my space",
    "i got fired from my job so rent might be late",
    "i have a burning question about my lease",
    "that's a smoking deal on the parking pass",
    "is there a gas station near the building",
    "i'm getting a flood of emails from the portal",
    "my car alarm keeps going off in the garage, is that a problem for the lease",
    "i was praying you'd have an opening this week",
    "i'm hearing a weird noise from the dryer",
    "we're seeing ants in the kitchen",
    "my cat knocked over the food bowl and there's food everywhere on the rug",
    "can i get a new key, i keep dropping mine",
    "i'm selling my couch, can i leave it in the hallway",
    "is a hot water kettle allowed",
    "the pie place downstairs is loud at night",
    "can i hang a wreath with a wire hook on my door",
)
_REAL = (
    "there are sparks coming out of the outlet",
    "i see sparsk from the outlet",
    "the gas sell came back",
    "my kitchn is floodign",
    "theres smoek in the hallway",
    "i smel gas in my kitchen",
    "water is pouring through my ceiling",
)


async def say(rt: Runtime, customer: int, said: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    orch = clocked(rt, NIGHT)
    session = await orch.open_session(channel="test", customer_id=customer)
    reply = (await orch.handle_turn(session.id, said)).text
    sid = uuid.UUID(session.id)
    async with rt.store.pool.acquire() as conn:
        people = [
            dict(r)
            for r in await conn.fetch(
                "SELECT queue, priority FROM handoffs WHERE session_id = $1 AND kind = 'human'", sid
            )
        ]
        tickets = [
            dict(r) for r in await conn.fetch("SELECT category, priority FROM tickets WHERE session_id = $1", sid)
        ]
    return reply, people, tickets


@pytest.mark.parametrize("sentence", _ORDINARY)
async def test_ordinary_near_words_raise_no_emergency(night_runtime: Runtime, spec: Spec, sentence: str) -> None:
    for said in dict.fromkeys(variants(spec, sentence, 3, seed=27)):
        reply, people, tickets = await say(night_runtime, 2, said)
        assert not any(p["queue"] == "emergency" or p["priority"] == "urgent" for p in people), (said, reply)
        assert not any(t["category"] == "emergency" or t["priority"] == "urgent" for t in tickets), (said, reply)
        assert "911" not in reply and "leave the building now" not in reply.lower(), (said, reply)


@pytest.mark.parametrize("sentence", _REAL)
async def test_real_reports_with_slips_still_reach_the_emergency_team(night_runtime: Runtime, sentence: str) -> None:
    reply, people, _ = await say(night_runtime, 3, sentence)
    assert any(p["queue"] == "emergency" and p["priority"] == "urgent" for p in people), (sentence, reply)


def test_an_ordinary_word_is_mended_only_beside_what_is_in_danger() -> None:
    fixed = slip_fixer(())
    assert all(fixed(f"what if my guest {word} here") == f"what if my guest {word} here" for word in ORDINARY_WORDS)
    assert fixed("the gas sell came back") == "the gas smell came back"

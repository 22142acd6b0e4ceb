"""The handbook's answer is the sentence that answers, from the resident's side (an outsider's trial).

The right section with the wrong sentence reads as a miss: "how late can I make noise" was
answered with how to report a neighbour, "do you have EV chargig?" with the price of a space.
Each question is asked of the handbook agent as written, with one slip in its longest word (of six
letters or more), and wrapped in courtesy; the reply must carry the fact that answers it and not
the sentence that was quoted before.
"""

from __future__ import annotations

import random
import re
from datetime import datetime

import asyncpg
import pytest
from callcenter_agents.general import AGENT
from callcenter_tools.booking import BUSINESS_TZ
from flow_convo import Convo

ANSWERS: dict[str, tuple[str, list[str]]] = {
    "quiet hours": (
        r"10:00 PM",
        [
            "how late can I make noise",
            "till when can I play music in the evening",
            "what time do I have to keep it down",
        ],
    ),
    "ev charging": (
        r"Electric vehicle charging",
        ["do you have EV charging?", "is there somewhere to charge my electric car", "any chargers for electric cars"],
    ),
    "guest parking": (r"48 hours", ["where can my visitors park?", "can a guest leave their car here overnight"]),
    "fob price": (r"\$25", ["how much for a new fob", "I lost my key fob, what does a replacement cost?"]),
    "pet deposit": (r"\$300", ["how much is the pet deposit", "is there a deposit for my cat?"]),
    "card fee": (r"no fee", ["is there a fee for paying by card?", "are there any card fees?"]),
    "office location": (r"lobby", ["where is the management office?", "where's the leasing office located"]),
    "package room": (
        r"package room",
        ["where do my packages go?", "amazon delivered a box while I was out, where is it"],
    ),
    "grace period": (r"grace period", ["is there a grace period for rent?", "do I get a grace period if rent is late"]),
    "lifeguard": (r"no lifeguard", ["is there a lifeguard at the pool?", "does the pool have a lifeguard"]),
}
NOT = {"quiet hours": r"friendly word", "ev charging": r"\$60", "pet deposit": r"leashed"}


def slipped(question: str, rng: random.Random) -> str:
    words = question.split()
    i = max(range(len(words)), key=lambda k: len(words[k].strip("?,.")))
    word = words[i].strip("?,.")
    if len(word) < 6:
        return question
    j = rng.randrange(1, len(word) - 1)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :] if rng.random() < 0.5 else word[:j] + word[j + 1 :]
    return " ".join(words)


def variants() -> list[tuple[str, str]]:
    rng = random.Random(9)
    out = []
    for topic, (_, questions) in ANSWERS.items():
        for q in questions:
            out += [(topic, q), (topic, slipped(q, rng)), (topic, f"hi there, {q[0].lower()}{q[1:]} thanks!")]
    return out


@pytest.mark.parametrize(("topic", "question"), variants())
async def test_the_handbook_answer_is_the_sentence_that_answers(pool: asyncpg.Pool, topic: str, question: str) -> None:
    c = await Convo(pool, AGENT, None, datetime(2026, 3, 11, 14, 0, tzinfo=BUSINESS_TZ)).open()
    out = await c.say(question)
    fact, _ = ANSWERS[topic]
    assert re.search(fact, out.text), (question, out.text)
    if topic in NOT:
        assert not re.search(NOT[topic], out.text), (question, out.text)

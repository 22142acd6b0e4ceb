"""Smoke filling a home and gas smelled in Spanish or with a slip reach the emergency team; smoking, the gas
bill and a chirping detector do not.

A safety gap (2026-12-02): "the hallway is full of smoke" and "my apartment is filling with smoke" were
offered a complaint, and "hele a gas en mi apartamento" (for "huele a gas") went to the Spanish queue at
normal priority with no emergency line. Each wording below is tried as typed, with a slip generated in
its danger word, and roughened (courtesy, hesitation, casing, typos; Spanish unaccented), through the
orchestrator on a seeded database; the end state is read from the handoffs table.
"""

from __future__ import annotations

import random
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
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
EVENING = datetime(2026, 12, 1, 21, 10, tzinfo=TZ)
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
LINE = "555-0100"
# The safety answer: leave now (English), "salga" (Spanish).
SAFETY = re.compile(r"leave (?:your home|the building) now|get (?:everyone )?out|\bsalga\b", re.I)

# Danger words a slip is generated in (one per wording, deterministic).
_DANGER = re.compile(r"\b(?:smoke|smell|gas|humo|huele|olor|filling|everywhere|outlet|enchufe)\b", re.I)

_EMERGENCIES_EN = (
    "the hallway is full of smoke",
    "my apartment is filling with smoke",
    "smoke is filling up the stairwell",
    "smoke is spreading into my unit from next door",
    "there's smoke coming in under my door",
    "smoke everywhere in the kitchen",
    "there is smoke coming from the outlet in my bedroom",
    "the living room is filled with smoke",
    "i smel gas in my kitchen",
    "theres smoek in the hallway",
    "my place is getting smoky and i can't see where it's from",
)
_EMERGENCIES_ES = (
    "huele a gas en mi apartamento",
    "hele a gas en mi apartamento",
    "hay olor a gas en la cocina",
    "hay humo en el pasillo",
    "sale humo del enchufe",
    "mi departamento se esta llenando de humo",
)
_NOT_EMERGENCIES_EN = (
    "my smoke detector chirps every minute, i think the battery is low",
    "the smoke alarm has a low battery chirp",
    "can i smoke on the balcony",
    "is smoking allowed in the building",
    "i have a question about the gas bill",
    "my gas stove won't light",
    "what is the smoke-free building policy",
)
_NOT_EMERGENCIES_ES = (
    "se puede fumar en el balcon",
    "tengo una pregunta sobre la factura del gas",
    "la estufa de gas no prende",
)


def slipped(text: str, seed: int) -> str:
    """`text` with one slip (a swap, a dropped or a doubled letter) in one danger word."""
    found = list(_DANGER.finditer(text))
    if not found:
        return text
    rng = random.Random(f"{seed}:{text}")
    m = rng.choice(found)
    word = m.group(0)
    i = rng.randrange(len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == "drop" and len(word) >= 4:
        typo = word[:i] + word[i + 1 :]
    else:
        typo = word[: i + 1] + word[i] + word[i + 1 :]
    return text[: m.start()] + typo + text[m.end() :]


def wordings(spec: Spec, text: str, language: str, seed: int) -> list[str]:
    """As typed, with a slip in a danger word, and roughened: each distinct."""
    out = [text, slipped(text, seed)] + variants(spec, text, 3, seed=seed, language=language)[1:]
    return list(dict.fromkeys(out))


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def rt(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=EVENING.date()) as runtime:
        yield runtime


@dataclass
class Ended:
    reply: str
    people: list[dict[str, Any]]

    @property
    def urgent(self) -> bool:
        return any(h["queue"] == "emergency" and h["priority"] == "urgent" for h in self.people)


async def say(rt: Runtime, customer: int, said: str) -> Ended:
    orch = clocked(rt, EVENING)
    session = await orch.open_session(channel="test", customer_id=customer)
    reply = (await orch.handle_turn(session.id, said)).text
    async with rt.store.pool.acquire() as conn:
        people = [
            dict(r)
            for r in await conn.fetch(
                "SELECT queue, priority FROM handoffs WHERE session_id = $1 AND kind = 'human'",
                uuid.UUID(session.id),
            )
        ]
    return Ended(reply, people)


@pytest.mark.parametrize(
    ("wording", "language"), [(w, "en") for w in _EMERGENCIES_EN] + [(w, "es") for w in _EMERGENCIES_ES]
)
async def test_smoke_and_gas_reach_the_emergency_team(rt: Runtime, spec: Spec, wording: str, language: str) -> None:
    for n, said in enumerate(wordings(spec, wording, language, seed=51)):
        ended = await say(rt, 8 + n % 3, said)
        assert ended.urgent, (said, ended.reply, ended.people)
        assert LINE in ended.reply and SAFETY.search(ended.reply), (said, ended.reply)


@pytest.mark.parametrize(
    ("wording", "language"), [(w, "en") for w in _NOT_EMERGENCIES_EN] + [(w, "es") for w in _NOT_EMERGENCIES_ES]
)
async def test_smoking_the_gas_bill_and_a_chirp_are_not_emergencies(
    rt: Runtime, spec: Spec, wording: str, language: str
) -> None:
    for n, said in enumerate(wordings(spec, wording, language, seed=52)):
        ended = await say(rt, 11 + n % 3, said)
        assert not ended.urgent, (said, ended.reply, ended.people)
        assert not any(h["queue"] == "emergency" for h in ended.people), (said, ended.people)
        assert not re.search(r"leave (?:your home|the building) now|salga de su casa", ended.reply, re.I), ended.reply

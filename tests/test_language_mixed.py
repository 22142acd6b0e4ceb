"""Spanish beyond emergencies, from the resident's side (an outsider's trial, generated wordings).

- A message that mixes Spanish words into an English request ("mi inodoro esta tapado, can you send
  someone") is answered in English by the flows, with the Spanish words understood (the language
  file's glossary), not handed to the Spanish queue.
- A Spanish message that is mostly Spanish with a few English nouns ("quiero pagar my rent") still
  goes to a Spanish speaker, and so does every ordinary Spanish request; the reply says, in Spanish,
  what was understood, that the assistant can only do it in English, and that a person who speaks
  Spanish is joining; the desk's reason names the topic.
"""

from __future__ import annotations

import itertools
import uuid

import asyncpg
import pytest

from callcenter.app import load_app
from callcenter.language.detect import LanguageDetector
from callcenter.runtime import Runtime

DETECT = LanguageDetector(load_app().languages)

SPANISH_PARTS = [
    ("mi inodoro esta tapado", "plumbing"),
    ("mi fregadero esta goteando", "plumbing"),
    ("el lavabo del baño está tapado", "plumbing"),
    ("la estufa no prende", "appliance"),
    ("mi refri no enfria", "appliance"),
]
ENGLISH_ASKS = [
    "can you send someone",
    "could you send a plumber pls",
    "can someone come fix it?",
    "I need somebody to look at it",
]


def mixed() -> list[tuple[str, str]]:
    out = []
    for i, ((es, category), en) in enumerate(itertools.product(SPANISH_PARTS, ENGLISH_ASKS)):
        out.append((f"{es}, {en}" if i % 2 else f"{en}, {es}", category))
    return out


@pytest.mark.parametrize(("text", "category"), mixed())
def test_an_english_clause_keeps_the_conversation_in_english(text: str, category: str) -> None:
    assert DETECT.resolve(DETECT.detect(text), None, text) == "en", text


@pytest.mark.parametrize(
    "text", ["quiero pagar my rent", "mi sink esta tapado", "el heater no funciona", "necesito ayuda con mi apartment"]
)
def test_spanish_with_a_few_english_nouns_stays_spanish(text: str) -> None:
    assert DETECT.resolve(DETECT.detect(text), None, text) == "es", text


async def _handoffs(pool: asyncpg.Pool, session_id: str) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT queue, context->>'reason' AS reason FROM handoffs WHERE session_id=$1 AND kind='human' ORDER BY id",
        uuid.UUID(session_id),
    )
    return [(r["queue"], r["reason"] or "") for r in rows]


@pytest.mark.parametrize(("text", "category"), mixed()[::3])
async def test_a_mixed_repair_request_is_booked_in_english(runtime: Runtime, text: str, category: str) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=7)
    out = await orch.handle_turn(session.id, text)
    assert out.language == "en" and not out.human_handoff, (text, out.text)
    assert out.agent == "booking" and "1)" in out.text, (text, out.text)
    assert await _handoffs(runtime.pool, session.id) == []


SPANISH_REQUESTS = {
    "repair request": [
        "quiero reparar mi fregadero",
        "la llave del baño gotea, pueden venir mañana?",
        "no sirve el aire",
    ],
    "balance or charges question": ["cuanto debo?", "cuánto debo de renta", "por que me cobraron una multa"],
    "make a payment": ["quiero pagar la renta", "Buenos días, quiero pagar mi renta por favor", "como hago un pago"],
    # moving, booking and cancelling a visit are the booking flow's, in Spanish (es.toml [flows];
    # tests/test_booking_spanish_moves.py, tests/test_booking_spanish_new_and_cancel.py); a question about one is not
    "change or cancel an appointment": ["a que hora es mi cita?", "tengo una duda sobre mi cita del jueves"],
}


@pytest.mark.parametrize(("topic", "text"), [(t, x) for t, xs in SPANISH_REQUESTS.items() for x in xs])
async def test_ordinary_spanish_requests_are_handed_over_honestly_in_spanish(
    runtime: Runtime, topic: str, text: str
) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=8)
    out = await orch.handle_turn(session.id, text)
    assert out.human_handoff and out.language == "es", (text, out.text)
    assert "Entiendo que necesita ayuda con" in out.text and "solo puedo hacer eso en inglés" in out.text, out.text
    assert "habla español" in out.text and "outside" not in out.text
    [(queue, reason)] = await _handoffs(runtime.pool, session.id)
    assert queue == "spanish" and f"({topic})" in reason, (text, reason)


SHORT_ANSWERS = ["el jueves por favor", "mañana en la tarde", "el lunes", "la primera", "sí, gracias"]


@pytest.mark.parametrize("answer", SHORT_ANSWERS)
def test_a_short_spanish_answer_to_an_english_question_stays_english(answer: str) -> None:
    assert DETECT.resolve(DETECT.detect(answer), None, answer, in_flow=True) == "en", answer


@pytest.mark.parametrize("answer", ["el jueves por favor", "el jueves", "jueves porfa"])
async def test_a_spanish_day_mid_booking_is_the_day(runtime: Runtime, answer: str) -> None:
    orch = runtime.orchestrator
    session = await orch.open_session(channel="test", customer_id=12)
    first = await orch.handle_turn(session.id, "my washer is leaking, can someone come")
    assert first.agent == "booking" and "1)" in first.text
    out = await orch.handle_turn(session.id, answer)
    assert out.agent == "booking" and not out.human_handoff, (answer, out.text)
    assert "Thu" in out.text and "español" not in out.text, (answer, out.text)

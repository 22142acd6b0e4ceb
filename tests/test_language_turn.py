"""Whole conversations in Spanish (and a third language from a file) through the orchestrator."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import asyncpg

from callcenter.language.packs import load_languages
from callcenter.orchestrator import Orchestrator, TurnResult
from callcenter.runtime import Runtime

REPO = Path(__file__).resolve().parents[1]


async def _talk(orch: Orchestrator, customer: int | None, *texts: str) -> tuple[str, list[TurnResult]]:
    session = await orch.open_session(channel="test", customer_id=customer)
    return session.id, [await orch.handle_turn(session.id, t) for t in texts]


async def _handoffs(pool: asyncpg.Pool, session_id: str) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT queue, priority FROM handoffs WHERE session_id=$1 AND kind='human' ORDER BY id", uuid.UUID(session_id)
    )
    return [(r["queue"], r["priority"]) for r in rows]


async def _language(pool: asyncpg.Pool, session_id: str) -> str | None:
    language: str | None = await pool.fetchval("SELECT language FROM sessions WHERE id=$1", uuid.UUID(session_id))
    return language


async def test_a_spanish_gas_report_gets_spanish_safety_steps_and_an_urgent_handoff(runtime: Runtime) -> None:
    sid, [gas, after, coming] = await _talk(
        runtime.orchestrator, 1, "oye, huele a gas en mi cocina", "¿y ahora qué hago?", "ya viene alguien?"
    )
    assert gas.human_handoff and gas.language == "es" and gas.vertical == "escalation"
    assert "Salga de su casa" in gas.text and "555-0100" in gas.text and "911" in gas.text
    assert "ticket #" in gas.text and "Reference" not in gas.text
    # the emergency is remembered: what was asked is answered (the step that matters now, the ticket's status)
    assert "salga de su casa ahora" in after.text and "Nuestro equipo de emergencias tiene el ticket #" in after.text
    assert "una persona se unirá" in coming.text and "Salga de su casa ahora mismo" not in coming.text
    assert await _handoffs(runtime.pool, sid) == [("emergency", "urgent")]  # one ticket, updated
    assert await _language(runtime.pool, sid) == "es"


async def test_spanish_flooding_without_accents_and_in_lower_case(runtime: Runtime) -> None:
    sid, [flood] = await _talk(runtime.orchestrator, None, "se esta inundando el bano, ayudenme porfa")
    assert flood.human_handoff and "llave de paso" in flood.text and "555-0100" in flood.text
    assert await _handoffs(runtime.pool, sid) == [("emergency", "urgent")]


async def test_asking_for_a_person_in_spanish_goes_to_the_spanish_queue(runtime: Runtime) -> None:
    sid, [person, again] = await _talk(runtime.orchestrator, 6, "quiero hablar con una persona", "hola??")
    assert person.human_handoff and "persona" in person.text and "español" in person.text
    assert "pronto" in again.text  # still waiting: told so, in Spanish, same handoff
    assert await _handoffs(runtime.pool, sid) == [("spanish", "normal")]
    queue = await runtime.pool.fetchval(
        "SELECT count(*) FROM handoffs WHERE session_id=$1 AND kind='human' AND status='waiting'", uuid.UUID(sid)
    )
    assert queue == 1  # on the agent desk's queue


async def test_other_spanish_requests_go_to_a_spanish_speaker_not_a_refusal(runtime: Runtime) -> None:
    before = await runtime.pool.fetchval("SELECT count(*) FROM payments WHERE customer_id = 2")
    sid, [rent] = await _talk(runtime.orchestrator, 2, "Buenos días, quiero pagar mi renta por favor")
    assert rent.human_handoff and "español" in rent.text and "outside" not in rent.text
    assert await _handoffs(runtime.pool, sid) == [("spanish", "normal")]
    # Nothing paid for this resident by the turn (the seed's own payments may be seconds old).
    assert await runtime.pool.fetchval("SELECT count(*) FROM payments WHERE customer_id = 2") == before


async def test_english_residents_with_a_gracias_or_a_spanish_street_stay_english(runtime: Runtime) -> None:
    sid, [sink, thanks] = await _talk(
        runtime.orchestrator, 3, "my kitchen sink is leaking, I live on Paseo de la Playa", "gracias"
    )
    assert sink.agent == "booking" and sink.language == "en" and "1)" in sink.text
    assert thanks.language == "en" and not thanks.human_handoff
    assert await _language(runtime.pool, sid) is None and await _handoffs(runtime.pool, sid) == []


async def test_mixed_english_and_spanish(runtime: Runtime) -> None:
    orch = runtime.orchestrator
    _, [help_gas] = await _talk(orch, None, "help! huele a gas")
    assert help_gas.language == "es" and "Salga de su casa" in help_gas.text
    sid, [ask] = await _talk(orch, 4, "can someone help me in Spanish?")
    assert ask.human_handoff and "español" in ask.text
    assert await _handoffs(runtime.pool, sid) == [("spanish", "normal")]
    sid, [english_gas] = await _talk(orch, None, "there is a fuga de gas in the hallway")
    assert english_gas.human_handoff and await _handoffs(runtime.pool, sid) == [("emergency", "urgent")]


async def test_a_third_language_is_only_a_file(runtime: Runtime, tmp_path: Path) -> None:
    (tmp_path / "it.toml").write_text(
        """
code = "it"
name = "Italian"
queue = "italian"
person = ['\\b(?:voglio|vorrei|posso)\\s+parlare\\s+con\\s+(?:una\\s+persona|qualcuno|un\\s+operatore)']
[lexicon]
words = ["voglio", "vorrei", "parlare", "qualcuno", "sento", "odore", "cucina", "aiuto", "perdita", "il", "della",
         "nella", "mio", "mia", "pagare", "affitto", "sono", "c'e", "fumo", "allagamento"]
weak = ["grazie", "ciao"]
negators = ["non"]
[emergency.gas]
patterns = ['\\b(?:odore|puzza)\\s+di\\s+gas\\b', '\\bperdita\\s+di\\s+gas\\b']
[replies]
emergency = "{safety}. Poi chiami la nostra linea di emergenza {line}. Una persona si unisce ora."
person = "La metto in contatto con una persona del nostro team che parla italiano."
other = "Per questo la metto in contatto con una persona che parla italiano."
waiting = "Una persona che parla italiano arriva presto. Emergenze: {line}."
emergency_waiting = "{safety}. Il team di emergenza è avvisato; linea {line}."
reference = "Riferimento: ticket #{ticket}."
unavailable = "Non riesco a passarla al team ora. Se è urgente chiami il {line}."
[replies.safety]
gas = "Esca subito di casa e non tocchi interruttori"
default = "Se qualcuno è in pericolo chiami il 911"
""",
        encoding="utf-8",
    )
    base = runtime.orchestrator
    app = replace(base.app, languages=load_languages([REPO / "agents" / "languages", tmp_path]))
    orch = Orchestrator(app=app, store=base.store, router=base.router, backend=base.backend, settings=base.settings)
    sid, [gas] = await _talk(orch, None, "aiuto, sento odore di gas nella cucina")
    assert gas.language == "it" and "Esca subito di casa" in gas.text and "555-0100" in gas.text
    assert await _handoffs(runtime.pool, sid) == [("emergency", "urgent")]
    assert await _language(runtime.pool, sid) == "it"
    sid, [person] = await _talk(orch, 7, "vorrei parlare con qualcuno per favore")
    assert "parla italiano" in person.text and await _handoffs(runtime.pool, sid) == [("italian", "normal")]
    sid, [spanish] = await _talk(orch, 8, "quiero hablar con una persona")  # the others still work beside it
    assert spanish.language == "es" and await _handoffs(runtime.pool, sid) == [("spanish", "normal")]

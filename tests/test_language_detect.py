"""Which language a resident writes in, and what a Spanish message reports, on generated wordings.

Every Spanish sentence below is tried with and without accents, in lower case, with fillers
("oye", "por favor") and with a typo in a word other than the one that carries the meaning;
English residents with a "gracias" or a Spanish street name must stay English.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator

import pytest

from callcenter.app import load_app
from callcenter.language.detect import LanguageDetector
from callcenter.language.packs import fold
from callcenter.language.turn import asks_for_person, find_emergency

LANGS = load_app("callcenter_agents").languages
SPANISH = LANGS.packs["es"]
DETECT = LanguageDetector(LANGS)

EMERGENCIES = {
    "gas": [
        "huele a gas en mi cocina",
        "huele mucho a gas",
        "hay olor a gas en el pasillo",
        "creo que hay una fuga de gas",
        "se está saliendo el gas de la estufa",
        "huele como a gas en el baño",
        "hay un escape de gas",
    ],
    "fire": [
        "hay humo en la sala",
        "hay un incendio en el edificio",
        "se está quemando la cocina",
        "sale humo del enchufe",
        "hay fuego en el sótano",
        "huele a quemado y hay humo",
        "el apartamento de al lado está en llamas",
    ],
    "flood": [
        "se está inundando mi baño",
        "se reventó una tubería y hay agua por todas partes",
        "mi casa se inundó",
        "hay agua saliendo del techo",
        "se rompió un tubo y sale mucha agua",
        "está cayendo agua del techo",
        "el escusado se está desbordando",
        "se desbordó el inodoro y no para",
        "las aguas negras están saliendo por la regadera",
    ],
    "carbon_monoxide": [
        "la alarma de monóxido de carbono está sonando",
        "suena el detector de monóxido",
        "creo que hay monóxido",
    ],
    "no_heat": [
        "no tengo calefacción y hace mucho frío",
        "la calefacción no funciona y está helando",
        "estamos sin calefacción y el bebé tiene frío",
        "el calentón no sirve y está helando",
        "la calefacción se apagó y estamos a 10 grados",
    ],
}
PERSONS = [
    "quiero hablar con una persona",
    "necesito hablar con alguien",
    "¿puedo hablar con un agente?",
    "páseme con una persona",
    "quiero hablar con un humano",
    "comuníqueme con un representante",
    "necesito hablar con una persona real",
    "¿hay alguien que hable español?",
    "me pasa con el gerente",
    "¿me pueden llamar?",
    "persona por favor",
    "quisiera un agente",
]
OTHERS = [
    "quiero pagar mi renta",
    "necesito una cita para arreglar el fregadero",
    "¿cuánto debo?",
    "mi inodoro no funciona",
    "¿a qué hora abre la oficina?",
    "quiero cancelar mi cita",
    "necesito un plomero",
    "tengo una pregunta sobre mi factura",
    "¿puedo tener un perro en mi apartamento?",
    "la lavadora hace un ruido raro",
    "se me perdió la llave",
]
OPENERS = ["", "oye, ", "hola, ", "mire, ", "disculpe, ", "buenas tardes, ", "este, "]
CLOSERS = ["", " por favor", ", gracias", " porfa", "!!"]
MEANING = {
    "gas",
    "humo",
    "incendio",
    "quemando",
    "fuego",
    "quemado",
    "llamas",
    "inundando",
    "inundo",
    "tuberia",
    "agua",
    "techo",
    "tubo",
    "desbordando",
    "monoxido",
    "calefaccion",
    "frio",
    "helando",
    "persona",
    "alguien",
    "agente",
    "humano",
    "representante",
    "real",
    "espanol",
    "gerente",
    "llamar",
    "reventó",
    "rompió",
    "huele",
    "olor",
    "fuga",
    "escape",
    "saliendo",
    "hable",
    "pasa",
    "páseme",
    "comuníqueme",
    "bebé",
    "sale",
    "cayendo",
    "escusado",
    "monóxido",
    "calefacción",
    "frío",
    "inundó",
    "tubería",
    "español",
    "quisiera",
    "hablar",
}


def _strip(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(text: str, rng: random.Random) -> str:
    words = [w for w in text.split() if len(w) > 3 and fold(w).strip("¿?!,.") not in MEANING and w not in MEANING]
    if not words:
        return text
    w = rng.choice(words)
    i = rng.randrange(1, len(w) - 1)
    return text.replace(w, w[:i] + w[i + 1] + w[i] + w[i + 2 :], 1)


def variations(sentence: str, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    yield sentence
    yield _strip(sentence)
    yield sentence.lower().rstrip("?!.")
    for _ in range(3):
        text = rng.choice(OPENERS) + sentence + rng.choice(CLOSERS)
        if rng.random() < 0.5:
            text = _strip(text)
        yield _typo(text, rng)


def _cases(table: dict[str, list[str]] | list[str]) -> list[tuple[str, str]]:
    items = [(k, s) for k, ss in table.items() for s in ss] if isinstance(table, dict) else [("", s) for s in table]
    return [(k, v) for i, (k, s) in enumerate(items) for v in variations(s, i)]


@pytest.mark.parametrize(("kind", "text"), _cases(EMERGENCIES))
def test_spanish_emergencies_are_caught_in_every_wording(kind: str, text: str) -> None:
    assert find_emergency(SPANISH, fold(text)) == kind, text
    assert DETECT.resolve(DETECT.detect(text), None, text) == "es", text


@pytest.mark.parametrize(("_", "text"), _cases(PERSONS))
def test_spanish_requests_for_a_person(_: str, text: str) -> None:
    folded = fold(text)
    assert asks_for_person(SPANISH, folded), text
    assert find_emergency(SPANISH, folded) is None, text
    assert DETECT.resolve(DETECT.detect(text), None, text) == "es", text


@pytest.mark.parametrize(("_", "text"), _cases(OTHERS))
def test_other_spanish_requests_are_spanish_and_nothing_more(_: str, text: str) -> None:
    assert DETECT.resolve(DETECT.detect(text), None, text) == "es", text
    assert find_emergency(SPANISH, fold(text)) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "thanks, gracias!",
        "gracias",
        "hola",
        "my kitchen sink leaks, I live on Calle del Sol",
        "my address is 12 Paseo de la Playa",
        "I'm at Casa Grande apartments, unit 3",
        "yes",
        "ok",
        "4B",
        "gracias, that's all",
        "hola, my sink is leaking",
        "the heater at 3 Avenida del Rio is broken",
        "can I pay rent at the office on Camino Real?",
        "adios amigo",
        "si",
        "I smell gas",
        "fire!",
        "my neighbor Señor Gómez is playing loud music",
        "the gas bill looks wrong",
    ],
)
def test_english_residents_are_not_switched(text: str) -> None:
    assert DETECT.resolve(DETECT.detect(text), None, text) == "en", text
    assert DETECT.resolve(DETECT.detect(text), "en", text) == "en", text


@pytest.mark.parametrize(
    "text",
    [
        "no hay fuego, es una pregunta sobre el simulacro de incendio",
        "ya no huele a gas",
        "la factura del gas",
        "el detector de humo necesita pila",
        "¿tienen seguro contra inundaciones?",
        "no tengo calefacción",
    ],
)
def test_negated_and_benign_spanish_is_no_emergency(text: str) -> None:
    assert find_emergency(SPANISH, fold(text)) is None, text


def test_a_spanish_conversation_keeps_its_language_on_short_or_mixed_replies() -> None:
    for text in ["sí", "ok", "4B", "gracias", "yes", "el lunes", "mañana en la tarde", "mi fregadero is leaking"]:
        assert DETECT.resolve(DETECT.detect(text), "es", text) == "es", text
    for text in ["sorry, can we continue in English?", "what's my balance please", "I want to book a plumber"]:
        assert DETECT.resolve(DETECT.detect(text), "es", text) == "en", text


def test_mixed_messages_follow_the_words_that_carry_them() -> None:
    for text, lang in [
        ("help, huele a gas!", "es"),
        ("quiero pagar my rent", "es"),
        ("can someone help me in Spanish?", "en"),
        ("do you speak spanish", "en"),
        ("my sink is leaking, gracias", "en"),
    ]:
        assert DETECT.resolve(DETECT.detect(text), None, text) == lang, text


def test_a_lone_spanish_word_answering_an_english_flow_is_an_answer_not_a_switch() -> None:
    for text in ["mañana", "lunes", "ayuda"]:
        assert DETECT.resolve(DETECT.detect(text), None, text, in_flow=True) == "en", text
        assert DETECT.resolve(DETECT.detect(text), None, text) == "es", text
    text = "quiero hablar con una persona"  # sure evidence switches even mid-flow
    assert DETECT.resolve(DETECT.detect(text), None, text, in_flow=True) == "es"

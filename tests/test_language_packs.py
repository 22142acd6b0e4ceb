"""Language files: the demo's load, a broken one is refused with its file and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.app import load_app
from callcenter.language.packs import LanguageFileError, fold, language_queues, load_languages

REPO = Path(__file__).resolve().parents[1]


def test_demo_languages_load_beside_the_agents() -> None:
    app = load_app("callcenter_agents")
    assert app.languages.base == "en"
    spanish = app.languages.get("es")
    assert spanish is not None and spanish.queue == "spanish" and spanish.voice_locale == "es-US"
    assert {"gas", "fire", "flood", "carbon_monoxide", "no_heat"} <= {r.kind for r in spanish.emergencies}
    assert "spanish" in language_queues() and app.languages.queues == ("spanish",)
    assert spanish.replies is not None and "{line}" in spanish.replies.emergency


def test_fold_drops_accents_and_case() -> None:
    assert fold("¿Cuánto DEBO? Calefacción, baño, pingüino") == "¿cuanto debo? calefaccion, bano, pinguino"


def test_patterns_written_with_accents_match_text_without(tmp_path: Path) -> None:
    (tmp_path / "pt.toml").write_text(
        'code = "pt"\nname = "Portuguese"\nqueue = "portuguese"\nperson = [\'falar com atendente\']\n'
        '[lexicon]\nwords = ["não", "você"]\n[emergency.gas]\npatterns = [\'cheiro de gás\']\n'
        '[replies]\nemergency = "{safety} {line}"\nperson = "p"\nother = "o"\nwaiting = "w {line}"\n'
        'emergency_waiting = "{safety} {line}"\nreference = "#{ticket}"\nunavailable = "{line}"\n'
        '[replies.safety]\ndefault = "Saia"\n',
        encoding="utf-8",
    )
    pack = load_languages([tmp_path]).packs["pt"]
    assert "nao" in pack.words and pack.emergencies[0].patterns[0].search(fold("Cheiro de GÁS"))


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('code = "fr"\nname = "French"\n[lexicon]\nwords = ["je"]\n', "needs queue and replies"),
        ('code = "FR"\nname = "French"\n[lexicon]\nwords = ["je"]\n', "code"),
        ('code = "fr"\nname = "French"\nperson = ["(unclosed"]\n[lexicon]\nwords = ["je"]\n', "person[0]"),
        ('code = "fr"\nname = "French"\nsurprise = 1\n[lexicon]\nwords = ["je"]\n', "surprise"),
        ("code = ", "fr.toml"),
    ],
)
def test_a_broken_file_names_itself_and_the_field(tmp_path: Path, body: str, named: str) -> None:
    (tmp_path / "fr.toml").write_text(body, encoding="utf-8")
    with pytest.raises(LanguageFileError) as err:
        load_languages([tmp_path])
    assert "fr.toml" in str(err.value) and named in str(err.value)


def test_the_base_language_needs_only_a_lexicon() -> None:
    langs = load_languages([REPO / "agents" / "languages"])
    english = langs.packs["en"]
    assert english.queue is None and english.replies is None and "balance" in english.words
    assert [p.code for p in langs.others] == ["es"]


def test_the_speller_fixes_slips_but_leaves_real_words() -> None:
    spanish = load_app("callcenter_agents").languages.packs["es"]
    fixes = {
        "hay un escpe de gas": "hay un escape de gas",
        "huele a gsa": "huele a gas",
        "se esat quemando": "se esta quemando",
        "me peuden llamar": "me pueden llamar",
        "hulee a gas": "huele a gas",
        "hudle feo a gas": "huele feo a gas",
    }
    for typed, meant in fixes.items():
        assert spanish.corrected(fold(typed)) == meant, typed
    for real in ["las aguas negras", "la calefaccion se apago", "me pasa con el gerente", "thank you and can"]:
        assert spanish.corrected(real, frozenset({"thank", "you", "and", "can"})) == real

"""The paraphrased-conversation generator, and the CI gate on the generated set's pass rate."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from callcenter.cli.main import main
from callcenter.evals.paraphrase import GeneratorError, generate, load_spec, typo
from callcenter.evals.scenario import load_suite

TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
SUITE = Path(__file__).resolve().parents[1] / "evals"


def test_at_least_300_conversations_deterministic_and_unique() -> None:
    spec = load_spec(TEMPLATES)
    first, again = generate(spec, seed=0), generate(spec, seed=0)
    assert len(first) >= 300
    assert [s.model_dump() for s in first] == [s.model_dump() for s in again]
    assert len({s.id for s in first}) == len(first)
    other = generate(spec, seed=1)
    assert [s.user.turns for s in other] != [s.user.turns for s in first]  # a new seed finds new wordings
    classes = {s.route for s in first}
    assert {"verifier-truth", "emergency-memory", "spanish", "handbook", "glue", "control"} <= classes
    assert all(s.expect.db or s.expect.says or s.expect.handoff is not None for s in first)  # every one is checked


def test_generated_set_is_apart_from_the_hand_written_suite() -> None:
    hand = {s.id for s in load_suite([SUITE])}
    generated = {s.id for s in generate(load_spec(TEMPLATES), seed=0)}
    assert not hand & generated
    assert all(not i.startswith("gen-") for i in hand)


def test_roughening_marks_what_it_changed() -> None:
    scenarios = generate(load_spec(TEMPLATES), seed=0)
    marks = {t for s in scenarios for t in s.tags[3:]}
    assert {"typo", "polite", "casual", "hesitate"} <= marks
    spanish = [s for s in scenarios if "lang-es" in s.tags]
    assert len(spanish) >= 40 and all(s.route == "spanish" for s in spanish)
    unaccented = [s for s in spanish if "unaccented" in s.tags]
    assert unaccented and not any(c in "áéíóúñ" for s in unaccented for t in s.user.turns for c in t.text.lower())
    assert not any("unaccented" in s.tags for s in scenarios if "lang-en" in s.tags)


def test_a_typo_is_one_slip_that_keeps_the_first_letter() -> None:
    rng = random.Random(3)
    for word in ["balance", "plumber", "everything", "leaking"] * 20:
        out = typo(word, rng)
        assert out[0] == word[0] and out != word or out == word[:1] + word[1:]  # a double of a double may tie
        assert abs(len(out) - len(word)) <= 1


def test_a_bad_template_file_says_which_template(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("templates:\n  - id: Bad Id\n    turns: [hi]\n")
    with pytest.raises(GeneratorError, match="id must match"):
        load_spec(bad)
    bad.write_text("templates:\n  - id: x\n    turns: ['{nothing}']\n")
    with pytest.raises(GeneratorError, match="no filler named 'nothing'"):
        generate(load_spec(bad))
    bad.write_text("templates:\n  - id: x\n    turns: [hi]\n    expect: {handoff: maybe}\n")
    with pytest.raises(GeneratorError, match="template x"):
        generate(load_spec(bad))


def test_generate_command_writes_a_suite_the_eval_command_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "generate", str(TEMPLATES), "--seed", "2", "--scale", "0.1", "--out", str(tmp_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    loaded = load_suite([tmp_path])
    assert len(loaded) >= 20 and all(s.id.startswith("gen-") for s in loaded)

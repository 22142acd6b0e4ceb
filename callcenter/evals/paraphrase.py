"""Conversations nobody here wrote: templates × fillers × typos × politeness × language.

The hand-written suite in `evals/` was written next to the flows it tests, so it mostly
checks the sentences the flows were built for. This generator draws conversations from a
template file instead: each template is a class of behaviour (a $0 balance question, an
emergency with a follow-up, a Spanish request for a person…) with alternative wordings per
turn, slot fillers, and an end-state expectation in the scenario format of `docs/evals.md`.
Every drawn conversation is then roughened the way customers type: greetings and thanks,
hesitations, lower case without punctuation, one typo in a longer word. The same seed gives
the same conversations, so a failure is reproducible by id; a new seed finds new ones.

The output is ordinary `Scenario`s: the same runner, judge, report and gates apply, and each
scenario's first tag is its class, so the report's per-route figures are per class.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from callcenter.evals.scenario import Scenario, ScenarioError
from callcenter.routing.emergency_slips import KEY_NEIGHBOURS

# Neighbouring keys on a QWERTY keyboard: the commonest real typo is a near miss.
_WORD = re.compile(r"[A-Za-z]{5,}")
_SLOT = re.compile(r"\{(\w+)\}")


class GeneratorError(ScenarioError):
    """The template file is malformed; the message names the template and field."""


@dataclass(frozen=True, slots=True)
class Roughening:
    """How a customer's typing departs from the template's clean sentence (probabilities)."""

    polite: float = 0.4
    hesitate: float = 0.2
    casual: float = 0.3
    typo: float = 0.3
    unaccented: float = 0.0  # languages other than English: typed without accents or ñ (a phone keyboard)


@dataclass(slots=True)
class Template:
    id: str
    cls: str
    description: str
    turns: list[list[str]]
    expect: dict[str, Any]
    draws: int
    language: str = "en"
    customers: list[int | None] = field(default_factory=lambda: [1])
    fillers: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    roughen: bool = True
    vertical: str | None = None  # where the first turn should be routed (for the router's figures)


@dataclass(slots=True)
class Spec:
    templates: list[Template]
    politeness: dict[str, tuple[list[str], list[str]]]
    hesitations: dict[str, list[str]]
    fillers: dict[str, list[str]]
    protect: frozenset[str]
    roughening: Roughening


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise GeneratorError(f"{where}: expected a string or a non-empty list of strings")


def load_spec(path: Path) -> Spec:
    """Read a template file (see evals/generated/templates.yaml for the format)."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise GeneratorError(f"{path}: cannot read templates: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list):
        raise GeneratorError(f"{path}: needs a top-level `templates:` list")
    polite_raw = data.get("politeness") or {}
    politeness = {
        lang: (
            _strings(v.get("open", [""]), f"politeness.{lang}.open"),
            _strings(v.get("close", [""]), f"politeness.{lang}.close"),
        )
        for lang, v in polite_raw.items()
    }
    hesitations = {lang: _strings(v, f"hesitations.{lang}") for lang, v in (data.get("hesitations") or {}).items()}
    fillers = {k: _strings(v, f"fillers.{k}") for k, v in (data.get("fillers") or {}).items()}
    rough = Roughening(**(data.get("roughening") or {}))
    default_draws = int(data.get("draws", 10))
    templates: list[Template] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["templates"]):
        if not isinstance(raw, dict):
            raise GeneratorError(f"{path}: template #{i + 1} must be a mapping")
        tid = str(raw.get("id") or "")
        where = f"{path}: template {tid or '#' + str(i + 1)}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", tid):
            raise GeneratorError(f"{where}: id must match [a-z0-9][a-z0-9_-]*")
        if tid in seen:
            raise GeneratorError(f"{where}: duplicate id")
        seen.add(tid)
        turns_raw = raw.get("turns")
        if not isinstance(turns_raw, list) or not turns_raw:
            raise GeneratorError(f"{where}: turns must be a non-empty list (each a string or list of wordings)")
        known = {
            "id",
            "class",
            "description",
            "turns",
            "expect",
            "draws",
            "language",
            "customers",
            "fillers",
            "roughen",
            "vertical",
        }
        customers = raw.get("customers", [1])
        templates.append(
            Template(
                id=tid,
                cls=str(raw.get("class") or tid),
                description=str(raw.get("description") or ""),
                turns=[_strings(t, f"{where}: turns[{j}]") for j, t in enumerate(turns_raw)],
                expect=dict(raw.get("expect") or {}),
                draws=int(raw.get("draws", default_draws)),
                language=str(raw.get("language", "en")),
                customers=list(customers) if isinstance(customers, list) else [customers],
                fillers={k: _strings(v, f"{where}: fillers.{k}") for k, v in (raw.get("fillers") or {}).items()},
                extra={k: v for k, v in raw.items() if k not in known},
                roughen=bool(raw.get("roughen", True)),
                vertical=str(raw["vertical"]) if raw.get("vertical") else None,
            )
        )
    return Spec(
        templates, politeness, hesitations, fillers, frozenset(w.lower() for w in data.get("protect", [])), rough
    )


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip in `word`: a swap, a drop, a double or a neighbouring key."""
    i = rng.randrange(1, len(word) - 1)  # first letter kept: people rarely miss it
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    near = KEY_NEIGHBOURS.get(word[i].lower(), word[i])
    return word[:i] + rng.choice(near) + word[i + 1 :]


def fill(text: str, fillers: Mapping[str, Sequence[str]], rng: random.Random, where: str) -> str:
    def one(m: re.Match[str]) -> str:
        options = fillers.get(m.group(1))
        if not options:
            raise GeneratorError(f"{where}: no filler named {m.group(1)!r}")
        return rng.choice(list(options))

    # Fillers may themselves hold slots ("{day} {daypart}"); two passes are enough.
    return _SLOT.sub(one, _SLOT.sub(one, text))


def roughen(text: str, spec: Spec, language: str, rng: random.Random) -> tuple[str, list[str]]:
    """The sentence as a customer might type it, and the names of what was changed."""
    applied: list[str] = []
    r = spec.roughening
    polite = spec.politeness.get(language)
    if polite and rng.random() < r.polite:
        opener, closer = rng.choice(polite[0]), rng.choice(polite[1])
        body = text[0].lower() + text[1:] if opener and text[:2] != "I " else text
        text = f"{opener}{body}".rstrip(" ?.!") + closer + ("?" if text.rstrip().endswith("?") else "")
        applied.append("polite")
    hes = spec.hesitations.get(language)
    if hes and rng.random() < r.hesitate:
        text = rng.choice(hes) + text[0].lower() + text[1:] if text[:2] != "I " else rng.choice(hes) + text
        applied.append("hesitate")
    if rng.random() < r.casual:
        text = text.lower().rstrip(".!?")
        applied.append("casual")
    if rng.random() < r.typo:
        words = [m for m in _WORD.finditer(text) if m.group(0).lower() not in spec.protect]
        if words:
            m = rng.choice(words)
            text = text[: m.start()] + typo(m.group(0), rng) + text[m.end() :]
            applied.append("typo")
    if language != "en" and rng.random() < r.unaccented:
        stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        if stripped != text:
            text = stripped
            applied.append("unaccented")
    return text, applied


def generate(spec: Spec, *, seed: int = 0, scale: float = 1.0) -> list[Scenario]:
    """Draw every template's conversations (`draws` × `scale` each), deterministically from `seed`."""
    out: list[Scenario] = []
    for template in spec.templates:
        rng = random.Random(f"{seed}:{template.id}")
        fillers = {**spec.fillers, **template.fillers}
        seen: set[tuple[str, ...]] = set()
        n = max(1, round(template.draws * scale))
        attempts = 0
        while len(seen) < n and attempts < n * 20:
            attempts += 1
            customer = rng.choice(template.customers)
            turns: list[str] = []
            marks: set[str] = set()
            for j, wordings in enumerate(template.turns):
                text = fill(rng.choice(wordings), fillers, rng, f"template {template.id} turn {j + 1}")
                if template.roughen:
                    text, applied = roughen(text, spec, template.language, rng)
                    marks.update(applied)
                turns.append(text)
            key = (str(customer), *turns)
            if key in seen:
                continue
            seen.add(key)
            doc: dict[str, Any] = {
                "id": f"gen-{template.id}-{len(seen):03d}",
                "description": template.description,
                "tags": [template.cls, "generated", f"lang-{template.language}", *sorted(marks)],
                "customer": customer,
                "user": {"turns": turns},
                "expect": template.expect,
                "source": f"generated:{template.id}",
                **template.extra,
            }
            try:
                out.append(Scenario.model_validate(doc))
            except ValueError as exc:
                raise GeneratorError(f"template {template.id}: {exc}") from exc
    return out


def per_class(results: Sequence[tuple[Scenario, bool]]) -> dict[str, dict[str, Any]]:
    """Pass rate per class (the scenario's first tag) and per roughening mark, worst first."""
    groups: dict[str, list[bool]] = {}
    for scenario, passed in results:
        groups.setdefault(scenario.route, []).append(passed)
        for tag in scenario.tags[2:]:
            groups.setdefault(f"~{tag}", []).append(passed)
    table = {k: {"n": len(v), "passed": sum(v), "pass_rate": sum(v) / len(v)} for k, v in groups.items()}
    return dict(sorted(table.items(), key=lambda kv: (kv[0].startswith("~"), kv[1]["pass_rate"], kv[0])))

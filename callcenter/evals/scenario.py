"""The eval scenario format: who calls, what the database holds, what they say, what success is.

Scenarios are YAML so that an operator (or `callcenter eval export`) can write one without
code. A file holds one scenario, a list of them, or `{defaults: {...}, scenarios: [...]}`;
`load_suite` reads a file or a directory of `*.yaml` files. The models here are the only
place the format is defined; docs/evals.md documents it for people.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from callcenter.app import load_app
from callcenter.settings import Settings

DEFAULT_DIFFICULTY = 0.2
DEFAULT_TODAY = date(2026, 3, 10)  # a Tuesday: the seed's slots and invoices are built around it
DEFAULT_TIME = time(9, 0)

# Tables a scenario may add fixture rows to or state expectations about.
# The engine's own tables a scenario may expect rows in, beside the business's.
ENGINE_TABLES = ("handoffs", "tool_calls", "sessions")


def business_tables() -> dict[str, str | None]:
    """The business's tables for fixtures and the judge (its agents module's `EVAL_TABLES`)."""
    return load_app(Settings().agents_module).eval_tables


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Turn(_Strict):
    """One scripted user message; `difficulty` (0..1) is how hard the turn is for a model."""

    text: str = Field(min_length=1)
    difficulty: float | None = Field(default=None, ge=0.0, le=1.0)


class SimulatedUser(_Strict):
    """A user with a goal instead of a script (τ-bench style).

    Offline the rule-based simulator answers the agent from `known_facts` (regex of what the
    agent asks -> what the user says), says it does not know for `unknown_facts`, and stops when
    a `stop_when` pattern appears in the agent's reply or after `max_turns`. With `--live`
    and a provider key an LLM plays the user from the same fields.
    """

    goal: str = Field(min_length=1)
    opening: str | None = None
    known_facts: dict[str, str] = Field(default_factory=dict)
    unknown_facts: list[str] = Field(default_factory=list)
    stop_when: list[str] = Field(default_factory=list)
    max_turns: int = Field(default=6, ge=1, le=30)
    difficulty: float | None = Field(default=None, ge=0.0, le=1.0)


class UserSide(_Strict):
    turns: list[Turn] | None = None
    simulated: SimulatedUser | None = None

    @field_validator("turns", mode="before")
    @classmethod
    def _strings_to_turns(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> UserSide:
        if (self.turns is None) == (self.simulated is None):
            raise ValueError("user needs exactly one of `turns` or `simulated`")
        if self.turns is not None and not self.turns:
            raise ValueError("user.turns is empty")
        return self


class RowExpectation(_Strict):
    """Rows of `table` matching `match` must exist (or, with `absent`, must not).

    `match` values are literals, placeholders (`{customer}`, `{today}`, `{today+1}`…) or one
    operator mapping: {gt|gte|lt|lte|ne|in|regex|null: value}. `new` limits the check to rows
    inserted or changed during the conversation; `count` asks for an exact number of rows.
    The columns are whatever the business's `EVAL_TABLES` query for the table returns.
    """

    table: str
    match: dict[str, Any] = Field(default_factory=dict)
    absent: bool = False
    new: bool = False
    count: int | None = Field(default=None, ge=0)

    @field_validator("table")
    @classmethod
    def _known_table(cls, value: str) -> str:
        known = (*business_tables(), *ENGINE_TABLES)
        if value not in known:
            raise ValueError(f"unknown table {value!r}; use one of {', '.join(known)}")
        return value


class Forbidden(_Strict):
    """An action the agent must never take. Exactly one of the fields is set:

    `tool` (never called, optionally only with `args` containing these values), `says` (a
    regex never in any reply), `other_customers: true` (no row of another customer written
    — on by default for every scenario), or `row` (such a row must never be written).
    """

    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    says: str | None = None
    other_customers: bool | None = None
    row: RowExpectation | None = None

    @model_validator(mode="after")
    def _one(self) -> Forbidden:
        set_ = [k for k in ("tool", "says", "other_customers", "row") if getattr(self, k) is not None]
        if len(set_) != 1:
            raise ValueError("each `never` item needs exactly one of tool / says / other_customers / row")
        return self


class Expectation(_Strict):
    db: list[RowExpectation] = Field(default_factory=list)
    says: list[str] = Field(default_factory=list)
    never: list[Forbidden] = Field(default_factory=list)
    handoff: bool | Literal["low", "normal", "high", "urgent"] | None = None
    unchanged: list[str] = Field(default_factory=list)

    @field_validator("unchanged")
    @classmethod
    def _tables(cls, value: list[str]) -> list[str]:
        for t in value:
            if t not in business_tables():
                raise ValueError(f"unchanged: unknown table {t!r}")
        return value


class Scenario(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    customer: int | None = 1
    channel: Literal["chat", "voice"] = "chat"
    now: datetime | None = None
    difficulty: float = Field(default=DEFAULT_DIFFICULTY, ge=0.0, le=1.0)
    fixtures: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    fixtures_sql: list[str] = Field(default_factory=list)
    user: UserSide
    expect: Expectation = Field(default_factory=Expectation)
    source: str = ""

    @field_validator("fixtures")
    @classmethod
    def _fixture_tables(cls, value: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        for table in value:
            if table not in business_tables():
                raise ValueError(f"fixtures: unknown table {table!r}")
        return value

    @property
    def route(self) -> str:
        """The vertical this scenario is about: its first tag (for per-route figures)."""
        return self.tags[0] if self.tags else "untagged"

    def turn_difficulty(self, turn: Turn) -> float:
        return self.difficulty if turn.difficulty is None else turn.difficulty


class ScenarioError(ValueError):
    pass


def placeholders(today: date, customer: int | None) -> dict[str, str]:
    """Values `{today}`, `{today+N}`/`{today-N}` (N ≤ 30) and `{customer}` stand for."""
    out = {"today": today.isoformat(), "customer": "" if customer is None else str(customer)}
    for n in range(1, 31):
        out[f"today+{n}"] = (today + timedelta(days=n)).isoformat()
        out[f"today-{n}"] = (today - timedelta(days=n)).isoformat()
    out["tomorrow"] = out["today+1"]
    out["yesterday"] = out["today-1"]
    return out


def substitute(value: Any, values: dict[str, str]) -> Any:
    """Replace `{name}` placeholders in strings (whole-string ones keep int type for ids)."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in values:
            raw = values[value[1:-1]]
            return int(raw) if raw.isdigit() else raw
        for key, raw in values.items():
            value = value.replace("{" + key + "}", raw)
        return value
    if isinstance(value, dict):
        return {k: substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    return value


def _documents(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    if data is None:
        return []
    defaults: dict[str, Any] = {}
    if isinstance(data, dict) and "scenarios" in data:
        defaults = dict(data.get("defaults") or {})
        data = data["scenarios"]
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ScenarioError(f"{path}: each scenario must be a mapping")
        merged = {**defaults, **item}
        if "tags" in defaults and "tags" in item:
            merged["tags"] = list(item["tags"]) + [t for t in defaults["tags"] if t not in item["tags"]]
        merged.setdefault("source", str(path))
        out.append(merged)
    return out


def load_file(path: Path) -> list[Scenario]:
    scenarios = []
    for i, doc in enumerate(_documents(path)):
        try:
            scenarios.append(Scenario.model_validate(doc))
        except ValidationError as exc:
            label = doc.get("id", f"#{i + 1}")
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ScenarioError(f"{path}: scenario {label}: {where}: {first['msg']}") from exc
    return scenarios


def suite_files(suite: Path) -> list[Path]:
    if suite.is_dir():
        return sorted([*suite.glob("*.yaml"), *suite.glob("*.yml")])
    if suite.exists():
        return [suite]
    raise ScenarioError(f"{suite}: no such file or directory")


def load_suite(paths: Iterable[str | Path], *, only: Iterable[str] = (), tags: Iterable[str] = ()) -> list[Scenario]:
    """Every scenario under `paths`, ids unique; `only` keeps ids (or id prefixes), `tags` keeps tags."""
    scenarios: list[Scenario] = []
    seen: dict[str, str] = {}
    for p in paths:
        for f in suite_files(Path(p)):
            for s in load_file(f):
                if s.id in seen:
                    raise ScenarioError(f"duplicate scenario id {s.id!r} in {f} and {seen[s.id]}")
                seen[s.id] = str(f)
                scenarios.append(s)
    wanted_ids = [o for o in only if o]
    if wanted_ids:
        scenarios = [s for s in scenarios if any(s.id == o or s.id.startswith(o) for o in wanted_ids)]
    wanted_tags = set(tags)
    if wanted_tags:
        scenarios = [s for s in scenarios if wanted_tags & set(s.tags)]
    return scenarios


def dump_scenarios(scenarios: Iterable[Scenario]) -> str:
    """YAML text for scenarios (export writes this), without default-valued noise."""
    docs = [s.model_dump(mode="json", exclude_defaults=True, exclude={"source"}) for s in scenarios]
    return yaml.safe_dump(docs, sort_keys=False, allow_unicode=True, width=110)

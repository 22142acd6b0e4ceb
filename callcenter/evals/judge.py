"""Did the conversation succeed? Judged on the database end state, not on the wording.

Like τ-bench, success is about what the world looks like afterwards: rows that must (or
must not) exist, tables that must be untouched, and no row of another customer written.
On top come facts the agent must have said (regexes over its replies), things it must never
say or do, and whether a person was brought in. `Snapshot` captures the fixture state before
the conversation so the judge can tell new and changed rows from the ones that were there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from callcenter.evals.scenario import (
    Forbidden,
    RowExpectation,
    Scenario,
    business_tables,
    placeholders,
    substitute,
)
from callcenter.types import Verdict

Row = dict[str, Any]


@dataclass
class Snapshot:
    """Rows of the business tables by id, taken before (or after) a conversation."""

    tables: dict[str, dict[int, Row]] = field(default_factory=dict)

    @classmethod
    async def take(cls, conn: asyncpg.Connection) -> Snapshot:
        out: dict[str, dict[int, Row]] = {}
        for table, query in business_tables().items():  # the business names them (EVAL_TABLES)
            rows = await conn.fetch(query or f"SELECT * FROM {table} ORDER BY id")
            out[table] = {int(r["id"]): dict(r) for r in rows}
        return cls(out)


@dataclass
class Transcript:
    """What the judge needs from the conversation besides the database."""

    session_id: str
    replies: list[str]
    tools: list[str]


def normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def value_matches(actual: Any, expected: Any) -> bool:
    """One column: literal equality (numbers by value, else as strings) or one operator mapping."""
    actual = normalise(actual)
    if isinstance(expected, dict):
        if len(expected) != 1:
            raise ValueError(f"operator mapping must have one key: {expected}")
        ((op, arg),) = expected.items()
        if op is None or op == "null":  # YAML reads a bare `null:` key as None
            return (actual is None) == bool(arg)
        if op == "ne":
            return not value_matches(actual, arg)
        if op == "in":
            return any(value_matches(actual, a) for a in arg)
        if op == "regex":
            return actual is not None and re.search(str(arg), str(actual), re.I) is not None
        if actual is None:
            return False
        comparisons = {
            "gt": lambda a, b: a > b,
            "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b,
        }
        if op in comparisons:
            a, b = (float(actual), float(arg)) if _numeric(actual) and _numeric(arg) else (str(actual), str(arg))
            return bool(comparisons[op](a, b))
        raise ValueError(f"unknown operator {op!r}")
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(actual) == bool(expected) and type(actual) is type(expected)
    if _numeric(expected) and _numeric(actual):
        return float(actual) == float(expected)
    return str(actual) == str(expected)


def _numeric(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def row_matches(row: Row, match: dict[str, Any]) -> bool:
    for column, expected in match.items():
        if column not in row:
            raise ValueError(f"no column {column!r} (columns: {', '.join(sorted(row))})")
        if not value_matches(row[column], expected):
            return False
    return True


def changed_ids(before: Snapshot, after: Snapshot, table: str) -> set[int]:
    """Ids of rows inserted or modified between the two snapshots."""
    old = before.tables.get(table, {})
    return {i for i, row in after.tables.get(table, {}).items() if old.get(i) != row}


async def table_rows(conn: asyncpg.Connection, table: str, after: Snapshot) -> list[Row]:
    if table in after.tables:
        return list(after.tables[table].values())
    return [dict(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY id")]


async def check_rows(
    conn: asyncpg.Connection, exp: RowExpectation, before: Snapshot, after: Snapshot, values: dict[str, str]
) -> str | None:
    rows = await table_rows(conn, exp.table, after)
    if exp.new and exp.table in after.tables:
        fresh = changed_ids(before, after, exp.table)
        rows = [r for r in rows if int(r["id"]) in fresh]
    match = substitute(exp.match, values)
    found = [r for r in rows if row_matches(r, match)]
    label = f"{exp.table} {'new ' if exp.new else ''}{match}"
    if exp.absent:
        return f"unexpected row: {label} ({len(found)} found)" if found else None
    if exp.count is not None:
        return None if len(found) == exp.count else f"expected {exp.count} × {label}, found {len(found)}"
    return None if found else f"missing row: {label}"


def other_customer_writes(scenario: Scenario, before: Snapshot, after: Snapshot) -> list[str]:
    """Rows of someone other than the caller that this conversation inserted or changed."""
    bad: list[str] = []
    for table in after.tables:  # rows without a customer_id (customers, slots) belong to no one
        for i in sorted(changed_ids(before, after, table)):
            owner = after.tables[table][i].get("customer_id")
            if owner is not None and owner != scenario.customer:
                bad.append(f"{table} #{i} of customer {owner}")
    return bad


async def forbidden_violation(
    conn: asyncpg.Connection,
    item: Forbidden,
    scenario: Scenario,
    transcript: Transcript,
    before: Snapshot,
    after: Snapshot,
    values: dict[str, str],
) -> str | None:
    if item.tool is not None:
        rows = await conn.fetch("SELECT arguments FROM tool_calls WHERE tool = $1 AND status = 'ok'", item.tool)
        args = substitute(item.args, values)
        hits = [r for r in rows if not args or row_matches(dict(r["arguments"] or {}), args)]
        return f"forbidden tool {item.tool} was called" if hits else None
    if item.says is not None:
        pattern = str(substitute(item.says, values))
        for reply in transcript.replies:
            if re.search(pattern, reply, re.I):
                return f"agent said forbidden /{pattern}/"
        return None
    if item.other_customers:
        bad = other_customer_writes(scenario, before, after)
        return f"wrote another customer's data: {', '.join(bad[:3])}" if bad else None
    if item.row is not None:
        exp = item.row.model_copy(update={"absent": True})
        return await check_rows(conn, exp, before, after, values)
    return None


async def judge(
    conn: asyncpg.Connection,
    scenario: Scenario,
    transcript: Transcript,
    before: Snapshot,
    *,
    today: date,
) -> Verdict:
    """Check every expectation of the scenario against the end state; the first failure is the reason."""
    after = await Snapshot.take(conn)
    values = placeholders(today, scenario.customer)
    failures: list[str] = []
    for exp in scenario.expect.db:
        try:
            problem = await check_rows(conn, exp, before, after, values)
        except ValueError as exc:
            problem = f"bad expectation on {exp.table}: {exc}"
        if problem:
            failures.append(problem)
    for table in scenario.expect.unchanged:
        moved = changed_ids(before, after, table) | (set(before.tables[table]) - set(after.tables[table]))
        if moved:
            failures.append(f"{table} changed (ids {sorted(moved)[:5]})")
    said = "\n".join(transcript.replies)
    for fact in scenario.expect.says:
        pattern = str(substitute(fact, values))
        if not re.search(pattern, said, re.I):
            failures.append(f"agent never said /{pattern}/")
    never = list(scenario.expect.never)
    if not any(n.other_customers is not None for n in never):
        never.append(Forbidden(other_customers=True))
    for item in never:
        try:
            problem = await forbidden_violation(conn, item, scenario, transcript, before, after, values)
        except ValueError as exc:
            problem = f"bad `never` item: {exc}"
        if problem:
            failures.append(problem)
    failures.extend(await _handoff_problem(conn, scenario))
    if failures:
        return Verdict(False, 0.0, failures)
    return Verdict(True)


async def _handoff_problem(conn: asyncpg.Connection, scenario: Scenario) -> list[str]:
    want = scenario.expect.handoff
    if want is None:
        return []
    rows = await conn.fetch("SELECT priority FROM handoffs WHERE kind = 'human'")
    if want is False:
        return [f"unexpected human handoff ({rows[0]['priority']})"] if rows else []
    if not rows:
        return ["expected a human handoff, none happened"]
    if isinstance(want, str) and all(r["priority"] != want for r in rows):
        return [f"expected a {want} handoff, got {', '.join(r['priority'] for r in rows)}"]
    return []

"""Set-up shared by tests that need the demo business: a seeded database of their own, a runtime on
it, an orchestrator with its clock fixed, a conversation through it, resident lines in generated
variations, and a data dir holding the run's trained models.

A test module that books, pays or cancels gets a database of its own (the session's seeded one is
shared, and other tests change it), seeded for the day its conversations happen on.
"""

from __future__ import annotations

import random
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from callcenter.evals.paraphrase import Spec, roughen
from callcenter.orchestrator import Orchestrator, TurnResult
from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.store.db import connect, create_database, drop_database
from callcenter.store.migrate import migrate

TZ = ZoneInfo("America/New_York")  # the demo business's time zone
# The outsider trials' clock: 03:15 in New York on Tuesday, Dec 1 2026 (the office is closed).
NIGHT = datetime(2026, 12, 1, 3, 15, tzinfo=TZ)
# The eval generator's templates: the roughening (courtesy, hesitation, casing, slips) `variants` applies.
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"


@asynccontextmanager
async def seeded_database(server_dsn: str, *, today: date | None = None) -> AsyncIterator[str]:
    """The URL of a new database on `server_dsn`, migrated and seeded with the demo business for
    `today` (None: the real today); dropped afterwards."""
    from callcenter_tools.seed import seed

    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    url = await create_database(server_dsn, name)
    try:
        conn = await connect(url)
        try:
            await migrate(conn)
            await seed(conn, today=today)
        finally:
            await conn.close()
        yield url
    finally:
        await drop_database(server_dsn, name)


@asynccontextmanager
async def seeded_runtime(server_dsn: str, settings: Settings, *, today: date) -> AsyncIterator[Runtime]:
    """The product (offline backend) on a seeded database of its own."""
    async with seeded_database(server_dsn, today=today) as url:
        rt = await build_runtime(settings, dsn=url, run_migrations=False)
        try:
            yield rt
        finally:
            await rt.close()


def clocked(rt: Runtime, now: datetime) -> Orchestrator:
    """`rt`'s orchestrator with its clock stopped at `now` (opening hours, 'tomorrow', the week)."""
    first = rt.orchestrator
    return Orchestrator(
        app=first.app,
        store=first.store,
        router=first.router,
        backend=first.backend,
        settings=first.settings,
        clock=lambda: now,
    )


async def converse(orch: Orchestrator, customer: int | None, turns: list[str]) -> list[tuple[str, str]]:
    """(agent, reply) for each turn of one new session of `customer` (None: anonymous)."""
    session = await orch.open_session(channel="test", customer_id=customer)
    out = []
    for said in turns:
        result = await orch.handle_turn(session.id, said)
        out.append((result.agent, result.text))
    return out


def variants(spec: Spec, text: str, n: int, seed: int, language: str = "en") -> list[str]:
    """`text` and n-1 roughened versions of it (courtesy, hesitation, casing, typos; in another
    `language`, also accents dropped), deterministic."""
    rng = random.Random(f"{seed}:{text}")
    out = [text]
    for _ in range(n * 5):
        if len(out) >= n:
            break
        rough, _applied = roughen(text, spec, language, rng)
        if rough not in out:
            out.append(rough)
    return out


def with_trained_models(data_dir: Path, models: Path, pattern: str = "*.npz") -> Path:
    """`data_dir` with the run's trained models (those matching `pattern`) in its model cache."""
    cache = data_dir / "models"
    cache.mkdir(parents=True, exist_ok=True)
    for model in models.glob(pattern):
        shutil.copy2(model, cache / model.name)
    return data_dir


async def resident_owing_75(pool: asyncpg.Pool, *, method: tuple[str, str, str] = ("card", "Visa", "4242")) -> int:
    """A resident of their own (the seeded ones are shared by other tests): a $75 lockout fee, overdue,
    and one saved payment method, the default ((kind, brand, last4))."""
    cid: int = await pool.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ('Lee Moss', $1, 'Cedar Lofts', '4A')"
        " RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    await pool.execute(
        "INSERT INTO invoices (customer_id, kind, description, amount_cents, issued_on, due_on)"
        " VALUES ($1, 'fee', 'Lockout fee', 7500, current_date - 20, current_date - 10)",
        cid,
    )
    await pool.execute(
        "INSERT INTO payment_methods (customer_id, kind, brand, last4, is_default) VALUES ($1, $2, $3, $4, true)",
        cid,
        *method,
    )
    return cid


async def session_turns(orch: Orchestrator, customer: int, turns: list[str]) -> tuple[uuid.UUID, list[TurnResult]]:
    """One new chat session of `customer` through `orch`: its id (to read its rows) and each turn's result."""
    session = await orch.open_session(channel="test", customer_id=customer)
    return uuid.UUID(session.id), [await orch.handle_turn(session.id, said) for said in turns]

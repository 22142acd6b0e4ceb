"""Eval fixtures: a template database built once per run and copied per trial, and scenario fixtures.

Copying a migrated, seeded template takes milliseconds, so trials never see each other's writes.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import asyncpg
import structlog

from callcenter.evals.scenario import Scenario, placeholders, substitute
from callcenter.settings import Settings
from callcenter.store.db import connect, drop_database, resolve_dsn, with_database
from callcenter.store.migrate import migrate

log = structlog.get_logger(__name__)


class TemplateDatabase:
    """A migrated, seeded database that every scenario run is copied from."""

    def __init__(self, server_dsn: str, settings: Settings, today: date) -> None:
        self.server_dsn = server_dsn
        self.settings = settings
        self.today = today
        self.name = f"cc_eval_tmpl_{uuid.uuid4().hex[:10]}"
        self._lock = asyncio.Lock()
        self._drops: set[asyncio.Task[None]] = set()
        self._drop_slots = asyncio.Semaphore(16)

    async def create(self) -> None:
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        conn = await connect(with_database(self.server_dsn, self.name))
        try:
            await migrate(conn)
            seed = importlib.import_module(self.settings.tools_module + ".seed").seed
            await seed(conn, today=self.today)
        finally:
            await conn.close()

    async def clone(self) -> tuple[str, str]:
        """A fresh copy: (database name, DSN). Copies are serialised: PostgreSQL refuses two
        copies of one template at the same instant."""
        name = f"cc_eval_{uuid.uuid4().hex[:12]}"
        async with self._lock:
            conn = await asyncpg.connect(self.server_dsn)
            try:
                await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
            finally:
                await conn.close()
        return name, with_database(self.server_dsn, name)

    def drop_copy(self, name: str) -> None:
        """Drop a copy in the background: DROP DATABASE waits for a checkpoint (seconds at
        times), and concurrent drops share one, so the run does not wait for each."""

        async def drop() -> None:
            async with self._drop_slots:
                try:
                    await drop_database(self.server_dsn, name)
                except Exception:  # noqa: BLE001 - a leftover copy must not fail the eval
                    log.warning("eval.drop_failed", database=name)

        task = asyncio.create_task(drop())
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def drop(self) -> None:
        if self._drops:
            await asyncio.gather(*list(self._drops))
        await drop_database(self.server_dsn, self.name)


@asynccontextmanager
async def template_database(settings: Settings, today: date) -> AsyncIterator[TemplateDatabase]:
    tmpl = TemplateDatabase(resolve_dsn(settings), settings, today)
    await tmpl.create()
    try:
        yield tmpl
    finally:
        await tmpl.drop()


async def apply_fixtures(conn: asyncpg.Connection, scenario: Scenario, today: date) -> None:
    """Scenario rows (JSON-typed through json_populate_record, so dates and numbers just work)
    and raw SQL, with placeholders substituted."""
    values = placeholders(today, scenario.customer)
    for table, rows in scenario.fixtures.items():
        for row in rows:
            row = substitute(row, values)
            cols = ", ".join(f'"{c}"' for c in row)
            await conn.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM json_populate_record(NULL::{table}, $1::text::json)",
                json.dumps(row, default=str),
            )
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1,"
            " false)"
        )
    for sql in scenario.fixtures_sql:
        await conn.execute(str(substitute(sql, values)))

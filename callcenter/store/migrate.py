"""Apply `migrations/*.sql` in order, once each, safe when many processes start at once.

Each file runs in its own transaction and is recorded in `schema_migrations`. A
session-level advisory lock serialises concurrent migrators, so the second process waits
and then finds nothing left to do.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger(__name__)

_LOCK_ID = 7_265_001  # arbitrary, constant: "callcenter migrations"


def migration_files(directory: Path | None = None) -> list[Path]:
    if directory is None:
        directory = Path(str(importlib.resources.files("callcenter_migrations")))
    return sorted(p for p in directory.glob("*.sql"))


async def migrate(conn: asyncpg.Connection, directory: Path | None = None) -> list[str]:
    """Apply pending migrations; returns the names applied now."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for path in migration_files(directory):
            if path.name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
            log.info("db.migrated", migration=path.name)
            applied_now.append(path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
    return applied_now


async def pending_migrations(conn: asyncpg.Connection, directory: Path | None = None) -> list[str]:
    """Migrations shipped with this code that the database has not applied yet (readiness, `db status`)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")} if exists else set()
    return [p.name for p in migration_files(directory) if p.name not in done]

from __future__ import annotations

import asyncio

from callcenter.store.db import connect
from callcenter.store.migrate import migrate, migration_files

PRODUCT_TABLES = {
    "customers",
    "appointments",
    "invoices",
    "payments",
    "tickets",
    "sessions",
    "messages",
    "tool_calls",
    "model_calls",
    "handoffs",
}


async def test_concurrent_migrators_apply_each_file_once(fresh_dsn: str) -> None:
    conns = [await connect(fresh_dsn) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        applied = [name for r in results for name in r]
        assert sorted(applied) == sorted(p.name for p in migration_files())
        tables = {
            r["tablename"] for r in await conns[0].fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        assert tables >= PRODUCT_TABLES
        assert await migrate(conns[0]) == []
    finally:
        for c in conns:
            await c.close()

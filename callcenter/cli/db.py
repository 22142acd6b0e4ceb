"""`callcenter migrate` and `callcenter seed`."""

from __future__ import annotations

import argparse
import asyncio
import importlib
from typing import Any

import asyncpg
import structlog

from callcenter.cli.common import add_data_dir, settings_from_args
from callcenter.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    m = sub.add_parser(
        "migrate",
        help="apply pending SQL migrations",
        description="Apply migrations/*.sql in order; safe to run from several processes.",
    )
    add_data_dir(m)
    m.set_defaults(func=cmd_migrate)
    s = sub.add_parser(
        "seed",
        help="fill the database with the demo business",
        description="The business's seed (TOOLS_MODULE.seed): the demo's customers, slots, invoices (deterministic).",
    )
    s.add_argument("--reset", action="store_true", help="wipe business and conversation tables first")
    s.add_argument("--customers", type=int, default=40, help="how many customers (default 40)")
    s.add_argument("--residents", type=int, dest="customers", help=argparse.SUPPRESS)  # its first name, for scripts
    add_data_dir(s)
    s.set_defaults(func=cmd_seed)


async def with_conn(settings: Settings, fn: Any) -> Any:
    from callcenter.store.db import connect, resolve_dsn
    from callcenter.store.migrate import migrate

    conn = await connect(resolve_dsn(settings))
    try:
        applied = await migrate(conn)
        return await fn(conn, applied)
    finally:
        await conn.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    async def run(conn: asyncpg.Connection, applied: list[str]) -> None:
        print(
            f"applied {len(applied)} migration(s)"
            + (": " + ", ".join(applied) if applied else " - the database is up to date")
        )

    asyncio.run(with_conn(settings_from_args(args), run))
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def run(conn: asyncpg.Connection, applied: list[str]) -> None:
        seed = importlib.import_module(settings.tools_module + ".seed").seed
        counts = await seed(conn, reset=args.reset, customers=args.customers)
        print("seeded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))

    asyncio.run(with_conn(settings, run))
    return 0


async def seed_if_empty(pool: asyncpg.Pool, settings: Settings) -> None:
    """Load the demo business into an empty database, on the laptop demo only.

    A deployment pointed at its own empty database must not fill it with invented residents,
    appointment slots and technicians because nobody passed `--no-seed`: outside the demo
    (`Settings.demo`) it only says how to seed on purpose.
    """
    async with pool.acquire() as conn:
        if await conn.fetchval("SELECT count(*) FROM customers"):
            return
        log = structlog.get_logger(__name__)
        if not settings.demo:
            log.warning("seed.skipped", why="no customers yet", hint="`callcenter seed` loads the demo business")
            return
        seed = importlib.import_module(settings.tools_module + ".seed").seed
        log.info("seed.first_run", what="the demo business")
        await seed(conn)

"""Connecting: DATABASE_URL when set, the embedded server otherwise; pools with JSON codecs."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from callcenter.settings import Settings
from callcenter.store.embedded import embedded_dsn


def resolve_dsn(settings: Settings) -> str:
    """The DSN every command uses: DATABASE_URL, or the embedded server in data_dir."""
    if settings.database_url:
        return settings.database_url
    return embedded_dsn(settings.data_dir)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=30
    )
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


def with_database(dsn: str, database: str) -> str:
    """The same server, another database name (tests create one per run)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def create_database(dsn: str, name: str) -> str:
    """CREATE DATABASE `name` on the server of `dsn`; returns the new DSN."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(dsn, name)


async def drop_database(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


Record = dict[str, Any]

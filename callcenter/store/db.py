"""Connecting: DATABASE_URL when set, the embedded server otherwise; pools with JSON codecs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import structlog

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


async def _keep_session_state(conn: asyncpg.Connection) -> None:
    """Skip asyncpg's reset-on-release round trip (RESET ALL, UNLISTEN, CLOSE ALL...).

    Our code never leaves session state behind (no SET, LISTEN or session advisory locks on
    pooled connections; migrations use a connection of their own), so the reset query would
    only add a round trip to every query the product makes.
    """


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        command_timeout=30,
        reset=_keep_session_state,
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


# Errors that mean "the connection or the server went away", not "the query is wrong".
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.InterfaceError,  # incl. ConnectionDoesNotExistError
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
    asyncpg.exceptions.InternalClientError,  # "another operation is in progress": killed mid-query by a restart
    ConnectionError,
    OSError,
)


DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.1, 0.3, 1.0, 2.0, 3.0)
"""Waits between attempts on a lost connection: 6.4 s in all, enough for a database restart."""

T = TypeVar("T")


async def retry_on_connection_loss(
    attempt: Callable[[], Awaitable[T]], delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS, what: str = "query"
) -> T:
    """Run `attempt()` again (a fresh pooled connection each time) while the connection is lost.

    Only connection-level errors are retried, within the budget of `delays`; then the last
    error propagates and channels answer `unavailable`. `attempt` must be safe to repeat: a
    single statement, or a transaction that checks what an earlier attempt committed (the
    tool executor's idempotency keys).
    """
    for number, delay in enumerate((*delays, None)):
        try:
            return await attempt()
        except CONNECTION_LOST as exc:
            if delay is None:
                raise
            structlog.get_logger(__name__).warning("db.retry", what=what, attempt=number + 1, error=str(exc))
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


@contextlib.asynccontextmanager
async def acquire(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection that is closed, not returned, when it turns out to be lost.

    A server restart can leave a connection half-dead (mid-protocol); handing it back would
    fail the next query on it too, so it is terminated and the pool opens a fresh one.
    """
    async with pool.acquire() as conn:
        try:
            yield conn
        except CONNECTION_LOST:
            with contextlib.suppress(asyncpg.InterfaceError):  # already closed and detached: nothing to do
                conn.terminate()
            raise


class RetryingPool:
    """Pool queries that survive a restarted database: retried on a lost connection.

    asyncpg discards a broken connection when it fails, so a retry gets a fresh one; the
    backoff gives a restarting server a few seconds. Only connection-level errors are retried.
    """

    def __init__(self, pool: asyncpg.Pool, delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS) -> None:
        self.pool = pool
        self.delays = delays

    async def _run(self, method: str, *args: Any) -> Any:
        async def attempt() -> Any:
            async with acquire(self.pool) as conn:
                return await getattr(conn, method)(*args)

        return await retry_on_connection_loss(attempt, self.delays)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._run("fetch", query, *args)
        return rows

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._run("fetchrow", query, *args)
        return row

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._run("fetchval", query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        status: str = await self._run("execute", query, *args)
        return status

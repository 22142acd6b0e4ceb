"""RetryingPool: queries wait out a database that is restarting."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from callcenter.store.db import RetryingPool


class FlakyServer:
    """Stands in for an asyncpg pool whose server refuses connections `failures` times."""

    def __init__(self, failures: int, error: BaseException) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0
        self.terminated = 0

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[FlakyServer]:
        yield self

    def terminate(self) -> None:
        self.terminated += 1

    async def fetchval(self, query: str, *args: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return 1


async def test_retries_connection_errors_until_the_server_is_back() -> None:
    server = FlakyServer(2, ConnectionRefusedError("restarting"))
    pool = RetryingPool(server, delays=(0.0, 0.0, 0.0))  # type: ignore[arg-type]
    assert await pool.fetchval("SELECT 1") == 1
    assert server.calls == 3
    assert server.terminated == 2  # a lost connection is closed, never handed to the next query


async def test_gives_up_after_the_last_delay() -> None:
    server = FlakyServer(10, asyncpg.exceptions.ConnectionDoesNotExistError("gone"))
    pool = RetryingPool(server, delays=(0.0, 0.0))  # type: ignore[arg-type]
    with pytest.raises(asyncpg.exceptions.ConnectionDoesNotExistError):
        await pool.fetchval("SELECT 1")
    assert server.calls == 3


async def test_query_errors_are_not_retried() -> None:
    server = FlakyServer(1, asyncpg.exceptions.UndefinedTableError("no such table"))
    pool = RetryingPool(server, delays=(0.0,))  # type: ignore[arg-type]
    with pytest.raises(asyncpg.exceptions.UndefinedTableError):
        await pool.fetchval("SELECT * FROM nope")
    assert server.calls == 1 and server.terminated == 0


async def test_against_a_real_server(pool: asyncpg.Pool) -> None:
    assert await RetryingPool(pool).fetchval("SELECT 41 + 1") == 42


async def test_a_connection_killed_mid_query_is_replaced_and_the_query_retried(pool: asyncpg.Pool) -> None:
    """The server ends the backend under a running query (as a restart does): the query still answers."""
    retrying = RetryingPool(pool, delays=(0.05, 0.2, 0.5))
    async with pool.acquire() as killer:

        async def kill_soon() -> None:
            await asyncio.sleep(0.3)
            await killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'SELECT 7 FROM pg_sleep(1)%' AND pid <> pg_backend_pid()"
            )

        task = asyncio.create_task(kill_soon())
        assert await retrying.fetchval("SELECT 7 FROM pg_sleep(1)") == 7
        await task
    assert await retrying.fetchval("SELECT 1") == 1

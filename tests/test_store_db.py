"""RetryingPool: queries wait out a database that is restarting."""

from __future__ import annotations

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
    assert server.calls == 1


async def test_against_a_real_server(pool: asyncpg.Pool) -> None:
    assert await RetryingPool(pool).fetchval("SELECT 41 + 1") == 42

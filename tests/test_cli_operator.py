"""`callcenter operator add|token|disable` as an admin runs it: the token is the last line of stdout."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import asyncpg
import pytest

from callcenter.store.operators import OperatorStore
from callcenter.web.auth import InvalidToken, verify_token
from callcenter.web.operator_auth import verify_operator_token

SECRET = "cli-test-secret"


def _run(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn, "CALLCENTER_SECRET": SECRET}
    return subprocess.run(
        [sys.executable, "-m", "callcenter", "operator", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_add_token_disable(dsn: str, pool: asyncpg.Pool) -> None:
    name = f"dana-{uuid.uuid4().hex[:6]}"
    added = _run(dsn, "add", name, "--role", "supervisor")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    op_id = verify_operator_token(token, SECRET)
    row = await pool.fetchrow("SELECT name, role, disabled FROM operators WHERE id=$1", op_id)
    assert dict(row) == {"name": name, "role": "supervisor", "disabled": False}
    assert f"/desk/#token={token}" in added.stdout
    try:
        verify_token(token, SECRET)
        raise AssertionError("an operator token passed as a customer token")
    except InvalidToken:
        pass

    again = _run(dsn, "add", name)
    assert again.returncode == 1 and "already exists" in again.stderr

    fresh = _run(dsn, "token", name, "--ttl", "120")
    assert fresh.returncode == 0 and verify_operator_token(fresh.stdout.strip().splitlines()[-1], SECRET) == op_id

    # An admin asking for a short-lived or no token never gets the 12-hour default (red-team F7).
    expired = _run(dsn, "token", name, "--ttl", "0")
    assert expired.returncode == 0, expired.stderr
    with pytest.raises(InvalidToken) as caught:
        verify_operator_token(expired.stdout.strip().splitlines()[-1], SECRET)
    assert caught.value.code == "expired_token"
    for negative in ("-5", "-1"):
        refused_ttl = _run(dsn, "token", name, "--ttl", negative)
        assert refused_ttl.returncode == 2 and "--ttl must be 0 or more" in refused_ttl.stderr
        assert "op1." not in refused_ttl.stdout
    assert _run(dsn, "add", f"x{name}", "--ttl", "-5").returncode == 2

    disabled = _run(dsn, "disable", name)
    assert disabled.returncode == 0, disabled.stderr
    assert await pool.fetchval("SELECT disabled FROM operators WHERE id=$1", op_id) is True
    refused = _run(dsn, "token", name)
    assert refused.returncode == 1 and "disabled" in refused.stderr


async def test_bad_names_and_unknown_operators_get_a_precise_error(dsn: str, pool: asyncpg.Pool) -> None:
    # The CLI's message, once; the database's CHECK refuses every variation (hostile bytes included).
    result = _run(dsn, "add", "has space")
    assert result.returncode == 2 and "letters, digits" in result.stderr, result.stderr
    store = OperatorStore(pool)
    for bad in ("", " ", "_leading", ".dot", "x" * 65, "semi;colon", "ñandú", "a\x00b", "a\nb", "<script>", "a'b"):
        with pytest.raises(ValueError, match="letters, digits"):
            await store.add(bad)
    missing = _run(dsn, "token", f"nobody-{uuid.uuid4().hex[:6]}")
    assert missing.returncode == 1 and "No operator named" in missing.stderr
    role = _run(dsn, "add", "eve", "--role", "root")
    assert role.returncode == 2 and "invalid choice" in role.stderr

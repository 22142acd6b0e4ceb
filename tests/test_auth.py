from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.web.auth import InvalidToken, issue_token, verify_token


def test_round_trip() -> None:
    token = issue_token(42, "s3cret", ttl_seconds=60, now=1000)
    assert verify_token(token, "s3cret", now=1030) == 42


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace("v1.42.", "v1.43."),  # another customer, same signature
        lambda t: t[:-2] + "xx",
        lambda t: "garbage",
        lambda t: t.replace("v1", "v2"),
    ],
)
def test_tampered_tokens_are_rejected(mutate) -> None:  # type: ignore[no-untyped-def]
    token = issue_token(42, "s3cret", ttl_seconds=60, now=1000)
    with pytest.raises(InvalidToken) as err:
        verify_token(mutate(token), "s3cret", now=1000)
    assert err.value.code == "invalid_token"


def test_expired_and_wrong_secret() -> None:
    token = issue_token(7, "k", ttl_seconds=10, now=0)
    with pytest.raises(InvalidToken) as err:
        verify_token(token, "k", now=11)
    assert err.value.code == "expired_token"
    with pytest.raises(InvalidToken):
        verify_token(token, "other", now=1)


@given(st.text(max_size=600))
def test_any_string_is_refused_with_a_code_never_a_crash(token: str) -> None:
    try:
        verify_token(token, "s3cret", now=0)
    except InvalidToken as exc:
        assert exc.code in ("invalid_token", "expired_token")


@pytest.mark.parametrize(
    "token",
    ["v1.é.1.abc", "v1.1.1.ab\u00e9", "v1." + "9" * 5000 + ".1.x", "v1.1.1.\ud800", "v1.0.99999999999.x", "v1.1.1"],
)
def test_hostile_tokens_are_malformed(token: str) -> None:
    with pytest.raises(InvalidToken) as err:
        verify_token(token, "s3cret", now=0)
    assert err.value.code == "invalid_token"


def test_short_lifetimes_are_honoured_exactly() -> None:
    with pytest.raises(InvalidToken) as err:
        verify_token(issue_token(7, "k", ttl_seconds=0, now=100), "k", now=100)
    assert err.value.code == "expired_token"
    one = issue_token(7, "k", ttl_seconds=1, now=100)
    assert verify_token(one, "k", now=100.5) == 7
    with pytest.raises(InvalidToken):
        verify_token(one, "k", now=101)


def test_token_command_ttl_zero_is_expired(tmp_path: Path, seeded_dsn: str) -> None:
    # `token` signs only for a customer that exists, so it reads the seeded database.
    env = {**os.environ, "CALLCENTER_SECRET": "x" * 40, "DATABASE_URL": seeded_dsn}
    out = subprocess.run(
        [sys.executable, "-m", "callcenter", "token", "3", "--ttl", "0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    with pytest.raises(InvalidToken) as err:
        verify_token(out.stdout.strip(), "x" * 40)
    assert err.value.code == "expired_token"

"""Operator mistakes, run as the operator runs them: the real `callcenter` command in a subprocess.

Each mistake must end in a short message that says what to do, a non-zero exit and no
traceback; `--debug` brings the traceback back for the developer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from callcenter.cli.errors import redact_dsn

MAX_LINES = 6


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "CALLCENTER_LOG_LEVEL": "WARNING", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_short_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode != 0, out
    assert "Traceback" not in out, out
    lines = out.splitlines()
    assert 1 <= len(lines) <= MAX_LINES, out
    for needle in needles:
        assert needle.lower() in out.lower(), out
    return out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_db(dsn: str, name: str) -> str:
    p = urlsplit(dsn)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def bad_database_urls(server_dsn: str) -> list[tuple[str, str]]:
    """(DATABASE_URL, a word the message must contain), generated across the ways it goes wrong."""
    missing = _with_db(server_dsn, f"cc_missing_{uuid.uuid4().hex[:8]}") if server_dsn.startswith("postgres") else None
    cases = [
        (f"postgresql://postgres@127.0.0.1:{_closed_port()}/x", "refused"),
        ("mysql://root@127.0.0.1/shop", "not a PostgreSQL URL"),
        ("http://127.0.0.1:5432/db", "not a PostgreSQL URL"),
        ("sqlite:///tmp/x.db", "not a PostgreSQL URL"),
        ("postgresql://postgres@no-such-host.invalid/x", "resolve"),
    ]
    if missing:
        cases.append((missing, "does not exist"))
    return cases


def test_bad_database_urls_get_one_or_two_lines(server_dsn: str) -> None:
    for url, needle in bad_database_urls(server_dsn):
        out = assert_short_error(run_cli("migrate", env={"DATABASE_URL": url}), needle)
        assert "DATABASE_URL" in out


def test_debug_shows_the_traceback() -> None:
    proc = run_cli("--debug", "migrate", env={"DATABASE_URL": "mysql://root@127.0.0.1/shop"})
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr


def test_invalid_setting_names_the_variable() -> None:
    out = assert_short_error(run_cli("migrate", env={"CALLCENTER_PORT": "eighty"}), "CALLCENTER_PORT")
    assert "eighty" in out


def test_unknown_log_level_is_refused() -> None:
    assert_short_error(run_cli("route", "hello", env={"CALLCENTER_LOG_LEVEL": "LOUD"}), "CALLCENTER_LOG_LEVEL")


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://u:s3cret@db:5432/app", "postgresql://u:***@db:5432/app"),
        ("postgresql://u@db/app", "postgresql://u@db/app"),
    ],
)
def test_passwords_never_appear_in_messages(dsn: str, shown: str) -> None:
    assert redact_dsn(dsn) == shown

"""The embedded PostgreSQL's life, driven through the real `callcenter db` commands.

A server a command starts is stopped when that command ends; `db start` keeps one up for the
commands after it (which leave it running); `db stop` stops it; `db status` tells which.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from callcenter.store import embedded

pytestmark = pytest.mark.processes


def run_cli(*args: str, data_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CALLCENTER_LOG_LEVEL"] = "WARNING"
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_db_start_status_stop_and_commands_clean_up_after_themselves() -> None:
    # Not pytest's tmp_path: other pytest runs reset its root to 0700, which the server's own user cannot traverse.
    data = Path(tempfile.mkdtemp(prefix="cc-ops-embedded-")) / "data"
    try:
        never = run_cli("db", "status", data_dir=data)
        assert never.returncode == 3 and "no embedded PostgreSQL" in never.stdout

        # A command that has to start the server stops it again when it ends.
        migrated = run_cli("migrate", data_dir=data)
        assert migrated.returncode == 0, migrated.stderr
        assert not embedded.status(data).running
        stopped = run_cli("db", "status", data_dir=data)
        assert stopped.returncode == 3 and "stopped" in stopped.stdout

        # `db start` keeps it up; commands that find it running leave it running.
        started = run_cli("db", "start", data_dir=data)
        assert started.returncode == 0 and "started" in started.stdout, started.stderr
        pid = embedded.status(data).pid
        assert pid is not None
        assert run_cli("migrate", data_dir=data).returncode == 0
        st = embedded.status(data)
        assert st.running and st.pid == pid
        status = run_cli("db", "status", data_dir=data)
        assert status.returncode == 0
        assert f"pid {pid}" in status.stdout and "schema is current" in status.stdout

        done = run_cli("db", "stop", data_dir=data)
        assert done.returncode == 0 and "stopped" in done.stdout
        assert not embedded.status(data).running
        again = run_cli("db", "stop", data_dir=data)
        assert again.returncode == 0 and "not running" in again.stdout
    finally:
        embedded.stop(data)
        shutil.rmtree(data.parent, ignore_errors=True)

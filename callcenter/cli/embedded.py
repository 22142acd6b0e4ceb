"""`callcenter db status|start|stop`: the embedded PostgreSQL's life, in the operator's hands.

Without DATABASE_URL every command uses an embedded server in data_dir; a command that
starts it stops it on exit (see callcenter.store.embedded). `db start` starts one that stays
up for the commands after it; `db stop` stops it; `db status` says what runs where and
whether the schema is current (exit 0 running, 3 stopped, like `pg_ctl status`).
"""

from __future__ import annotations

import argparse
import asyncio

from callcenter.cli.common import add_data_dir, settings_from_args
from callcenter.settings import Settings

EXIT_STOPPED = 3


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "db",
        help="status, start or stop the embedded PostgreSQL",
        description="Manage the embedded PostgreSQL used when DATABASE_URL is unset.",
    )
    p.add_argument("action", choices=("status", "start", "stop"))
    add_data_dir(p)
    p.set_defaults(func=cmd_db)


async def _schema_state(dsn: str) -> str:
    from callcenter.store.db import connect
    from callcenter.store.migrate import pending_migrations

    conn = await asyncio.wait_for(connect(dsn), timeout=10)
    try:
        pending = await pending_migrations(conn)
    finally:
        await conn.close()
    return "schema is current" if not pending else f"{len(pending)} migration(s) pending: `callcenter migrate`"


def cmd_db(args: argparse.Namespace) -> int:
    from callcenter.cli.errors import redact_dsn
    from callcenter.store import embedded

    settings: Settings = settings_from_args(args)
    if args.action == "status":
        if settings.database_url:
            print(
                f"DATABASE_URL is set: this service uses {redact_dsn(settings.database_url)}; "
                "the embedded server is not used"
            )
            print("  " + asyncio.run(_schema_state(settings.database_url)))
            return 0
        st = embedded.status(settings.data_dir)
        print(st.describe())
        if st.running and st.uri:
            print("  " + asyncio.run(_schema_state(st.uri)))
        return 0 if st.running else EXIT_STOPPED
    if args.action == "start":
        before = embedded.status(settings.data_dir)
        dsn = embedded.embedded_dsn(settings.data_dir, keep=True)
        verb = "was already running" if before.running else "started"
        print(f"embedded PostgreSQL {verb}; it keeps running until `callcenter db stop`\n  {dsn}")
        return 0
    stopped = embedded.stop(settings.data_dir)
    print("embedded PostgreSQL stopped" if stopped else f"embedded PostgreSQL is not running ({settings.data_dir})")
    if settings.database_url:
        print("  note: DATABASE_URL is set, so the service does not use the embedded server anyway")
    return 0

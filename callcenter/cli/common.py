"""What every command shares: settings from the command line and the `--data-dir` option.

Kept apart from the command modules so that none of them imports another for a helper.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from callcenter.settings import Settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment and config file, with `--data-dir` applied when given."""
    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)  # type: ignore[arg-type]


def add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the embedded PostgreSQL and cached models live when DATABASE_URL is unset "
        "(default: ~/.local/share/callcenter)",
    )


async def require_customer(settings: Settings, customer_id: int) -> None:
    """Refuse an id that names no customer, with the ids that do exist (token, chat)."""
    from callcenter.cli.errors import UsageError
    from callcenter.store.db import connect, resolve_dsn

    conn = await connect(resolve_dsn(settings))
    try:
        exists = await conn.fetchval("SELECT to_regclass('customers') IS NOT NULL")
        row = (
            await conn.fetchrow(
                "SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, bool_or(id = $1) AS found FROM customers",
                customer_id,
            )
            if exists
            else None
        )
    finally:
        await conn.close()
    if row is None or not row["n"]:
        raise UsageError(
            f"no customer {customer_id}: the database has no customers yet.\n"
            "  Run `callcenter seed` for the demo business, or load your own."
        )
    if not row["found"]:
        raise UsageError(
            f"no customer {customer_id}: {row['n']} customers exist (ids {row['lo']}-{row['hi']}).\n"
            "  Pass one of those ids."
        )

"""`callcenter report`: cost, latency, outcome and tier mix per route, from the database."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta

from callcenter.cli.common import add_data_dir, settings_from_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help="cost per task, p50/p95 latency, outcome and tier mix per route",
        description="Figures from stored turns and model calls; savings vs an all-frontier bill.",
    )
    p.add_argument("--since", metavar="DAYS", type=float, default=None, help="only the last DAYS days")
    p.add_argument("--sessions", type=int, default=0, metavar="N", help="also list the N most recent sessions")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_data_dir(p)
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from callcenter.reporting import build_report, format_report
    from callcenter.store.db import connect, resolve_dsn

    since = datetime.now(UTC) - timedelta(days=args.since) if args.since else None

    async def run() -> None:
        conn = await connect(resolve_dsn(settings_from_args(args)))
        try:
            report = await build_report(conn, since=since, sessions=args.sessions)
        finally:
            await conn.close()
        print(json.dumps(report.as_json(), indent=2) if args.json else format_report(report))

    asyncio.run(run())
    return 0

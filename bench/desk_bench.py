"""Operator → customer latency on the agent desk, across two server processes vs within one.

Two `callcenter serve` processes share one database. An operator holds a resident's session
and sends N messages; we time each from the operator's send to the resident's socket
receiving it. Cross-node: the resident on node A, the operator on node B (the message goes
B → PostgreSQL INSERT + NOTIFY → A reads the row → A's socket). Baseline, same run: both on
node A (the same path through PostgreSQL, minus nothing but the second process). Goal: p95
across nodes < 100 ms on this machine.

    python -m bench.desk_bench [--messages 200]      # writes bench/out/desk.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.serve_nodes import Node, start_node
from callcenter.settings import Settings
from callcenter.store.db import connect, create_database, drop_database
from callcenter.store.embedded import embedded_dsn
from callcenter.store.migrate import migrate
from callcenter.store.operators import OperatorStore
from callcenter.web.auth import issue_token
from callcenter.web.operator_auth import issue_operator_token

OUT = Path(__file__).resolve().parent / "out" / "desk.json"
SECRET = "desk-bench-secret-0123456789abcdef"  # serve wants >= 32 bytes
FAST_DESK = {"CALLCENTER_DESK_RATE_PER_S": "1000", "CALLCENTER_DESK_RATE_BURST": "1000"}


async def _frame(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=30)
        if frame.get("type") == kind:
            return frame


async def _held_session(
    http: aiohttp.ClientSession, customer_node: Node, desk: aiohttp.ClientWebSocketResponse, customer_id: int
) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    """A resident on `customer_node` asks for a person; the operator on `desk` takes it."""
    customer = await http.ws_connect(customer_node.ws_url + "/v1/chat")
    await customer.send_json({"type": "hello", "token": issue_token(customer_id, SECRET, ttl_seconds=3600)})
    sid = (await _frame(customer, "session"))["session_id"]
    await customer.send_json({"type": "message", "text": "I want to talk to a real person please"})
    reply = await _frame(customer, "message")
    assert reply["handoff"], reply
    while True:
        queue = (await _frame(desk, "queue"))["queue"]
        entry = next((h for h in queue if h["session_id"] == sid), None)
        if entry is not None:
            break
    await desk.send_json({"type": "take", "handoff_id": entry["handoff_id"]})
    await _frame(desk, "taken")
    return customer, sid


async def _measure(
    desk: aiohttp.ClientWebSocketResponse, customer: aiohttp.ClientWebSocketResponse, sid: str, n: int
) -> list[float]:
    samples: list[float] = []
    for i in range(n):
        text = f"operator message {i} {uuid.uuid4().hex[:6]}"
        started = time.perf_counter()
        await desk.send_json({"type": "message", "session_id": sid, "text": text})
        while True:
            frame = await customer.receive_json(timeout=30)
            if frame.get("type") == "message" and frame.get("text") == text:
                break
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.005)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


async def run(n: int) -> dict[str, Any]:
    from callcenter_tools.seed import seed

    settings = Settings()
    server = os.environ.get("DATABASE_URL") or embedded_dsn(settings.data_dir)
    name = f"cc_bench_desk_{uuid.uuid4().hex[:10]}"
    dsn = await create_database(server, name)
    nodes: list[Node] = []
    try:
        conn = await connect(dsn)
        try:
            await migrate(conn)
            await seed(conn)
            op = await OperatorStore(conn).add("bench-operator")
        finally:
            await conn.close()
        token = issue_operator_token(op.id, SECRET, ttl_seconds=3600)
        print("starting two nodes…", flush=True)
        nodes = list(
            await asyncio.gather(*(start_node(dsn, settings.data_dir, SECRET, extra_env=FAST_DESK) for _ in range(2)))
        )
        a, b = nodes
        results: dict[str, Any] = {}
        async with aiohttp.ClientSession() as http:
            for label, desk_node, customer_id in (("same_node", a, 1), ("cross_node", b, 2)):
                async with http.ws_connect(desk_node.ws_url + "/v1/desk") as desk:
                    await desk.send_json({"type": "hello", "token": token})
                    await _frame(desk, "desk")
                    await desk.send_json({"type": "queue"})
                    customer, sid = await _held_session(http, a, desk, customer_id)
                    await _measure(desk, customer, sid, 10)  # warm-up: connections, plans
                    results[label] = _summary(await _measure(desk, customer, sid, n))
                    await customer.close()
                print(f"{label:>10}: {results[label]}", flush=True)
        results["ratio_p95_cross_vs_same"] = round(results["cross_node"]["p95_ms"] / results["same_node"]["p95_ms"], 2)
        results["goal_p95_ms"] = 100
        results["meets_goal"] = results["cross_node"]["p95_ms"] < 100
        results["machine_load"] = [round(x, 2) for x in os.getloadavg()]
        return results
    finally:
        await asyncio.gather(*(node.stop() for node in nodes))
        await drop_database(server, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200, help="messages timed per case (default 200)")
    parser.add_argument("--quick", action="store_true", help="50 messages")
    args = parser.parse_args()
    results = asyncio.run(run(50 if args.quick else args.messages))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"cross-node p95 {results['cross_node']['p95_ms']} ms (goal < 100 ms), "
        f"{results['ratio_p95_cross_vs_same']}x same-node; written to {OUT}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

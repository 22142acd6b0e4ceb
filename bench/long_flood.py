"""Long messages from one address against another resident's turns (red team R6).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/x python -m bench.long_flood [--label after]
        [--sockets 18] [--messages 3] [--shape a_space|joined] [--python /path/to/other/venv/bin/python]

Starts `callcenter serve --workers 1` as a deployment runs it (bench.abuse.Server) with
CALLCENTER_TRUSTED_PROXIES=127.0.0.1, so the attacker (X-Forwarded-For 198.51.100.7) and the
resident (203.0.113.9) are different addresses as on the internet. The attacker opens `--sockets`
chats and pipelines `--messages` messages of `--shape` (10,000 characters: "a a a …", or "joined":
one request repeated with "and", see SHAPES) on each; a signed-in resident asks "what are your
office hours?" every 0.3 s and a third socket pings. Prints and writes bench/out/long-flood-<label>.json:
the resident's turn latency and the pings' round trips with no attack and during the flood, and how
the attacker's messages were answered (replies, rate_limited). Everything targets 127.0.0.1, bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from typing import Any

import aiohttp

from bench.abuse import OUT, Server, _token

# The message shapes an attacker can send (10,000 characters each): "a a a …" was the red team's
# costliest for the router; "joined" (one short request repeated with "and") made the follow-up
# splitter try every "and" as a cut, routing both sides each time (red team 3, R9).
SHAPES = {
    "a_space": "a " * 5000,
    "joined": ("cancel appointment #7 and reschedule #8 " * 250)[:10000],
}
ATTACKER, RESIDENT = "198.51.100.7", "203.0.113.9"


def _summary(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {"n": 0}
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def _open(
    http: aiohttp.ClientSession, srv: Server, address: str, **hello: Any
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(srv.base + "/v1/chat", headers={"X-Forwarded-For": address})
    await ws.send_json({"type": "hello", **hello})
    while (await ws.receive_json(timeout=60))["type"] != "session":
        pass
    return ws


async def _repeat(
    http: aiohttp.ClientSession,
    srv: Server,
    stop: asyncio.Event,
    frame: dict[str, Any],
    answer: tuple[str, ...],
    **hello: Any,
) -> list[float]:
    """Send `frame` and wait for one of `answer` until `stop` (at least once): seconds per round trip."""
    took: list[float] = []
    ws = await _open(http, srv, RESIDENT, **hello)
    try:
        while not stop.is_set() or not took:
            started = time.perf_counter()
            await ws.send_json(frame)
            while (await ws.receive_json(timeout=120))["type"] not in answer:
                pass
            took.append(time.perf_counter() - started)
            await asyncio.sleep(0.3 if frame["type"] == "message" else 0.05)
    finally:
        await ws.close()
    return took


async def _attacker(http: aiohttp.ClientSession, srv: Server, messages: int, text: str) -> list[str]:
    """One socket: `messages` long messages pipelined; how each was answered."""
    ws = await _open(http, srv, ATTACKER)
    try:
        for _ in range(messages):
            await ws.send_json({"type": "message", "text": text})
        outcomes: list[str] = []
        while len(outcomes) < messages:
            frame = await ws.receive_json(timeout=300)
            if frame["type"] in ("message", "error"):
                outcomes.append(frame.get("code", "reply"))
        return outcomes
    finally:
        await ws.close()


async def _phase(http: aiohttp.ClientSession, srv: Server, attack: Any) -> tuple[Any, list[float], list[float], float]:
    stop = asyncio.Event()
    question = {"type": "message", "text": "what are your office hours?"}
    resident = asyncio.create_task(_repeat(http, srv, stop, question, ("message", "error"), token=_token(7)))
    pings = asyncio.create_task(_repeat(http, srv, stop, {"type": "ping"}, ("pong",)))
    await asyncio.sleep(0.5)
    started = time.perf_counter()
    try:
        result = await attack
    finally:
        stop.set()
    return result, await resident, await pings, time.perf_counter() - started


async def run(args: argparse.Namespace) -> dict[str, Any]:
    env = {"CALLCENTER_TRUSTED_PROXIES": "127.0.0.1"}
    srv = Server(args.python, os.environ["DATABASE_URL"], env=env, workers=1)
    await srv.start()
    try:
        async with aiohttp.ClientSession() as http:
            _, quiet_turns, quiet_pings, _ = await _phase(http, srv, asyncio.sleep(5))
            text = SHAPES[args.shape]
            flood = asyncio.gather(*(_attacker(http, srv, args.messages, text) for _ in range(args.sockets)))
            outcomes, turns, pings, seconds = await _phase(http, srv, flood)
        answered = [o for per in outcomes for o in per]
        return {
            "label": args.label,
            "sockets": args.sockets,
            "messages_per_socket": args.messages,
            "shape": args.shape,
            "message_chars": len(SHAPES[args.shape]),
            "quiet": {"resident_turns": _summary(quiet_turns), "pings": _summary(quiet_pings)},
            "flood": {
                "seconds": round(seconds, 1),
                "resident_turns": _summary(turns),
                "pings": _summary(pings),
                "attacker": {k: answered.count(k) for k in sorted(set(answered))},
            },
            "tracebacks": srv.tracebacks(),
            "load_1min": round(os.getloadavg()[0], 1),
        }
    finally:
        await srv.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="after")
    parser.add_argument("--sockets", type=int, default=18)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="a_space")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    OUT.mkdir(exist_ok=True)
    (OUT / f"long-flood-{args.label}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

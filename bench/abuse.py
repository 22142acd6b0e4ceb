"""Abuse figures for a deployment: what an attacker on the internet can do to one server.

Starts `callcenter serve` as a real deployment would run it (a PostgreSQL database of its own
on DATABASE_URL's server, a strong CALLCENTER_SECRET, TWILIO_AUTH_TOKEN set) on 127.0.0.1,
attacks it from this process, and prints:

- max / p99 ping latency on an idle connection while a signed 5 MB transcript and a
  10,000-character chat message are processed (the event loop must not block);
- a pipelined flood of 200 "I smell gas" on one connection: replies, rate_limited, tickets opened;
- 60 rapid new sessions from one address: how many were refused, session rows written;
- a phone call with 2,000 prompts and an immediate hang-up: tickets opened;
- hostile frames and bodies: internal_error frames, 5xx answers and tracebacks in the server log;
- a foreign websocket Origin; a connection that never says hello;
- RSS growth of the server over 30 unsigned 8 MiB transcript posts.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/x python -m bench.abuse [--label after]
        [--python /path/to/other/venv/bin/python]   # serve another checkout (the baseline) instead

Figures go to bench/out/abuse-<label>.json. Everything targets 127.0.0.1 and is bounded in
count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

OUT = Path(__file__).resolve().parent / "out"
SECRET = "bench-abuse-secret-7Qm2vK9xR4tLp8Zw3Nc6Hj"  # serve refuses predictable secrets ("x" * 32)
TWILIO = "bench-twilio-token"
HELLO_TIMEOUT_S = 3
PROBE_TIMEOUT_S = 120.0  # a ping unanswered this long is recorded as this long


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _token(customer_id: int, ttl: int = 3600) -> str:
    from callcenter.web.auth import issue_token

    return issue_token(customer_id, SECRET, ttl_seconds=ttl)


def _signed(url: str) -> str:
    from callcenter.channels.voice_protocol import twilio_signature

    return twilio_signature(TWILIO, url)


class Server:
    """`callcenter serve` in a subprocess on a database of its own."""

    def __init__(self, python: str, server_dsn: str, env: dict[str, str] | None = None, workers: int = 0) -> None:
        self.python = python
        self.env = env or {}  # more CALLCENTER_* settings (bench/long_flood.py)
        self.workers = workers  # 0: serve's default
        self.server_dsn = server_dsn
        self.db = f"cc_abuse_{uuid.uuid4().hex[:10]}"
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="abuse-server-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        from callcenter.store.db import create_database

        dsn = await create_database(self.server_dsn, self.db)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
        env.update(
            DATABASE_URL=dsn,
            CALLCENTER_SECRET=SECRET,
            TWILIO_AUTH_TOKEN=TWILIO,
            CALLCENTER_HELLO_TIMEOUT_S=str(HELLO_TIMEOUT_S),
            CALLCENTER_BACKEND="local",
            CALLCENTER_DATA_DIR=str(OUT / ".abuse-data"),
        )
        env.update(self.env)
        seed = [self.python, "-m", "callcenter", "seed"]  # a deployment's `serve` never seeds its database
        await asyncio.to_thread(subprocess.run, seed, env=env, check=True, capture_output=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - starting the server under test, once
            [self.python, "-m", "callcenter", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + (["--workers", str(self.workers)] if self.workers else []),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tempfile.gettempdir(),
        )
        deadline = time.monotonic() + 180
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
                try:
                    async with http.get(self.base + "/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.3)
        raise RuntimeError("server did not start in 180 s")

    def tracebacks(self) -> int:
        return self.log_path.read_text(errors="replace").count("Traceback")

    async def stop(self) -> None:
        from callcenter.store.db import drop_database

        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        await drop_database(self.server_dsn, self.db)

    async def query(self, sql: str, *args: Any) -> Any:
        import asyncpg

        from callcenter.store.db import with_database

        conn = await asyncpg.connect(with_database(self.server_dsn, self.db))
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()


async def _hello(ws: aiohttp.ClientWebSocketResponse, **fields: Any) -> dict[str, Any]:
    await ws.send_json({"type": "hello", **fields})
    frame: dict[str, Any] = await ws.receive_json(timeout=30)
    return frame


async def _frames(
    ws: aiohttp.ClientWebSocketResponse, finals: int, within_s: float, kinds: tuple[str, ...] = ("message", "error")
) -> list[dict[str, Any]]:
    """Final frames (message or error) until `finals` arrived, the socket closed or `within_s` passed."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + within_s
    while len(got) < finals and time.monotonic() < deadline:
        try:
            msg = await ws.receive(timeout=max(0.05, deadline - time.monotonic()))
        except TimeoutError:
            break
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        frame = json.loads(msg.data)
        if frame.get("type") in kinds:
            got.append(frame)
    return got


async def ping_under_load(srv: Server, http: aiohttp.ClientSession) -> dict[str, Any]:
    """Ping latency on an idle connection while a 5 MB signed transcript and a 10,000-char message run."""
    rtts: list[float] = []
    stop = asyncio.Event()

    async def prober() -> None:
        async with http.ws_connect(srv.base.replace("http", "ws") + "/v1/chat") as ws:
            await _hello(ws)
            while not stop.is_set():
                sent = time.perf_counter()
                await ws.send_json({"type": "ping"})
                try:
                    while (await ws.receive_json(timeout=PROBE_TIMEOUT_S)).get("type") != "pong":
                        pass
                except TimeoutError:  # the loop was blocked longer than we wait: record the wait, stop
                    rtts.append(PROBE_TIMEOUT_S * 1000)
                    return
                rtts.append((time.perf_counter() - sent) * 1000)
                await asyncio.sleep(0.02)

    async def transcript() -> tuple[int, float]:
        from callcenter.channels.voice_protocol import body_sha256

        words = "my kitchen sink leaks and the heater is broken please send someone soon "
        turns = [{"speaker": "customer" if i % 2 else "agent", "text": (words * 140)[:10_000]} for i in range(500)]
        raw = json.dumps({"call_id": "CA-big-" + uuid.uuid4().hex, "turns": turns}).encode()
        path = f"/v1/voice/transcripts?bodySHA256={body_sha256(raw)}"
        headers = {"Content-Type": "application/json", "X-Twilio-Signature": _signed(srv.base + path)}
        started = time.perf_counter()
        async with http.post(srv.base + path, data=raw, headers=headers, timeout=aiohttp.ClientTimeout(300)) as r:
            await r.read()
            return r.status, time.perf_counter() - started

    async def long_message() -> float:
        async with http.ws_connect(srv.base.replace("http", "ws") + "/v1/chat") as ws:
            await _hello(ws, token=_token(1))
            started = time.perf_counter()
            await ws.send_json({"type": "message", "text": ("I have a question about my rent invoice " * 300)[:10_000]})
            await _frames(ws, 1, 120)
            return time.perf_counter() - started

    probe = asyncio.create_task(prober())
    await asyncio.sleep(0.5)
    baseline = max(rtts) if rtts else 0.0
    (status, transcript_s), message_s = await asyncio.gather(transcript(), long_message())
    await asyncio.sleep(0.3)
    stop.set()
    await probe
    return {
        "max_ping_ms": round(max(rtts), 1),
        "p99_ping_ms": round(sorted(rtts)[int(0.99 * (len(rtts) - 1))], 1),
        "median_ping_ms": round(statistics.median(rtts), 2),
        "idle_max_ping_ms": round(baseline, 1),
        "transcript_status": status,
        "transcript_s": round(transcript_s, 2),
        "message_s": round(message_s, 2),
    }


async def flood(srv: Server, http: aiohttp.ClientSession, count: int = 200) -> dict[str, Any]:
    async with http.ws_connect(srv.base.replace("http", "ws") + "/v1/chat") as ws:
        session = await _hello(ws)
        for i in range(count):
            await ws.send_json({"type": "message", "text": "I smell gas", "client_id": str(i)})
        finals = await _frames(ws, count, 120)
    sid = session.get("session_id")
    tickets = await srv.query("SELECT count(*) FROM tickets WHERE session_id=$1", uuid.UUID(sid)) if sid else None
    handoffs = (
        await srv.query("SELECT count(*) FROM handoffs WHERE session_id=$1 AND kind='human'", uuid.UUID(sid))
        if sid
        else None
    )
    codes = [f.get("code") for f in finals if f["type"] == "error"]
    return {
        "sent": count,
        "answered": sum(f["type"] == "message" for f in finals),
        "rate_limited": codes.count("rate_limited"),
        "internal_error": codes.count("internal_error"),
        "no_answer": count - len(finals),
        "tickets": tickets,
        "human_handoffs": handoffs,
    }


async def new_sessions(srv: Server, http: aiohttp.ClientSession, count: int = 60) -> dict[str, Any]:
    before = await srv.query("SELECT count(*) FROM sessions")
    opened = refused = 0
    for _ in range(count):
        try:
            async with http.ws_connect(srv.base.replace("http", "ws") + "/v1/chat") as ws:
                frame = await _hello(ws)
                if frame.get("type") == "session":
                    opened += 1
                    await ws.send_json({"type": "message", "text": "what are your office hours?"})
                    await _frames(ws, 1, 30)
                else:
                    refused += 1
        except aiohttp.WSServerHandshakeError:
            refused += 1
    hellos_only = 0
    for _ in range(200):  # hellos with no message: no session row should be written
        try:
            async with http.ws_connect(srv.base.replace("http", "ws") + "/v1/chat") as ws:
                await _hello(ws)
                hellos_only += 1
        except aiohttp.WSServerHandshakeError:
            pass
    after = await srv.query("SELECT count(*) FROM sessions")
    return {
        "attempted": count,
        "opened": opened,
        "refused": refused,
        "session_rows": after - before,
        "hello_only_connections": hellos_only,
    }


async def relay_hangup(srv: Server, http: aiohttp.ClientSession, prompts: int = 2000) -> dict[str, Any]:
    url = srv.base.replace("http", "ws") + "/v1/voice/relay"
    call_sid = "CA" + uuid.uuid4().hex
    async with http.ws_connect(url, headers={"X-Twilio-Signature": _signed(url)}) as ws:
        await ws.send_json(
            {
                "type": "setup",
                "sessionId": "VX1",
                "callSid": call_sid,
                "from": "+15550000000",
                "to": "+15551111111",
                "direction": "inbound",
                "customParameters": {},
            }
        )
        for _ in range(prompts):
            await ws.send_json({"type": "prompt", "voicePrompt": "I smell gas", "lang": "en-US", "last": True})
    deadline, last, stable = time.monotonic() + 90, -1, 0
    tickets = 0
    while time.monotonic() < deadline and stable < 3:
        await asyncio.sleep(1)
        tickets = await srv.query(
            "SELECT count(*) FROM tickets t JOIN sessions s ON s.id = t.session_id WHERE s.external_id=$1", call_sid
        )
        stable = stable + 1 if tickets == last else 0
        last = tickets
    messages = await srv.query(
        "SELECT count(*) FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.external_id=$1", call_sid
    )
    return {"prompts": prompts, "tickets": tickets, "messages_stored": messages}


def _hostile_frames() -> list[str | bytes]:
    tok = _token(1)
    return [
        "[" * 20_000 + "]" * 20_000,
        '{"type":"message","text":' + "[" * 20_000 + "]" * 20_000 + "}",
        '{"type":"hello","token":' + "9" * 5000 + "}",
        '{"type":"message","text":"a","client_id":' + "9" * 5000 + "}",
        '{"type":"message","text":"hi\\u0000there"}',
        '{"type":"message","text":"\\ud800 lone surrogate"}',
        '{"type":"message","text":"\\udfff\\ud800"}',
        '{"type":"hello","token":"v1.1.99999999999.\u00e9\u00e9\u00e9"}',
        '{"type":"hello","token":"' + tok[:-3] + '\u00e9\u00e9\u00e9"}',
        '{"type":"hello","token":"v1.' + "9" * 300 + '.99999999999.abc"}',
        '{"type":"hello","session_id":"\\u0000"}',
        '{"type":"hello","session_id":"00000000-0000-0000-0000-00000000000\\u0000"}',
        '{"type":"message","text":"' + "\u00e9" * 40_000 + '"}',  # 40,000 characters, 80 KB
        b"\xff\xfe\x00",
        b'{"type":"message","text":"caf\xc3"}',
        '{"type":' + "1" * 5000 + "}",
        '{"type":"ping","x":1e999999}',
        '{"type":"message","text":"x","client_id":"\\ud800"}',
        "\u0000",
        "",
        "null",
        '{"type":"message","text":null}',
    ]


async def hostile(srv: Server, http: aiohttp.ClientSession) -> dict[str, Any]:
    from callcenter.channels.voice_protocol import body_sha256

    frames = _hostile_frames()
    codes: dict[str, int] = {}
    internal = unanswered = 0
    async with http.ws_connect(srv.base.replace("http", "ws") + "/v1/chat", max_msg_size=0) as ws:
        await _hello(ws, token=_token(1))
        for frame in frames:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
            got = await _frames(ws, 1, 30, ("message", "error", "pong", "session"))
            if not got:
                unanswered += 1
                if ws.closed:
                    break
                continue
            code = got[0].get("code") or got[0]["type"]
            codes[code] = codes.get(code, 0) + 1
            internal += code == "internal_error"
    bodies: list[bytes] = [
        b"[" * 100_000,
        b'{"call_id":"x","turns":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"call_id":"CA-nul","turns":[{"speaker":"customer","text":"gas\\u0000leak"}]}',
        b'{"call_id":"CA-sur","turns":[{"speaker":"customer","text":"\\ud800"}]}',
        b'{"call_id":"CA-int","turns":[{"speaker":"customer","text":"hi"}],"started_at":' + b"9" * 5000 + b"}",
        b'{"call_id":"CA-tok","token":"v1.1.1.\xc3\xa9","turns":[{"speaker":"customer","text":"hi"}]}',
        b'{"call_id":"\\u0000","turns":[{"speaker":"customer","text":"hi"}]}',
        b"\xff\xfe",
        b"null",
        b"",
    ]
    statuses: dict[str, int] = {}
    for body in bodies:
        path = f"/v1/voice/transcripts?bodySHA256={body_sha256(body)}"
        headers = {"Content-Type": "application/json", "X-Twilio-Signature": _signed(srv.base + path)}
        async with http.post(srv.base + path, data=body, headers=headers) as resp:
            statuses[str(resp.status)] = statuses.get(str(resp.status), 0) + 1
    return {
        "frames": len(frames),
        "internal_error": internal,
        "unanswered": unanswered,
        "codes": codes,
        "transcript_statuses": statuses,
        "server_5xx": sum(v for k, v in statuses.items() if k.startswith("5")),
    }


async def origin_and_hello(srv: Server, http: aiohttp.ClientSession) -> dict[str, Any]:
    url = srv.base.replace("http", "ws") + "/v1/chat"
    try:
        async with http.ws_connect(url, headers={"Origin": "https://evil.example"}) as ws:
            frame = await _hello(ws)
            foreign_origin = "accepted" if frame.get("type") == "session" else f"error {frame.get('code')}"
    except aiohttp.WSServerHandshakeError as exc:
        foreign_origin = f"refused {exc.status}"
    started = time.monotonic()
    wait = HELLO_TIMEOUT_S + 10
    async with http.ws_connect(url) as ws:
        try:
            msg = await ws.receive(timeout=wait)
            while msg.type == aiohttp.WSMsgType.TEXT:
                msg = await ws.receive(timeout=wait)
            no_hello = f"closed after {time.monotonic() - started:.1f} s"
        except TimeoutError:
            no_hello = f"still open after {wait} s"
    return {"foreign_origin": foreign_origin, "no_hello_connection": no_hello}


async def unsigned_posts(srv: Server, http: aiohttp.ClientSession, count: int = 30) -> dict[str, Any]:
    assert srv.proc is not None
    body = b'{"call_id":"x","turns":[' + b" " * (8 * 1024 * 1024 - 64) + b"]}"
    before = _rss_kb(srv.proc.pid)
    statuses: dict[str, int] = {}

    async def post() -> None:
        try:
            async with http.post(
                srv.base + "/v1/voice/transcripts", data=body, headers={"Content-Type": "application/json"}
            ) as resp:
                statuses[str(resp.status)] = statuses.get(str(resp.status), 0) + 1
        except aiohttp.ClientError:
            statuses["reset"] = statuses.get("reset", 0) + 1

    for _ in range(count // 10):
        await asyncio.gather(*(post() for _ in range(10)))
    await asyncio.sleep(0.5)
    return {"posts": count, "statuses": statuses, "rss_growth_mb": round((_rss_kb(srv.proc.pid) - before) / 1024, 1)}


STEPS = {  # new_sessions last: it spends this address's session budget on purpose
    "unsigned_posts": unsigned_posts,
    "ping_under_load": ping_under_load,
    "flood": flood,
    "hostile": hostile,
    "relay_hangup": relay_hangup,
    "origin_and_hello": origin_and_hello,
    "new_sessions": new_sessions,
}


async def run(python: str, server_dsn: str, only: list[str]) -> dict[str, Any]:
    srv = Server(python, server_dsn)
    await srv.start()
    results: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as http:
            for name, step in STEPS.items():
                if only and name not in only:
                    continue
                started = time.perf_counter()
                print(f"  {name} ...", end="", flush=True)
                try:
                    results[name] = await step(srv, http)
                except Exception as exc:  # a step that breaks is a finding, not the end of the run
                    results[name] = {"failed": f"{type(exc).__name__}: {exc}"[:300]}
                print(f" {time.perf_counter() - started:.1f} s: {json.dumps(results[name])}", flush=True)
        results["server_tracebacks"] = srv.tracebacks()
        log = srv.log_path.read_text(errors="replace")
        results["server_log_ssn_or_card"] = bool(re.search(r"\b\d{3}-\d{2}-\d{4}\b|4111[ .-]?1111", log))
    finally:
        await srv.stop()
    return results


FIGURES = (  # (step, key, what it means) for the before/after table
    ("ping_under_load", "max_ping_ms", "max ping (ms) on another connection during a 5 MB transcript + 10k message"),
    ("ping_under_load", "p99_ping_ms", "p99 ping (ms), same"),
    ("ping_under_load", "transcript_s", "5 MB signed transcript processed in (s)"),
    ("flood", "answered", "pipelined flood of 200 'I smell gas': answered"),
    ("flood", "rate_limited", "... rate_limited"),
    ("flood", "tickets", "... tickets opened"),
    ("new_sessions", "opened", "60 rapid new sessions from one address: opened"),
    ("new_sessions", "session_rows", "... session rows written (incl. 200 hello-only connections)"),
    ("relay_hangup", "tickets", "phone call, 2,000 prompts then hang-up: tickets"),
    ("relay_hangup", "messages_stored", "... messages stored"),
    ("hostile", "internal_error", "hostile frames answered internal_error"),
    ("hostile", "server_5xx", "hostile transcript bodies answered 5xx"),
    ("origin_and_hello", "foreign_origin", "websocket from a foreign Origin"),
    ("origin_and_hello", "no_hello_connection", "connection that never says hello"),
    ("unsigned_posts", "rss_growth_mb", "RSS growth (MB) over 30 unsigned 8 MiB posts"),
)


def compare(before: dict[str, Any], after: dict[str, Any]) -> str:
    """A Markdown table of the figures of two runs."""
    lines = ["| figure | before | after |", "|---|---|---|"]
    for step, key, what in FIGURES:
        lines.append(f"| {what} | {before.get(step, {}).get(key, '-')} | {after.get(step, {}).get(key, '-')} |")
    lines.append(
        f"| server tracebacks in the log | {before.get('server_tracebacks', '-')} | "
        f"{after.get('server_tracebacks', '-')} |"
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="after", help="names the output file bench/out/abuse-LABEL.json")
    parser.add_argument("--python", default=sys.executable, help="the Python whose `callcenter` is served")
    parser.add_argument("--only", nargs="*", default=[], choices=sorted(STEPS), help="run just these steps")
    args = parser.parse_args()
    server_dsn = os.environ.get("DATABASE_URL")
    if not server_dsn:
        print("bench.abuse needs DATABASE_URL (a PostgreSQL server it may create a database on).", file=sys.stderr)
        return 2
    print(f"abuse bench ({args.label}): serving with {args.python}", flush=True)
    results = asyncio.run(run(args.python, server_dsn, args.only))
    results["label"], results["python"] = args.label, args.python
    OUT.mkdir(exist_ok=True)
    path = OUT / f"abuse-{args.label}.json"
    if args.only and path.exists():  # a partial run updates the steps it ran; whole-run figures stay
        earlier = json.loads(path.read_text())
        results = {**earlier, **{k: v for k, v in results.items() if k in STEPS}}
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {path}")
    before, after = OUT / "abuse-before.json", OUT / "abuse-after.json"
    if before.exists() and after.exists():
        table = compare(json.loads(before.read_text()), json.loads(after.read_text()))
        (OUT / "abuse.md").write_text("# bench.abuse: before (a24b4f2) and after\n\n" + table)
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

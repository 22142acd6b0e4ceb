"""`callcenter serve` as an operator runs it: a real process, JSON logs, probes, metrics, SIGTERM.

The process is the product: it is started with `python -m callcenter serve`, talked to over
HTTP and a websocket, and stopped with SIGTERM while a conversation is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.test_cli_errors import assert_short_error, run_cli

pytestmark = pytest.mark.processes

START_TIMEOUT_S = 240  # a supervisor and its workers start on a box shared with other suites
SECRET = "serve-test-secret-of-at-least-32-bytes"


@dataclass
class ServeProcess:
    proc: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


def _env(dsn: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "CALLCENTER_LOG_JSON": "true",
        "CALLCENTER_BACKEND": "local",
        "CALLCENTER_SECRET": SECRET,
        "CALLCENTER_DRAIN_S": "5",
    }
    env.pop("CALLCENTER_DATA_DIR", None)  # the default keeps the trained router cached between runs
    env.update(extra)
    return env


async def _read_until_listening(sp: ServeProcess) -> None:
    loop = asyncio.get_running_loop()
    assert sp.proc.stderr is not None
    deadline = loop.time() + START_TIMEOUT_S
    while loop.time() < deadline:
        line = await loop.run_in_executor(None, sp.proc.stderr.readline)
        if not line:
            raise AssertionError("serve exited early:\n" + "".join(sp.lines))
        sp.lines.append(line.rstrip("\n"))
        event = json.loads(line)
        if event.get("event") == "serve.listening":
            sp.url = event["url"].rstrip("/")
            return
    raise AssertionError("serve did not start in time:\n" + "\n".join(sp.lines))


def _spawn_serve(env: dict[str, str], *, workers: int | None = None) -> subprocess.Popen[str]:
    """`serve` as an operator starts it: one worker per core unless `workers` says otherwise."""
    cmd = [sys.executable, "-m", "callcenter", "serve", "--port", "0"]
    return subprocess.Popen(
        cmd if workers is None else [*cmd, "--workers", str(workers)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.asynccontextmanager
async def _serving(env: dict[str, str], workers: int | None = None) -> AsyncIterator[ServeProcess]:
    proc = _spawn_serve(env, workers=workers)
    sp = ServeProcess(proc)
    try:
        await _read_until_listening(sp)
        yield sp
    finally:
        if proc.poll() is None:
            proc.kill()  # its workers die with it (PR_SET_PDEATHSIG)
        proc.wait(timeout=30)


@pytest.fixture
async def serve(fresh_dsn: str) -> AsyncIterator[ServeProcess]:
    """A server on an empty database of its own (it migrates it, as on a first run)."""
    async with _serving(_env(fresh_dsn)) as sp:
        yield sp


@pytest.fixture
async def one_worker(fresh_dsn: str) -> AsyncIterator[ServeProcess]:
    """One process on a database of its own: the test stops that database under it."""
    async with _serving(_env(fresh_dsn), workers=1) as sp:
        yield sp


def _finish(sp: ServeProcess, timeout: float = 60) -> int:
    out, err = sp.proc.communicate(timeout=timeout)
    sp.lines += [line for line in err.splitlines() if line.strip()]
    assert not out.strip(), f"serve printed to stdout: {out!r}"
    return int(sp.proc.returncode)


async def test_sigterm_finishes_the_turn_then_closes_chats_with_1012_and_exits_0(serve: ServeProcess) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/healthz", "/readyz"):
            resp = await http.get(serve.url + path)
            assert resp.status == 200, (path, await resp.text())
        async with http.ws_connect(serve.url.replace("http", "ws") + "/v1/chat") as ws:
            await ws.send_json({"type": "hello"})
            session = await ws.receive_json(timeout=30)
            assert session["type"] == "session"
            await ws.send_json({"type": "message", "text": "what are your office hours?", "client_id": "t1"})
            await asyncio.sleep(0.05)  # the turn is in flight when the signal lands
            serve.proc.send_signal(signal.SIGTERM)
            frames: list[Any] = []
            while True:
                msg = await ws.receive(timeout=30)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                frames.append(json.loads(msg.data))
            assert msg.type == aiohttp.WSMsgType.CLOSE, msg
            assert ws.close_code in (1001, 1012)
    final = [f for f in frames if f["type"] == "message"]
    assert len(final) == 1 and final[0]["client_id"] == "t1" and final[0]["text"], frames
    assert await asyncio.get_running_loop().run_in_executor(None, _finish, serve) == 0
    events = serve.events()  # every line is JSON (json.loads raises otherwise)
    names = [e["event"] for e in events]
    assert "serve.stopping" in names and "shutdown.drained" in names and names[-1] == "serve.stopped"
    # A deployment's empty database is not filled with the demo's invented residents: it is told how to.
    assert [e["hint"] for e in events if e["event"] == "seed.skipped"] == ["`callcenter seed` loads the demo business"]
    assert "seed.first_run" not in names
    assert any(e["event"] == "http.request" and e["path"] == "/v1/chat" for e in events)
    routed = [e for e in events if e["event"] == "turn.routed"]
    assert routed and routed[0]["session_id"] == session["session_id"] and "turn_id" in routed[0]
    assert all("timestamp" in e and "level" in e for e in events)


async def test_metrics_parse_while_the_database_is_down(
    one_worker: ServeProcess, fresh_dsn: str, server_dsn: str
) -> None:
    """Stop the database under a running server: /metrics still answers, /readyz says not ready."""
    import asyncpg

    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(one_worker.url.replace("http", "ws") + "/v1/chat") as ws:
            await ws.send_json({"type": "hello"})
            await ws.receive_json(timeout=30)
            await ws.send_json({"type": "message", "text": "when is rent due?"})
            while (await ws.receive_json(timeout=30))["type"] != "message":
                pass
        # Kill this process's connections and keep new ones out: the database is "down" for it.
        name = urlsplit(fresh_dsn).path.lstrip("/")
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            resp = await http.get(one_worker.url + "/metrics")
            body = await resp.text()
            ready = await http.get(one_worker.url + "/readyz")
            ready_body = await ready.json()
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            await admin.close()
    assert resp.status == 200
    families = {f.name: f for f in text_string_to_metric_families(body)}
    assert families["callcenter_database_up"].samples[0].value == 0
    assert families["callcenter_turns"].type == "counter"
    assert sum(s.value for s in families["callcenter_turns"].samples if s.name.endswith("_total")) >= 1
    assert families["callcenter_turn_latency_seconds"].type == "histogram"
    assert ready.status == 503 and ready_body["status"] == "not_ready"
    assert set(ready_body) <= {"status", "database", "migrations", "turns"}  # no raw error text


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_port_in_use_is_one_short_error(busy_port: int, seeded_dsn: str) -> None:
    proc = run_cli(
        "serve",
        "--port",
        str(busy_port),
        env={"DATABASE_URL": seeded_dsn, "CALLCENTER_BACKEND": "local", "CALLCENTER_SECRET": SECRET},
        timeout=180,
    )
    assert_short_error(proc, "in use", "--port")


def test_token_and_chat_refuse_unknown_customers_and_sessions(seeded_dsn: str) -> None:
    env = {"DATABASE_URL": seeded_dsn, "CALLCENTER_BACKEND": "local", "CALLCENTER_SECRET": SECRET}
    assert_short_error(run_cli("token", "9999", env=env), "no customer 9999")
    assert_short_error(run_cli("chat", "--customer", "9999", env=env), "no customer 9999")
    # set-pin names the ids that exist before it judges the PIN (a weak PIN for nobody is not the news)
    assert_short_error(run_cli("customer", "set-pin", "9999", "1234", env=env), "no customer 9999", "ids 1-")
    assert_short_error(run_cli("chat", "--session", "not-a-session", env=env), "--session")
    assert_short_error(run_cli("chat", "--session", "6f0c2b1e-0000-4000-8000-000000000000", env=env), "no session")
    ok = run_cli("token", "1", env=env)
    assert ok.returncode == 0 and ok.stdout.startswith("v1.1.")


def test_bad_catalog_path_is_refused_even_offline(seeded_dsn: str, tmp_path: Any) -> None:
    env = {
        "DATABASE_URL": seeded_dsn,
        "CALLCENTER_BACKEND": "local",
        "CALLCENTER_SECRET": SECRET,
        "CALLCENTER_CATALOG_PATH": str(tmp_path / "missing.toml"),
    }
    assert_short_error(run_cli("serve", "--port", "0", env=env, timeout=180), "CALLCENTER_CATALOG_PATH")
    broken = tmp_path / "broken.toml"
    broken.write_text("[models.x\nprice = ")
    env["CALLCENTER_CATALOG_PATH"] = str(broken)
    assert_short_error(run_cli("chat", env=env, timeout=180), "CALLCENTER_CATALOG_PATH")


async def test_hello_answers_unavailable_when_the_database_server_is_stopped(own_pg_dir: Path) -> None:
    """A real outage: the PostgreSQL server itself stops under a running `serve`."""
    from callcenter.store import embedded

    tmp_path = own_pg_dir
    dsn = embedded.embedded_dsn(tmp_path / "pg", keep=True)
    proc = _spawn_serve(_env(dsn))
    sp = ServeProcess(proc)
    try:
        await _read_until_listening(sp)
        embedded.stop(tmp_path / "pg")
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(sp.url.replace("http", "ws") + "/v1/chat") as ws:
                await ws.send_json({"type": "hello"})  # a new session's row is written with its first message
                session = await ws.receive_json(timeout=30)
                assert session["type"] == "session", session
                await ws.send_json({"type": "message", "text": "what are your office hours?"})
                frame = await ws.receive_json(timeout=60)
            metrics = await http.get(sp.url + "/metrics")
            ready = await http.get(sp.url + "/readyz")
            alive = await http.get(sp.url + "/healthz")
        assert frame["type"] == "error" and frame["code"] == "unavailable", frame
        assert metrics.status == 200 and "callcenter_database_up 0.0" in await metrics.text()
        assert ready.status == 503 and alive.status == 200
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.get_running_loop().run_in_executor(None, proc.wait, 60)
        embedded.stop(tmp_path / "pg")


async def test_a_person_starting_two_workers_reads_one_serving_line(fresh_dsn: str) -> None:
    """Console logs (the default), two workers: one line says where it serves, not one per process."""
    proc = _spawn_serve(_env(fresh_dsn, CALLCENTER_LOG_JSON="false"), workers=2)
    loop = asyncio.get_running_loop()
    assert proc.stdout is not None
    try:
        first = await asyncio.wait_for(loop.run_in_executor(None, proc.stdout.readline), START_TIMEOUT_S)
        assert first.startswith("callcenter is serving on http://") and "2 workers" in first, first
        await asyncio.sleep(2)  # a worker that also printed would have done so by now
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert "is serving on" not in out, out
    assert proc.returncode == 0, err[-2000:]

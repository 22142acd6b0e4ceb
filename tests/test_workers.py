"""`callcenter serve --workers N`: full nodes on one port, supervised, restarted, drained.

From the outside: a real supervisor process, its workers found with psutil, clients on the
websocket, the database stopped and started under them (an embedded server the test owns) or
slowed by a lock the test holds, and signals as an operator or a terminal sends them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
import pytest

from callcenter.cli.workers import GIVE_UP_AFTER, RESTART_DELAYS_S, Supervisor, default_workers
from callcenter.runtime import Runtime

SECRET = "workers-test-secret-0123456789abcdefghij"  # serve refuses short secrets outside the demo
WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def test_default_is_one_worker_per_usable_core() -> None:
    assert default_workers() == len(os.sched_getaffinity(0))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve_workers(
    dsn: str, port: int, data_dir: str, *, workers: int = 2, log: Path | None = None, **env_extra: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "CALLCENTER_BACKEND": "local",
        "CALLCENTER_LOG_LEVEL": "WARNING",
        "CALLCENTER_SECRET": SECRET,
        "CALLCENTER_MAX_CONNECTIONS_PER_ADDRESS": "10000",
        "CALLCENTER_RATE_SESSIONS_PER_MIN": "100000",
        "CALLCENTER_RATE_MESSAGES_PER_MIN": "100000",
        **env_extra,
    }
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - the process holds it
    cmd = [sys.executable, "-m", "callcenter", "serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(
        [*cmd, "--data-dir", data_dir],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
        start_new_session=True,  # its own process group: killpg reaches it as a terminal's Ctrl-C would
    )


async def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "serve exited early"
            try:
                async with http.get(url + "/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    pytest.fail("serve --workers never became healthy")


def _listening(proc: subprocess.Popen[bytes], port: int) -> set[int]:
    """Pids of the supervisor's workers listening on `port`."""
    found = set()
    for child in psutil.Process(proc.pid).children():
        try:
            if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in child.net_connections("tcp")):
                found.add(child.pid)
        except psutil.Error:  # exited meanwhile
            continue
    return found


async def _wait_listening(
    proc: subprocess.Popen[bytes],
    port: int,
    count: int,
    timeout_s: float = 120,
    other_than: frozenset[int] | set[int] = frozenset(),
) -> set[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the supervisor exited ({proc.returncode})"
        pids = _listening(proc, port)
        if len(pids) == count and pids != other_than:
            return pids
        await asyncio.sleep(0.2)
    pytest.fail(f"{count} workers never listened on {port}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the workers die with it (PR_SET_PDEATHSIG)
    proc.wait(timeout=30)


async def _turn(url: str, text: str = "what are your office hours?", cid: str = "t") -> str:
    """One conversation of one message: 'message' when answered, else the error code (or what broke)."""
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url + "/v1/chat") as ws:
            await ws.send_json({"type": "hello"})
            frame = await ws.receive_json(timeout=30)
            if frame["type"] != "session":
                return f"hello:{frame.get('code')}"
            await ws.send_json({"type": "message", "text": text, "client_id": cid})
            while True:
                frame = await ws.receive_json(timeout=60)
                if frame["type"] == "message":
                    return "message"
                if frame["type"] == "error":
                    return str(frame["code"])
    except (aiohttp.ClientError, OSError) as exc:
        return type(exc).__name__


async def _turns_counted(url: str) -> float:
    """callcenter_turns_total summed over its labels, from one scrape on a new connection."""
    from prometheus_client.parser import text_string_to_metric_families

    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as resp:
        text = await resp.text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return sum(s.value for s in families["callcenter_turns"].samples if s.name == "callcenter_turns_total")


async def test_two_workers_share_the_port_answer_chats_and_stop_on_sigterm(seeded_dsn: str, runtime: Runtime) -> None:
    port = _free_port()
    proc = _serve_workers(seeded_dsn, port, str(runtime.settings.data_dir))
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(url, proc)
        children = psutil.Process(proc.pid).children()
        assert len(children) == 2
        await _wait_listening(proc, port, 2)  # both bound to the same port (SO_REUSEPORT)
        replies = await asyncio.gather(*(_turn(url, cid=f"w{i}") for i in range(8)))
        assert replies == ["message"] * 8
        # Prometheus scrapes the port and the kernel picks a worker: every scrape must see the node's 8 turns.
        assert [await _turns_counted(url) for _ in range(6)] == [8.0] * 6
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
        assert not any(
            psutil.pid_exists(c.pid) and psutil.Process(c.pid).status() != psutil.STATUS_ZOMBIE for c in children
        )
    finally:
        _stop(proc)


def test_a_taken_port_is_refused_in_a_line_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "callcenter", "serve", "--port", str(port), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "CALLCENTER_LOG_LEVEL": "WARNING", "CALLCENTER_SECRET": SECRET},
        )
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode != 0 and "Traceback" not in out, out
    assert f"cannot listen on 127.0.0.1:{port}" in out and "--port" in out


def test_a_dying_worker_is_restarted_with_backoff_and_a_crash_loop_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real processes that exit at once: restarted after 0.5 s, 1 s, ...; only a loop of every slot ends it."""
    monkeypatch.setattr("callcenter.cli.workers.RESTART_DELAYS_S", (0.05, 0.1, 0.2))
    sup = Supervisor([sys.executable, "-c", "import sys; sys.exit(3)"], dict(os.environ), workers=2)
    for slot in sup.slots:
        sup.start(slot)
    delays: list[float] = []  # slot 0's wait before each restart
    waiting_until: float | None = None
    deadline = time.monotonic() + 60
    while sup.tend():
        assert time.monotonic() < deadline, "never gave up"
        slot = sup.slots[0]
        if slot.proc is None and waiting_until is None:
            waiting_until = slot.restart_at
            delays.append(round(slot.restart_at - time.monotonic(), 2))
        elif slot.proc is not None and waiting_until is not None:
            assert slot.started >= waiting_until  # never restarted before its backoff is over
            waiting_until = None
        time.sleep(0.005)
    assert all(s.failures >= GIVE_UP_AFTER and s.proc is None for s in sup.slots)
    assert len(delays) >= GIVE_UP_AFTER - 1 and delays[:3] == sorted(delays[:3]) and min(delays[2:]) > 0.1, delays
    assert RESTART_DELAYS_S[0] <= 1.0  # the production backoff starts quickly


@pytest.mark.processes
async def test_a_worker_that_dies_during_a_database_outage_comes_back_and_answers_unavailable(
    own_pg_dir: Path, tmp_path: Path
) -> None:
    """The bug: a worker restarted while PostgreSQL was down exited at once, the supervisor gave up
    after a few tries and took the healthy workers with it; clients got "connection refused"."""
    from callcenter.store import embedded

    dsn = embedded.embedded_dsn(own_pg_dir / "pg", keep=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve_workers(dsn, port, str(own_pg_dir / "data"), log=tmp_path / "serve.log")
    try:
        await _wait_healthy(url, proc)
        first = await _wait_listening(proc, port, 2)
        assert await _turn(url) == "message"

        embedded.stop(own_pg_dir / "pg")
        assert await _turn(url) == "unavailable"
        os.kill(min(first), signal.SIGKILL)  # a worker dies (OOM, a bug) while the database is down
        restarted = await _wait_listening(proc, port, 2, timeout_s=60, other_than=first)
        outage = await asyncio.gather(*(_turn(url, cid=f"o{i}") for i in range(4)))
        assert outage == ["unavailable"] * 4, outage  # every worker, the new one too, says so
        async with aiohttp.ClientSession() as http:
            assert (await http.get(url + "/readyz")).status == 503
            assert (await http.get(url + "/healthz")).status == 200

        embedded.embedded_dsn(own_pg_dir / "pg", keep=True)  # the database is back
        deadline = time.monotonic() + 60
        while True:
            back = await asyncio.gather(*(_turn(url, cid=f"b{i}") for i in range(4)))
            if back == ["message"] * 4:
                break
            assert time.monotonic() < deadline, back
            await asyncio.sleep(1)
        assert _listening(proc, port) == restarted and proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
    except BaseException:
        print((tmp_path / "serve.log").read_text()[-5000:])
        raise
    finally:
        _stop(proc)


async def _connect_to_every_worker(
    url: str, proc: subprocess.Popen[bytes], port: int, http: aiohttp.ClientSession
) -> list[tuple[aiohttp.ClientWebSocketResponse, str]]:
    """Open chats, each with a first exchange, until every worker holds one (the kernel picks the worker)."""
    workers = _listening(proc, port)
    chats: list[tuple[aiohttp.ClientWebSocketResponse, str]] = []
    for _ in range(24):
        ws = await http.ws_connect(url + "/v1/chat")
        await ws.send_json({"type": "hello"})
        frame = await ws.receive_json(timeout=30)
        assert frame["type"] == "session", frame
        await ws.send_json({"type": "message", "text": "hello there", "client_id": "warm-up"})  # the session's row
        while (await ws.receive_json(timeout=30))["type"] != "message":
            pass
        chats.append((ws, frame["session_id"]))
        holding = {
            c.pid
            for c in psutil.Process(proc.pid).children()
            for conn in c.net_connections("tcp")
            if conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == port
        }
        if len(chats) >= 4 and holding >= workers:
            return chats
    pytest.fail("the kernel never gave both workers a connection")


@pytest.mark.processes
@pytest.mark.parametrize("how", ["SIGTERM to the supervisor", "Ctrl-C in its terminal"])
async def test_a_signal_drains_every_worker_in_flight_turns_finish_then_1012(
    how: str, seeded_dsn: str, runtime: Runtime
) -> None:
    """Turns held in flight by a lock the test owns; the signal lands; the lock is let go; every
    turn is answered and stored, every socket closes with 1012, the supervisor exits 0."""
    port = _free_port()
    drain_s = 15
    proc = _serve_workers(seeded_dsn, port, str(runtime.settings.data_dir), CALLCENTER_DRAIN_S=str(drain_s))
    url = f"http://127.0.0.1:{port}"
    admin = await asyncpg.connect(seeded_dsn)
    try:
        await _wait_healthy(url, proc)
        await _wait_listening(proc, port, 2)
        async with aiohttp.ClientSession() as http:
            chats = await _connect_to_every_worker(url, proc, port, http)
            lock = admin.transaction()
            await lock.start()
            await admin.execute("LOCK TABLE messages IN EXCLUSIVE MODE")  # storing a message waits

            async def last_frames(ws: aiohttp.ClientWebSocketResponse) -> tuple[list[dict[str, Any]], int | None]:
                frames: list[dict[str, Any]] = []
                while True:
                    msg = await ws.receive(timeout=120)  # the lock wait (<= 60 s) and the drain (15 s) fit
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        return frames, ws.close_code
                    frames.append(json.loads(msg.data))

            # Each chat reads its socket from the moment it asks, as the widget does: an unread socket
            # answers no heartbeat ping, and past 45 s (30 s ping + 15 s pong wait) the server drops it,
            # which under load, while the turns are slow to reach the lock, is before the drain begins.
            readers = [asyncio.create_task(last_frames(ws)) for ws, _ in chats]
            try:
                for i, (ws, _) in enumerate(chats):
                    await ws.send_json({"type": "message", "text": "what are your office hours?", "client_id": f"d{i}"})
                for _ in range(600):
                    if await admin.fetchval(WAITING_ON_A_LOCK) >= len(chats):
                        break
                    await asyncio.sleep(0.1)
                waiting = await admin.fetchval(WAITING_ON_A_LOCK)
                if waiting < len(chats):  # seen once in a clean CI run (4 of 5): the scenario never formed
                    pytest.skip(f"only {waiting} of {len(chats)} turns reached the lock in 60 s; drain not exercised")
                signalled = time.monotonic()
                if how.startswith("SIGTERM"):
                    proc.send_signal(signal.SIGTERM)
                else:  # a terminal sends SIGINT to its whole foreground process group
                    os.killpg(proc.pid, signal.SIGINT)
                await asyncio.sleep(1.5)  # the workers stop listening and wait for their turns
                assert proc.poll() is None
                with pytest.raises((aiohttp.ClientError, OSError)):
                    await http.get(url + "/healthz")
            except BaseException:  # skipped or failed: the readers end here too
                for reader in readers:
                    reader.cancel()
                raise
            finally:
                await lock.rollback()

            ends = await asyncio.gather(*readers)
        for i, (frames, code) in enumerate(ends):
            final = [f for f in frames if f["type"] == "message"]
            assert len(final) == 1 and final[0]["client_id"] == f"d{i}", frames
            assert code == 1012, code
        assert await asyncio.to_thread(proc.wait, drain_s + 10) == 0
        assert time.monotonic() - signalled < drain_s + 5
        sessions = [sid for _, sid in chats]
        replies = await admin.fetchval(
            "SELECT count(*) FROM messages WHERE role = 'assistant' AND session_id = ANY($1::uuid[])", sessions
        )
        assert replies == 2 * len(chats)
    finally:
        await admin.close()
        _stop(proc)


def _serve_as_the_readme_says(port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """`callcenter serve` with no DATABASE_URL and no CALLCENTER_* setting (a fresh laptop)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_") and k != "DATABASE_URL"}
    env["CALLCENTER_LOG_LEVEL"] = "WARNING"
    cmd = [sys.executable, "-m", "callcenter", "serve", "--port", str(port), "--workers", "2"]
    with open(log, "wb") as out:
        return subprocess.Popen(
            [*cmd, "--data-dir", str(data_dir)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.mark.processes
async def test_the_readme_quick_start_serves_the_demo_with_nothing_configured(own_pg_dir: Path, tmp_path: Path) -> None:
    """`callcenter serve` as the README says, on a 2-core laptop: no DATABASE_URL, no secret.

    The bug: the supervisor started the embedded server and handed workers its DSN as
    DATABASE_URL, so each worker judged itself a deployment, refused the dev secret with exit 2,
    and the supervisor restarted the refusals with backoff for minutes; nothing ever listened.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve_as_the_readme_says(port, own_pg_dir / "pg", tmp_path / "serve.log")
    try:
        await _wait_healthy(url, proc)
        await _wait_listening(proc, port, 2)
        async with aiohttp.ClientSession() as http:
            assert (await http.get(url + "/")).status == 200
            demo = await http.get(url + "/v1/demo/residents")  # the widget's resident picker
            assert demo.status == 200, await demo.text()
            assert (await demo.json())["residents"]
            # The same laptop behind a same-host proxy (red-team F11): nobody else gets the tokens.
            proxied = await http.get(url + "/v1/demo/residents", headers={"X-Forwarded-For": "203.0.113.9"})
            assert proxied.status == 404
        assert await _turn(url) == "message"
        assert "DEMO MODE IS ON" in (tmp_path / "serve.log").read_text()  # said, not silently
    except BaseException:
        print((tmp_path / "serve.log").read_text()[-5000:])
        raise
    finally:
        _stop(proc)


def test_a_worker_refusing_its_configuration_stops_the_supervisor_at_once() -> None:
    """A worker that exits 2 (a refused setting) would refuse again: the supervisor stops, it does not back off."""
    refusing = [
        sys.executable,
        "-c",
        "import sys; print('callcenter: refusing to serve: x', file=sys.stderr); sys.exit(2)",
    ]
    sup = Supervisor(refusing, dict(os.environ), workers=2)
    for slot in sup.slots:
        sup.start(slot)
    deadline = time.monotonic() + 30
    while sup.tend():
        assert time.monotonic() < deadline, "a refusing worker was restarted instead of stopping the supervisor"
        time.sleep(0.05)
    assert sup.refused

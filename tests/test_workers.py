"""`callcenter serve --workers 2`: two full nodes on one port, supervised, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import psutil
import pytest

from callcenter.cli.workers import default_workers
from callcenter.runtime import Runtime

SECRET = "workers-test-secret-0123456789abcdefghij"  # serve refuses short secrets outside the demo


def test_default_is_one_worker_per_usable_core() -> None:
    assert default_workers() == len(os.sched_getaffinity(0))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve_two_workers(dsn: str, port: int, data_dir: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "CALLCENTER_BACKEND": "local",
        "CALLCENTER_LOG_LEVEL": "WARNING",
        "CALLCENTER_SECRET": SECRET,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callcenter",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-seed",
            "--data-dir",
            data_dir,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
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
    pytest.fail("serve --workers 2 never became healthy")


async def test_two_workers_share_the_port_answer_chats_and_stop_on_sigterm(seeded_dsn: str, runtime: Runtime) -> None:
    port = _free_port()
    proc = _serve_two_workers(seeded_dsn, port, str(runtime.settings.data_dir))
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(url, proc)
        children = psutil.Process(proc.pid).children()
        assert len(children) == 2
        listening: set[int] = set()
        for _ in range(600):  # the second worker may still be starting when the first answers
            listening = {
                c.pid
                for c in children
                for conn in c.net_connections("tcp")
                if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port
            }
            if len(listening) == 2:
                break
            await asyncio.sleep(0.2)
        assert len(listening) == 2  # both bound to the same port (SO_REUSEPORT)

        async def chat(i: int) -> str:
            async with aiohttp.ClientSession() as http, http.ws_connect(url + "/v1/chat") as ws:
                await ws.send_json({"type": "hello"})
                assert (await ws.receive_json(timeout=30))["type"] == "session"
                await ws.send_json({"type": "message", "text": "what are your office hours?", "client_id": f"w{i}"})
                while True:
                    frame = await ws.receive_json(timeout=30)
                    if frame["type"] != "delta":
                        assert frame["type"] == "message", frame
                        return str(frame["client_id"])

        assert sorted(await asyncio.gather(*(chat(i) for i in range(8)))) == sorted(f"w{i}" for i in range(8))
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
        assert not any(
            psutil.pid_exists(c.pid) and psutil.Process(c.pid).status() != psutil.STATUS_ZOMBIE for c in children
        )
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


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

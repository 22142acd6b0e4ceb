"""`callcenter serve --workers N`: N full nodes on one port, under a small supervisor.

One Python process uses one core. Each worker is a complete node (`callcenter serve
--reuse-port`): its own event loop, pool, turn keeper and sweeper; the kernel spreads new
connections across them with SO_REUSEPORT, so no process proxies traffic. Nothing is shared
between workers but PostgreSQL, exactly as between machines (docs/scaling.md).

The supervisor prepares once what every worker would otherwise race to do (start the
embedded database, migrate, seed, train and cache the router), forwards SIGTERM/SIGINT so
each worker drains on its own, and restarts a worker that dies (a bounded number of times).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from types import FrameType

import structlog

from callcenter.settings import Settings

log = structlog.get_logger(__name__)

MAX_RESTARTS_PER_MINUTE = 5


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _check_port(host: str, port: int) -> None:
    """Fail before starting anything when the workers could not listen (port taken, bad address)."""
    from callcenter.cli.errors import UsageError

    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind((host, port))
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}.\n  Pick another --port, or stop what is using it."
        ) from None


def _wait_listening(host: str, port: int, procs: list[subprocess.Popen[bytes]], stopping: list[int]) -> bool:
    """True once something accepts connections on the port; False if a worker exits or we are stopped first."""
    target = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not stopping:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


async def prepare(settings: Settings, dsn: str, *, seed: bool) -> None:
    """Migrate, seed and cache the trained router once, before any worker starts."""
    from callcenter.cli.db import seed_if_empty
    from callcenter.runtime import build_runtime

    runtime = await build_runtime(settings, dsn=dsn)
    try:
        if seed:
            await seed_if_empty(runtime.pool, settings)
    finally:
        await runtime.close()


def supervise(settings: Settings, host: str, port: int, workers: int, *, seed: bool) -> int:
    import asyncio

    from callcenter.store.db import resolve_dsn

    port = port or _free_port(host)
    _check_port(host, port)
    dsn = resolve_dsn(settings)  # starts the embedded server here, so it outlives every worker
    asyncio.run(prepare(settings, dsn, seed=seed))
    env = {**os.environ, "DATABASE_URL": dsn}
    cmd = [
        sys.executable,
        "-m",
        "callcenter",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--reuse-port",
        "--no-seed",
    ]
    if settings.data_dir:
        cmd += ["--data-dir", str(settings.data_dir)]
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    procs = [subprocess.Popen(cmd, env=env) for _ in range(workers)]
    if _wait_listening(host, port, procs, stopping):  # say "serving" only once a worker accepts connections
        url = f"http://{host}:{port}/"
        if settings.log_json:  # machines read the event (stdout stays empty); people read the line below
            log.info("serve.listening", url=url, workers=workers, hint="SIGTERM or Ctrl-C to stop")
        else:
            print(f"callcenter is serving on {url}  ({workers} workers; Ctrl-C to stop)", flush=True)
    restarts: deque[float] = deque()
    try:
        while not stopping:
            time.sleep(0.2)
            for i, proc in enumerate(procs):
                if proc.poll() is None or stopping:
                    continue
                now = time.monotonic()
                while restarts and now - restarts[0] > 60:
                    restarts.popleft()
                if len(restarts) >= MAX_RESTARTS_PER_MINUTE:
                    log.error("workers.crash_loop", exit_code=proc.returncode)
                    print(
                        f"callcenter: workers keep exiting (last exit code {proc.returncode}); see their output above.",
                        file=sys.stderr,
                        flush=True,
                    )
                    stopping.append(-1)
                    break
                log.warning("workers.restarting", worker=i, exit_code=proc.returncode)
                restarts.append(now)
                procs[i] = subprocess.Popen(cmd, env=env)
    finally:
        for proc in procs:  # each worker drains its own turns (callcenter.shutdown)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        grace = settings.model_dump().get("drain_s", 10) + 5
        deadline = time.monotonic() + grace
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if -1 in stopping else 0

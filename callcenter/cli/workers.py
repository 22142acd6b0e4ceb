"""`callcenter serve --workers N`: N full nodes on one port, under a small supervisor.

One Python process uses one core. Each worker is a complete node (`callcenter serve
--reuse-port`): its own event loop, pool, turn keeper and sweeper; the kernel spreads new
connections across them with SO_REUSEPORT, so no process proxies traffic. Nothing is shared
between workers but PostgreSQL, exactly as between machines (docs/scaling.md).

The supervisor prepares once what every worker would otherwise race to do (start the
embedded database, migrate, seed, train and cache the router). After that a worker needs
nothing from the database to start, so one that dies (OOM, a bug, kill -9) is restarted with
backoff even while the database is down, and answers `unavailable` until it is back; healthy
workers are never stopped because another one keeps failing.

Metrics: workers write their samples to a directory the supervisor makes (prometheus_client's
multiprocess mode), so `/metrics` on the shared port reports the node whichever worker answers.

Signals: workers live in process groups of their own, so a terminal's Ctrl-C reaches the
supervisor only, and it forwards one SIGTERM to each worker, which drains on its own
(callcenter.shutdown). A second signal kills them. A worker dies with its supervisor
(PR_SET_PDEATHSIG): `kill -9` of the supervisor is the node dying, never orphans on the port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from types import FrameType

import structlog

from callcenter.settings import Settings
from callcenter.telemetry.metrics import MULTIPROC_ENV

log = structlog.get_logger(__name__)

RESTART_DELAYS_S: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
"""Waits before restarting a worker slot after its 1st, 2nd, ... consecutive early exit."""
STABLE_S = 30.0
"""A worker that ran this long before exiting starts its slot's backoff over."""
GIVE_UP_AFTER = 8
"""Consecutive early exits of every slot at once (nothing serving for minutes): a crash loop, exit 1."""
REFUSED_EXIT = 2
"""A worker's exit code for a refused configuration (argparse, `refusing to serve`): restarting cannot help."""
POLL_S = 0.1


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


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """In the worker before exec: SIGKILL when the supervisor dies (Linux), so no worker outlives it."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)


@dataclass
class Slot:
    """One worker position: its process, and how often it has exited early in a row."""

    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = field(default=0.0)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Supervisor:
    def __init__(self, cmd: list[str], env: dict[str, str], workers: int) -> None:
        self.cmd, self.env = cmd, env
        self.slots = [Slot(i) for i in range(workers)]
        self.signals: list[int] = []
        self.refused = False

    def start(self, slot: Slot) -> None:
        slot.proc = subprocess.Popen(self.cmd, env=self.env, process_group=0, preexec_fn=_die_with_parent)
        slot.started = time.monotonic()

    def tend(self) -> bool:
        """Restart dead workers whose backoff is over; False when every slot is crash-looping."""
        now = time.monotonic()
        for slot in self.slots:
            if slot.proc is None:
                if now >= slot.restart_at:
                    self.start(slot)
                continue
            code = slot.proc.poll()
            if code is None:
                continue
            self._forget_gauges(slot.proc.pid)
            if code == REFUSED_EXIT and now - slot.started < STABLE_S:
                self.refused = True  # a configuration error: every restart would refuse the same way
                log.error("workers.refused", worker=slot.index, exit_code=code)
                return False
            slot.failures = 1 if now - slot.started >= STABLE_S else slot.failures + 1
            delay = RESTART_DELAYS_S[min(slot.failures, len(RESTART_DELAYS_S)) - 1]
            slot.proc, slot.restart_at = None, now + delay
            log.warning("workers.exited", worker=slot.index, exit_code=code, restart_in_s=delay)
        return not all(s.proc is None and s.failures >= GIVE_UP_AFTER for s in self.slots)

    def _forget_gauges(self, pid: int) -> None:
        """A dead worker's open sockets are closed: drop its live gauges from the node's /metrics."""
        path = self.env.get(MULTIPROC_ENV)
        if path:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]

    def stop(self, grace_s: float) -> None:
        """SIGTERM every worker (each drains its turns); SIGKILL after `grace_s` or on a second signal."""
        running = [s.proc for s in self.slots if s.proc is not None and s.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        signals_at_stop = len(self.signals)
        deadline = time.monotonic() + grace_s
        while any(p.poll() is None for p in running):
            if time.monotonic() > deadline or len(self.signals) > signals_at_stop:
                log.warning("workers.killed", still_running=sum(p.poll() is None for p in running))
                for proc in running:
                    if proc.poll() is None:
                        proc.kill()
            time.sleep(POLL_S / 2)
        for proc in running:
            proc.wait()


def _wait_listening(host: str, port: int, sup: Supervisor) -> bool:
    """True once something accepts connections on the port; False if every worker exits or we are stopped first."""
    target = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not sup.signals:
        if not any(s.alive for s in sup.slots):
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
    metrics_dir = tempfile.mkdtemp(prefix="callcenter-metrics-")  # fresh: old runs' samples must not add up
    env = {**os.environ, "DATABASE_URL": dsn, MULTIPROC_ENV: metrics_dir}
    cmd = [sys.executable, "-m", "callcenter", "serve", "--host", host, "--port", str(port)]
    cmd += ["--workers", "1", "--reuse-port", "--no-seed"]
    if settings.demo:  # decided here: workers see the embedded server only as a DATABASE_URL
        cmd.append("--demo" if settings.demo_mode else "--demo-automatic")  # automatic keeps its limits
    if settings.data_dir:
        cmd += ["--data-dir", str(settings.data_dir)]
    sup = Supervisor(cmd, env, workers)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        sup.signals.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    gave_up = False
    try:
        for slot in sup.slots:
            sup.start(slot)
        if _wait_listening(host, port, sup):  # say "serving" only once a worker accepts connections
            url = f"http://{host}:{port}/"
            if settings.log_json:  # machines read the event (stdout stays empty); people read the line below
                log.info("serve.listening", url=url, workers=workers, hint="SIGTERM or Ctrl-C to stop")
            else:
                print(f"callcenter is serving on {url}  ({workers} workers; Ctrl-C to stop)", flush=True)
        while not sup.signals:
            if not sup.tend():
                gave_up = True
                if sup.refused:
                    why = "a worker refused its configuration (see its line above); fix it and start again."
                else:
                    log.error("workers.crash_loop", exits_in_a_row=GIVE_UP_AFTER)
                    why = "every worker keeps exiting at start; see their output above."
                print(f"callcenter: {why}", file=sys.stderr, flush=True)
                break
            time.sleep(POLL_S)
        if sup.signals:
            log.info("serve.stopping", signal=signal.Signals(sup.signals[0]).name, drain_s=settings.drain_s)
    finally:
        sup.stop(grace_s=settings.drain_s + 5)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutil.rmtree(metrics_dir, ignore_errors=True)
    log.info("serve.stopped")
    return (REFUSED_EXIT if sup.refused else 1) if gave_up else 0

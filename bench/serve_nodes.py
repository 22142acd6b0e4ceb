"""Start real `callcenter serve` processes on one database, for cross-node tests and the desk bench."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

_SERVING = re.compile(r"serving on (http://\S+?)/?\s")


@dataclass
class Node:
    process: asyncio.subprocess.Process
    url: str

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def start_node(
    dsn: str, data_dir: Path, secret: str, *, wait_s: float = 180, extra_env: dict[str, str] | None = None
) -> Node:
    """A `callcenter serve --port 0` on `dsn`; returns once it prints the address it serves on."""
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "CALLCENTER_SECRET": secret,
        "CALLCENTER_BACKEND": "local",
        "CALLCENTER_DATA_DIR": str(data_dir),
        "CALLCENTER_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    env.pop("ANTHROPIC_API_KEY", None)
    env.pop("OPENAI_API_KEY", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callcenter",
        "serve",
        "--port",
        "0",
        "--no-seed",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen: list[str] = []

    async def address() -> str:
        assert proc.stdout is not None
        while True:
            line = (await proc.stdout.readline()).decode(errors="replace")
            if not line:
                raise RuntimeError("callcenter serve exited:\n" + "".join(seen[-30:]))
            seen.append(line)
            m = _SERVING.search(line)
            if m:
                return m.group(1)

    try:
        url = await asyncio.wait_for(address(), wait_s)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    asyncio.get_running_loop().create_task(_drain(proc))
    return Node(proc, url.rstrip("/"))


async def _drain(proc: asyncio.subprocess.Process) -> None:
    """Keep reading the node's output so a full pipe never blocks it."""
    assert proc.stdout is not None
    while await proc.stdout.readline():
        pass

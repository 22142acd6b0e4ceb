"""Graceful shutdown: the one drain every channel shares (chat, desk, voice relay).

On SIGTERM or Ctrl-C the server stops accepting connections, lets the turns already running
finish (at most `CALLCENTER_DRAIN_S` seconds), closes every open websocket with a proper close
frame (1012 "service restart": clients reconnect, and the widget does), then runs the
registered closers (providers, queues) before the process exits 0. A client never sees 1006
and no stored turn is cut in half while there is time to finish it.

A channel uses it in three lines::

    drain = request.app[DRAIN_KEY]
    with drain.track(ws, farewell=...):          # closed with 1012 at shutdown
        async for msg in ws:
            if drain.stopping: ...                 # refuse new work ("unavailable")
            async with drain.busy(): ...           # an in-flight turn the drain waits for
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Protocol

import structlog
from aiohttp import WSCloseCode, web

log = structlog.get_logger(__name__)

Closer = Callable[[], Awaitable[None]]

RESTART_MESSAGE = b"service restarting; reconnect in a moment"


class ClosableSocket(Protocol):
    @property
    def closed(self) -> bool: ...

    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


class Drain:
    """Counts in-flight work and open sockets so shutdown can wait for the one and close the other."""

    def __init__(self, drain_s: float, *, close_code: int = WSCloseCode.SERVICE_RESTART) -> None:
        self.drain_s = drain_s
        self.close_code = int(close_code)
        self.stopping = False
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._sockets: dict[ClosableSocket, Closer | None] = {}
        self._closers: list[Closer] = []
        self._drained = False

    @property
    def in_flight(self) -> int:
        return self._busy

    @property
    def open_sockets(self) -> int:
        return len(self._sockets)

    @contextlib.asynccontextmanager
    async def busy(self) -> AsyncIterator[None]:
        """Mark a unit of work (a turn) the drain must let finish."""
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    @contextlib.contextmanager
    def track(self, ws: ClosableSocket, *, farewell: Closer | None = None) -> Iterator[None]:
        """Keep `ws` on the list closed at shutdown; `farewell` runs just before its close frame
        (a voice relay sends its `end` message there)."""
        self._sockets[ws] = farewell
        try:
            yield
        finally:
            self._sockets.pop(ws, None)

    def on_close(self, closer: Closer) -> None:
        """Run `closer` after the sockets are closed (close providers, flush queues). Last added runs first."""
        self._closers.append(closer)

    async def drain(self) -> None:
        """Stop taking work, wait for in-flight turns (bounded), close sockets, run closers. Idempotent."""
        if self._drained:
            return
        self._drained = True
        self.stopping = True
        started = time.monotonic()
        log.info("shutdown.draining", in_flight=self._busy, sockets=len(self._sockets), drain_s=self.drain_s)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=self.drain_s)
        except TimeoutError:
            log.warning("shutdown.drain_timeout", in_flight=self._busy, drain_s=self.drain_s)
        for ws, farewell in list(self._sockets.items()):
            await self._close(ws, farewell)
        for closer in reversed(self._closers):
            try:
                await closer()
            except Exception as exc:  # one failing closer must not keep the others from running
                log.warning("shutdown.closer_failed", error=str(exc))
        log.info("shutdown.drained", seconds=round(time.monotonic() - started, 3))

    async def _close(self, ws: ClosableSocket, farewell: Closer | None) -> None:
        if ws.closed:
            return
        try:
            if farewell is not None:
                await asyncio.wait_for(farewell(), timeout=2.0)
            await asyncio.wait_for(ws.close(code=self.close_code, message=RESTART_MESSAGE), timeout=2.0)
        except (TimeoutError, ConnectionError, RuntimeError) as exc:
            log.warning("shutdown.socket_close_failed", error=str(exc))


DRAIN_KEY: web.AppKey[Drain] = web.AppKey("drain", Drain)


def install_drain(app: web.Application, drain_s: float) -> Drain:
    """Attach a Drain to `app`; aiohttp runs it on shutdown, after the listening sockets close."""
    drain = Drain(drain_s)
    app[DRAIN_KEY] = drain

    async def on_shutdown(_: web.Application) -> None:
        await drain.drain()

    app.on_shutdown.append(on_shutdown)
    return drain

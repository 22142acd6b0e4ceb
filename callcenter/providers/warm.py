"""A warm connection to each provider: a turn's model request should not wait for a TCP and TLS handshake.

The SDKs' HTTP clients close a connection that has been idle for 5 s (httpx's keep-alive
expiry, which both SDKs keep). A customer takes longer than that to type or say the next
message, so on a quiet node nearly every turn's request opened a new connection before it
could leave: TCP and TLS, one to three round trips to the provider (50–150 ms to a real API;
20–40 ms even on loopback to the fake provider on a loaded box, measured in bench/streaming_bench.py).

The orchestrator warms the backend's providers as a turn begins, so the handshake overlaps the
work the model request waits for anyway (storing the message, routing, planning): a provider
idle past the keep-alive expiry opens a connection with a free request (its model list), and
the turn's request, when it is ready, waits for that connection rather than opening a second one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

KEEPALIVE_EXPIRY_S = 5.0
"""How long the SDKs' HTTP client keeps an idle connection (httpx's default)."""
READY_WAIT_S = 0.5
"""At most this long a request waits for a warming connection before opening its own."""


class Warmer:
    """One provider client's connection: warmed when it may have closed, waited for when warming."""

    def __init__(
        self,
        open_connection: Callable[[], Awaitable[object]],
        *,
        idle_s: float = KEEPALIVE_EXPIRY_S - 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open = open_connection
        self._idle_s = idle_s
        self._clock = clock
        self._last: float | None = None
        self._warming: asyncio.Task[None] | None = None

    def used(self) -> None:
        """A request went over the connection: it stays open for the keep-alive expiry."""
        self._last = self._clock()

    def warm(self) -> None:
        """Open a connection in the background unless one is open (or opening)."""
        if self._warming is not None and not self._warming.done():
            return
        if self._last is not None and self._clock() - self._last < self._idle_s:
            return
        self.used()
        self._warming = asyncio.get_running_loop().create_task(self._run())

    async def ready(self) -> None:
        """Before a request: let a connection being opened finish, so the request reuses it."""
        warming = self._warming
        if warming is not None and not warming.done():
            with contextlib.suppress(TimeoutError):  # a slow handshake: the request opens its own connection
                await asyncio.wait_for(asyncio.shield(warming), READY_WAIT_S)
        self.used()

    async def _run(self) -> None:
        try:
            await self._open()
        except Exception as exc:  # a warm-up is only a hint: the request itself reports failures
            log.debug("provider.warm_failed", error=str(exc)[:200])
        self.used()

    async def close(self) -> None:
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # closing: its outcome no longer matters
                await self._warming

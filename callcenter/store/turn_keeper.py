"""One node's share of keeping turns alive: session order, leases, backpressure, the sweeper.

A pending turn is leased to the node running it (`turns.owner`, `turns.lease_until`). This
node renews the leases of the turns it runs in one statement per heartbeat; a node that dies
stops renewing, and within one lease its turns are claimed by whichever node next touches the
session or by a sweeper (`FOR UPDATE SKIP LOCKED`, so every node can sweep at once).

Inside a process, turns of one session also queue on an asyncio lock, so a second tab on the
same node waits without polling the database; across nodes the database decides (`busy`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import structlog

from callcenter.settings import Settings
from callcenter.store.conversations import ConversationStore

log = structlog.get_logger(__name__)


class SessionBusy(Exception):
    """A turn of this session is running (here or on another node), or this node is full."""

    def __init__(self, retry_after_s: float, reason: str = "session") -> None:
        super().__init__(f"busy ({reason}); retry after {retry_after_s:.1f}s")
        self.retry_after_s = retry_after_s
        self.reason = reason


class TurnKeeper:
    def __init__(self, store: ConversationStore, settings: Settings, node_id: str | None = None) -> None:
        self.store = store
        self.settings = settings
        self.node_id = node_id or f"node-{uuid.uuid4().hex[:12]}"
        self.running: set[int] = set()
        self.active = 0  # turns admitted on this node: running or waiting for their session
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def saturated(self) -> bool:
        """True past `max_active_turns`: answer `busy` and report not ready."""
        return self.active >= self.settings.max_active_turns

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Count a turn against this node's bound, or refuse it with `busy`."""
        if self.saturated:
            raise SessionBusy(1.0, reason="node")
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1

    @asynccontextmanager
    async def session(self, session_id: str, wait_until: float) -> AsyncIterator[None]:
        """Hold this process's lock on one session, waiting no later than `wait_until` (monotonic)."""
        entry = self._locks.get(session_id)
        if entry is None:
            entry = self._locks[session_id] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            if lock.locked():
                remaining = wait_until - time.monotonic()
                if remaining <= 0:
                    raise SessionBusy(1.0)
                try:
                    async with asyncio.timeout(remaining):
                        await lock.acquire()
                except TimeoutError:
                    raise SessionBusy(1.0) from None
            else:
                await lock.acquire()
            try:
                yield
            finally:
                lock.release()
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._locks.pop(session_id, None)

    @asynccontextmanager
    async def leased(self, turn_id: int) -> AsyncIterator[None]:
        """Mark a turn as running here, so the heartbeat keeps its lease."""
        self.running.add(turn_id)
        try:
            yield
        finally:
            self.running.discard(turn_id)

    # --- background loops -------------------------------------------------------------
    def start(self, finish_pending: Callable[[str], Awaitable[None]]) -> None:
        """Start the heartbeat and the sweeper (`finish_pending(session_id)` finishes a claimed turn)."""
        self._tasks = [
            asyncio.create_task(self._heartbeat(), name="turn-heartbeat"),
            asyncio.create_task(self._sweeper(finish_pending), name="turn-sweeper"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def _heartbeat(self) -> None:
        interval = self.settings.turn_lease_s / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self.store.renew_leases(
                    sorted(self.running), owner=self.node_id, lease_s=self.settings.turn_lease_s
                )
            except Exception as exc:  # noqa: BLE001 - the database may be restarting; try next beat
                log.warning("turns.heartbeat_failed", error=str(exc))

    async def _sweeper(self, finish_pending: Callable[[str], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval_s)
            if self.saturated:
                continue
            try:
                sessions = await self.store.claim_stale_turns(
                    owner=self.node_id, lease_s=self.settings.turn_lease_s, limit=self.settings.sweep_batch
                )
            except Exception as exc:  # noqa: BLE001
                log.warning("turns.sweep_failed", error=str(exc))
                continue
            if sessions:
                log.info("turns.recovering", count=len(sessions))
                results = await asyncio.gather(*(finish_pending(s) for s in sessions), return_exceptions=True)
                for session_id, result in zip(sessions, results, strict=True):
                    if isinstance(result, BaseException):
                        log.warning("turns.recover_failed", session_id=session_id, error=str(result))

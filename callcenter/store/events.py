"""Desk events between server processes: PostgreSQL LISTEN/NOTIFY, ids only, rows are the truth.

Triggers (migration 0004) NOTIFY `callcenter_events` when a message is stored, a human
handoff changes or a session's holder changes. The payload carries only ids; a receiver reads
the rows it needs, so a notification never carries stale or secret data and nothing about a
conversation lives in one process's memory.

Each process keeps ONE listening connection (pooled connections never LISTEN, see
store/db.py) and fans events out to in-process subscribers by topic: `queue`, or
`session:<uuid>`. Every subscriber has its own ordered queue and worker, so one slow
websocket never delays another. When the listening connection is lost (database restart,
network), the bus reconnects with backoff and then sends every subscriber a `resync` event:
NOTIFY is not durable, so subscribers re-read what they may have missed (the queue; messages
after the last id they delivered).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger(__name__)

CHANNEL = "callcenter_events"
QUEUE_TOPIC = "queue"


def session_topic(session_id: str) -> str:
    return f"session:{session_id}"


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # message | queue | hold | resync
    session_id: str | None = None
    message_id: int | None = None
    handoff_id: int | None = None
    role: str | None = None  # a message's role (migration 0013); None from an older trigger

    @property
    def topics(self) -> tuple[str, ...]:
        session = (session_topic(self.session_id),) if self.session_id else ()
        return (QUEUE_TOPIC, *session) if self.kind in ("queue", "hold") else session


RESYNC = Event("resync")


def parse_payload(payload: str) -> Event | None:
    """An Event from a NOTIFY payload, or None for anything malformed (logged, never raised)."""
    try:
        data = json.loads(payload)
        kind = str(data["k"])
        sid = data.get("s")
        mid, hid, role = data.get("m"), data.get("h"), data.get("r")
        return Event(
            kind,
            str(sid) if sid else None,
            int(mid) if mid is not None else None,
            int(hid) if hid is not None else None,
            str(role) if role is not None else None,
        )
    except (ValueError, KeyError, TypeError):
        log.warning("events.bad_payload", payload=payload[:200])
        return None


Handler = Callable[[Event], Awaitable[None]]


class Subscription:
    """One subscriber: its topics, an ordered bounded queue, and the task that runs its handler.

    When the queue overflows (a stuck consumer) the backlog is replaced by one `resync`
    event: the subscriber re-reads state instead of the bus holding unbounded memory.
    """

    def __init__(self, bus: EventBus, handler: Handler, topics: Iterable[str], maxsize: int) -> None:
        self.bus = bus
        self.handler = handler
        self.topics: set[str] = set()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._task = asyncio.get_running_loop().create_task(self._run())
        for topic in topics:
            self.add(topic)

    def add(self, topic: str) -> None:
        self.topics.add(topic)
        self.bus._index.setdefault(topic, set()).add(self)

    def remove(self, topic: str) -> None:
        self.topics.discard(topic)
        subs = self.bus._index.get(topic)
        if subs is not None:
            subs.discard(self)
            if not subs:
                del self.bus._index[topic]

    def deliver(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(RESYNC)
            log.warning("events.subscriber_overflow", topics=sorted(self.topics)[:3])

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self.handler(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failing subscriber must not stop the others
                log.exception("events.handler_failed", kind=event.kind, error=str(exc))

    async def close(self) -> None:
        for topic in list(self.topics):
            self.remove(topic)
        self.bus._subs.discard(self)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class EventBus:
    """This process's listening connection and its subscribers."""

    def __init__(
        self,
        dsn: str,
        *,
        check_interval_s: float = 5.0,
        reconnect_delays: tuple[float, ...] = (0.1, 0.3, 1.0, 2.0, 5.0),
        subscriber_queue: int = 1000,
    ) -> None:
        self.dsn = dsn
        self.check_interval_s = check_interval_s
        self.reconnect_delays = reconnect_delays
        self.subscriber_queue = subscriber_queue
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._index: dict[str, set[Subscription]] = {}
        self._subs: set[Subscription] = set()
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def start(self) -> None:
        """Listen; when the database is down, start anyway and keep reconnecting (subscribers get `resync`)."""
        try:
            await self._connect()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.warning("events.start_unconnected", error=str(exc))
            self._lost.set()
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def subscribe(self, handler: Handler, topics: Iterable[str] = ()) -> Subscription:
        sub = Subscription(self, handler, topics, self.subscriber_queue)
        self._subs.add(sub)
        return sub

    def publish_local(self, event: Event) -> None:
        """Deliver an event to this process's subscribers as if it had been notified."""
        targets: set[Subscription] = set()
        for topic in event.topics:
            targets |= self._index.get(topic, set())
        for sub in targets:
            sub.deliver(event)

    def _on_notify(self, conn: Any, pid: int, channel: str, payload: Any) -> None:
        event = parse_payload(str(payload))
        if event is not None:
            self.publish_local(event)

    def _on_terminated(self, conn: Any) -> None:
        self._lost.set()

    async def _connect(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self.dsn)
        try:
            await conn.add_listener(CHANNEL, self._on_notify)
        except BaseException:
            await conn.close()
            raise
        conn.add_termination_listener(self._on_terminated)
        self._conn = conn
        self._lost.clear()

    async def _healthy(self) -> bool:
        if not self.connected:
            return False
        assert self._conn is not None
        try:
            await asyncio.wait_for(self._conn.fetchval("SELECT 1"), timeout=max(1.0, self.check_interval_s))
            return True
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError):
            return False

    async def _watch(self) -> None:
        """Notice a lost connection (at once when asyncpg sees it, else by a periodic ping) and reconnect."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=self.check_interval_s)
            if not self._lost.is_set() and await self._healthy():
                continue
            await self._reconnect()

    async def _reconnect(self) -> None:
        old, self._conn = self._conn, None
        if old is not None:
            with contextlib.suppress(Exception):
                old.terminate()
        attempt = 0
        while True:
            try:
                await self._connect()
                break
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                delay = self.reconnect_delays[min(attempt, len(self.reconnect_delays) - 1)]
                log.warning("events.reconnect_failed", attempt=attempt + 1, error=str(exc), retry_in_s=delay)
                attempt += 1
                await asyncio.sleep(delay)
        self.reconnects += 1
        log.info("events.reconnected", attempts=attempt + 1, subscribers=len(self._subs))
        for sub in list(self._subs):
            sub.deliver(RESYNC)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sub in list(self._subs):
            await sub.close()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close(timeout=2)
            self._conn = None

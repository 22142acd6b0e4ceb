"""Announcing stored messages to every node's subscribers, after the commit (migration 0015 says why).

Kept apart from the conversation repository: the store writes rows, this module only tells the
other sockets (chat, desk) that a row exists, and losing a notice never loses a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import structlog

from callcenter.store.db import RetryingPool

log = structlog.get_logger(__name__)


def message_payload(session_id: str, message_id: int, role: str) -> str:
    """The `callcenter_events` payload the messages trigger sends (migrations 0004, 0013): ids and role."""
    return json.dumps({"k": "message", "s": session_id, "m": message_id, "r": role}, separators=(",", ":"))


SOON_S = 0.5
"""How long a notification queued `soon` may wait for another to share its statement."""


class Notifier:
    """Announces stored customer and bot messages after their commit (migration 0015 says why).

    `add` never waits: payloads queue up and one task sends them, all of those queued since its
    last send in one `pg_notify` statement (no write, so no WAL flush while PostgreSQL's global
    notify lock is held). A notification is a hint, never the record: one lost to a crash between
    commit and send leaves the message stored, and subscribers re-read on `resync`.
    """

    def __init__(self, db: RetryingPool) -> None:
        self.db = db
        self.pending: list[str] = []
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.closing = False

    def add(self, session_id: str, message_id: int | None, role: str, *, soon: bool = False) -> None:
        """Queue a message's notification; `soon`: it may wait up to `SOON_S` for the next one's
        statement (a turn's customer message goes out with its reply: one statement per turn)."""
        if message_id is None:
            return
        self.pending.append(message_payload(session_id, message_id, role))
        if not soon:
            self.wake.set()
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=SOON_S if self.pending else None)
            self.wake.clear()
            batch, self.pending = self.pending, []
            if batch:
                await self._send(batch)
            if self.closing and not self.pending:
                return

    async def _send(self, batch: list[str]) -> None:
        try:
            await self.db.execute(
                "SELECT pg_notify('callcenter_events', p)"
                " FROM unnest($1::text[]) WITH ORDINALITY AS n(p, i) ORDER BY i",
                batch,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is away: the messages are stored, only the hint is lost
            log.warning("events.notify_failed", notifications=len(batch), error=type(exc).__name__)

    async def close(self) -> None:
        """Send what is queued (within 2 s), then stop."""
        task, self.task = self.task, None
        if task is None or task.done():
            return
        self.closing = True
        self.wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=2.0)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

"""What a person at the desk writes reaches the customer, on whatever process holds their socket.

A customer channel (the chat websocket, a live phone call) calls `follow_session` once it
knows its session; from then on every message an operator stores in that session arrives
through the event bus (LISTEN/NOTIFY, ids only) and is handed to the channel's callback,
in order and exactly once per socket. After the bus reconnects, messages stored meanwhile
are read back from the database, so a lost notification loses nothing.

The bus itself belongs to the process: `start_event_bus` / `stop_event_bus` run from the
web app's startup and cleanup (callcenter/channels/desk_http.py), reference-counted because
tests serve several apps from one runtime.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from callcenter.runtime import Runtime
from callcenter.store.desk import DeskStore, StoredMessage
from callcenter.store.events import RESYNC, Event, EventBus, Subscription, session_topic

log = structlog.get_logger(__name__)

_BUS = "event_bus"
_BUS_USERS = "event_bus_users"

OnAgentMessage = Callable[[StoredMessage], Awaitable[None]]


def event_bus(runtime: Runtime) -> EventBus | None:
    bus = runtime.extras.get(_BUS)
    return bus if isinstance(bus, EventBus) else None


async def start_event_bus(runtime: Runtime) -> EventBus:
    bus = event_bus(runtime)
    if bus is None:
        from callcenter.store.db import resolve_dsn

        dsn = runtime.extras.get("dsn") or resolve_dsn(runtime.settings)
        bus = EventBus(dsn, check_interval_s=runtime.settings.desk_listen_check_s)
        await bus.start()
        runtime.extras[_BUS] = bus
    runtime.extras[_BUS_USERS] = runtime.extras.get(_BUS_USERS, 0) + 1
    return bus


async def stop_event_bus(runtime: Runtime) -> None:
    users = runtime.extras.get(_BUS_USERS, 0) - 1
    runtime.extras[_BUS_USERS] = max(0, users)
    bus = event_bus(runtime)
    if users <= 0 and bus is not None:
        del runtime.extras[_BUS]
        await bus.close()


def agent_frame(message: StoredMessage) -> dict[str, Any]:
    """The chat frame a customer receives for an operator's message (docs/protocol.md)."""
    return {
        "type": "message",
        "role": "agent",
        "agent": "human",
        "operator": message.operator,
        "text": message.text,
        "session_id": message.session_id,
        "handoff": False,
        "client_id": None,
    }


class SessionFeed:
    """Operator messages of one session, delivered to one customer channel in order, once each."""

    def __init__(self, store: DeskStore, session_id: str, deliver: OnAgentMessage, after_id: int) -> None:
        self.store = store
        self.session_id = session_id
        self.deliver = deliver
        self.last_id = after_id
        self._lock = asyncio.Lock()
        self.subscription: Subscription | None = None

    async def on_event(self, event: Event) -> None:
        if event.kind == "message" and event.role not in (None, "agent"):
            return  # the customer's own message or the bot's reply: nothing to deliver, nothing to read
        async with self._lock:
            if event.kind == "message" and event.message_id is not None:
                if event.message_id <= self.last_id:
                    return
                message = await self.store.message(event.message_id)
                messages = [message] if message is not None else []
            elif event.kind == "resync":
                messages = await self.store.messages_after(self.session_id, self.last_id)
            else:
                return
            for message in messages:
                if message.id <= self.last_id:
                    continue
                self.last_id = message.id
                if message.role == "agent":
                    await self.deliver(message)

    async def close(self) -> None:
        if self.subscription is not None:
            await self.subscription.close()
            self.subscription = None


async def follow_session(
    runtime: Runtime,
    session_id: str,
    deliver: OnAgentMessage,
    *,
    after_id: int | None = None,
    replacing: SessionFeed | None = None,
) -> SessionFeed | None:
    """Deliver operator messages of `session_id` stored after message `after_id` (default: from now on).

    Pass the id of the last message the customer was shown (the resumed history) so nothing
    written in between is lost. None when this process has no event bus.
    """
    if replacing is not None:
        await replacing.close()
    bus = event_bus(runtime)
    if bus is None:
        return None
    store = DeskStore(runtime.pool)
    if after_id is None:
        after_id = await store.last_message_id(session_id)
    feed = SessionFeed(store, session_id, deliver, after_id)
    feed.subscription = bus.subscribe(feed.on_event, [session_topic(session_id)])
    feed.subscription.deliver(RESYNC)  # catch up on anything stored before the subscription began
    return feed

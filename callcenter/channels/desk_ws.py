"""The agent desk websocket at /v1/desk: operators take, answer, release and close handoffs.

Transport for the protocol in docs/desk.md. As on /v1/chat, every problem becomes an error
frame and the socket stays open. Nothing here is the source of truth: who holds a session
is a row (callcenter/store/desk.py), and everything operators must see (the queue, the
customer's messages) arrives as LISTEN/NOTIFY events that this process turns into frames,
so operators and customers may be connected to different server processes.

Admission is the chat's (callcenter.channels.chat_guard): at most CALLCENTER_MAX_CONNECTIONS_PER_ADDRESS
desk sockets per address (429 at the handshake) and a socket with no good hello within
CALLCENTER_HELLO_TIMEOUT_S gets `hello_timeout` and is closed (4408): an unauthenticated socket
holds nothing for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import asyncpg
import structlog
from aiohttp import WSMsgType, web

from callcenter.channels.chat_guard import chat_guard, close_for_hello_timeout, receive_before, too_many_connections
from callcenter.channels.desk_protocol import (
    CloseFrame,
    HelloFrame,
    PingFrame,
    ProtocolError,
    QueueRequestFrame,
    ReleaseFrame,
    SendFrame,
    TakeFrame,
    UnwatchFrame,
    WatchFrame,
    error_frame,
    parse_desk_frame,
)
from callcenter.channels.live_delivery import event_bus
from callcenter.channels.ws_limits import BadFrames, open_websocket
from callcenter.channels.ws_send import Outbox
from callcenter.orchestrator import InvalidMessage
from callcenter.redaction import mask_card_numbers
from callcenter.runtime import RUNTIME_KEY, Runtime
from callcenter.shutdown import DRAIN_KEY, Drain
from callcenter.store.db import CONNECTION_LOST
from callcenter.store.desk import DeskError, DeskStore, StoredMessage
from callcenter.store.events import QUEUE_TOPIC, Event, EventBus, Subscription, session_topic
from callcenter.store.operators import Operator, OperatorStore
from callcenter.web.auth import InvalidToken, token_expiry
from callcenter.web.operator_auth import verify_operator_token

log = structlog.get_logger(__name__)

TOKEN_EXPIRED_CLOSE = 4401  # the hello token expired (docs/desk.md); 4408 is the hello timeout


class TokenBucket:
    """`rate` frames per second with bursts of `burst`: the named desk_rate_* settings."""

    def __init__(self, rate: float, burst: int, clock: Any = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.tokens, self.at = float(burst), clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class DeskHub:
    """This process's desks: one queue subscription, re-read once per burst of changes, sent to all."""

    def __init__(self, runtime: Runtime, bus: EventBus) -> None:
        self.runtime = runtime
        self.bus = bus
        self.store = DeskStore(runtime.pool)
        self.operators = OperatorStore(runtime.pool)
        self.desks: set[DeskConnection] = set()
        self._dirty = False
        self._refresher: asyncio.Task[None] | None = None
        self._sub = bus.subscribe(self._on_queue_event, [QUEUE_TOPIC])

    async def queue_json(self) -> list[dict[str, Any]]:
        return [e.as_json() for e in await self.store.queue(self.runtime.settings.desk_queue_limit)]

    async def _on_queue_event(self, event: Event) -> None:
        if event.kind not in ("queue", "hold", "resync"):
            return
        self._dirty = True
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        while self._dirty:
            self._dirty = False
            if not self.desks:
                return
            try:
                queue = await self.queue_json()
            except CONNECTION_LOST as exc:
                log.warning("desk.queue_unavailable", error=str(exc))
                return  # the bus's resync after reconnecting refreshes again
            frame = {"type": "queue", "queue": queue}
            await asyncio.gather(*(d.send(frame) for d in list(self.desks) if d.operator is not None))

    async def close(self) -> None:
        await self._sub.close()
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher


class DeskConnection:
    """One operator's socket: who they are, which sessions they hold or watch, what they were sent."""

    def __init__(self, ws: web.WebSocketResponse, hub: DeskHub) -> None:
        self.ws = ws
        self.hub = hub
        self.store = hub.store
        settings = hub.runtime.settings
        self.bucket = TokenBucket(settings.desk_rate_per_s, settings.desk_rate_burst)
        self.operator: Operator | None = None
        self.token_until: int | None = None  # the hello token's expiry: the socket stops acting at it (R4)
        self.held: set[str] = set()
        self.watched: set[str] = set()
        self.last_id: dict[str, int] = {}
        self._send_lock = asyncio.Lock()
        self._event_lock = asyncio.Lock()
        self.sub: Subscription = hub.bus.subscribe(self.on_event)
        self.bad_frames = BadFrames(ws, settings)
        self.outbox = Outbox(ws, "desk")

    # --- output ----------------------------------------------------------------------------
    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.outbox.send(frame)

    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.send({**error_frame(code, message), **extra})

    # --- session events from the bus -------------------------------------------------------
    def _follow(self, session_id: str, after_id: int) -> None:
        self.last_id[session_id] = max(after_id, self.last_id.get(session_id, 0))
        self.sub.add(session_topic(session_id))

    def _unfollow(self, session_id: str) -> None:
        if session_id not in self.held and session_id not in self.watched:
            self.sub.remove(session_topic(session_id))
            self.last_id.pop(session_id, None)

    async def on_event(self, event: Event) -> None:
        async with self._event_lock:
            if event.kind == "resync":
                await self._resync()
                return
            sid = event.session_id
            if sid is None or (sid not in self.held and sid not in self.watched):
                return
            if event.kind == "message" and event.message_id is not None:
                if event.message_id <= self.last_id.get(sid, 0):
                    return
                message = await self.store.message(event.message_id)
                if message is not None:
                    await self._deliver(message)
            elif event.kind == "hold":
                await self._check_hold(sid)

    async def _deliver(self, message: StoredMessage) -> None:
        sid = message.session_id
        if message.id <= self.last_id.get(sid, 0):
            return
        self.last_id[sid] = message.id
        if sid in self.held and message.role == "user":
            await self.send(
                {
                    "type": "customer_message",
                    "session_id": sid,
                    "text": message.text,
                    "message_id": message.id,
                    "created_at": message.created_at.isoformat(),
                }
            )
        if sid in self.watched:
            await self.send({"type": "event", "session_id": sid, "event": "message", "message": message.as_json()})

    async def _check_hold(self, sid: str) -> None:
        assert self.operator is not None
        holder = await self.store.holder(sid)
        if sid in self.held and holder != self.operator.id:
            self.held.discard(sid)  # closed by a supervisor, or requeued when this operator was disabled
            self._unfollow(sid)
            await self.send({"type": "released", "session_id": sid, "by_other": True})
        if sid in self.watched:
            name = None
            if holder is not None:
                op = await self.hub.operators.by_id(holder)
                name = op.name if op else None
            await self.send({"type": "event", "session_id": sid, "event": "hold", "held_by": name})

    async def _resync(self) -> None:
        """After the bus reconnected: what changed while no notification could arrive."""
        if self.operator is None:
            return
        for sid in list(self.held):
            await self._check_hold(sid)
        for sid in list(self.held | self.watched):
            for message in await self.store.messages_after(sid, self.last_id.get(sid, 0)):
                await self._deliver(message)

    # --- frames from the operator ----------------------------------------------------------
    async def on_hello(self, frame: HelloFrame) -> None:
        settings = self.hub.runtime.settings
        try:
            operator_id = verify_operator_token(frame.token, settings.secret.get_secret_value())
        except InvalidToken as exc:
            await self.error(exc.code, str(exc))
            return
        operator = await self.hub.operators.by_id(operator_id)
        if operator is None or operator.disabled:
            await self.error("invalid_token", "This operator does not exist or is disabled; ask an admin.")
            return
        async with self._event_lock:
            self.operator, self.token_until = operator, token_expiry(frame.token)
            self.hub.desks.add(self)
            held = await self.store.held_sessions(operator.id)
            for sid in held:
                if sid not in self.held:
                    self.held.add(sid)
                    self._follow(sid, await self.store.last_message_id(sid))
        await self.send(
            {
                "type": "desk",
                "operator": {"name": operator.name, "role": operator.role},
                "queue": await self.hub.queue_json(),
                "holding": sorted(self.held),
            }
        )
        log.info("desk.hello", operator=operator.name, role=operator.role, holding=len(self.held))

    def expires_at(self) -> float | None:
        """The event-loop time the hello token expires at (the serving loop waits for frames until then)."""
        if self.token_until is None:
            return None
        return asyncio.get_running_loop().time() + max(0.0, self.token_until - time.time())

    async def expire(self) -> None:
        """The hello token's time is up (red team R4: an expired 12-hour token kept taking handoffs on an
        open socket): say so and close, so nothing more is done or pushed on it."""
        self.hub.desks.discard(self)
        log.info("desk.token_expired", operator=self.operator.name if self.operator else None)
        await self.error(
            "expired_token",
            "Your operator token has expired; reconnect with a new one (`callcenter operator token NAME`).",
        )
        await self.ws.close(code=TOKEN_EXPIRED_CLOSE, message=b"token expired")

    async def _still_allowed(self) -> Operator | None:
        """The operator, re-read: a disabled operator's open socket stops working at once."""
        assert self.operator is not None
        current = await self.hub.operators.by_id(self.operator.id)
        if current is None or current.disabled:
            await self.error("invalid_token", "This operator has been disabled.")
            return None
        self.operator = current
        return current

    async def on_take(self, frame: TakeFrame, operator: Operator) -> None:
        sid = await self.store.take(frame.handoff_id, operator.id)
        async with self._event_lock:
            history = await self.store.transcript(sid)
            self.held.add(sid)
            self._follow(sid, history[-1].id if history else 0)
        log.info("desk.taken", operator=operator.name, handoff_id=frame.handoff_id, session_id=sid)
        await self.send(
            {
                "type": "taken",
                "handoff_id": frame.handoff_id,
                "session_id": sid,
                "history": [m.as_json() for m in history],
            }
        )
        self.sub.deliver(Event("resync"))  # anything the customer said while we read the history

    async def on_send(self, frame: SendFrame, operator: Operator) -> None:
        try:
            text = mask_card_numbers(self.hub.runtime.orchestrator.validate_text(frame.text))
        except InvalidMessage as exc:
            await self.error("empty_message" if not frame.text.strip() else "message_too_long", str(exc))
            return
        message = await self.store.send(frame.session_id, operator.id, text)
        await self.send(
            {
                "type": "sent",
                "session_id": message.session_id,
                "message_id": message.id,
                "text": message.text,
                "client_id": frame.client_id,
                "created_at": message.created_at.isoformat(),
            }
        )

    async def on_release(self, frame: ReleaseFrame, operator: Operator) -> None:
        note = mask_card_numbers(frame.note.strip()) if frame.note and frame.note.strip() else None
        await self.store.release(frame.session_id, operator.id, note)
        async with self._event_lock:
            self.held.discard(frame.session_id)
            self._unfollow(frame.session_id)
        log.info("desk.released", operator=operator.name, session_id=frame.session_id)
        await self.send({"type": "released", "session_id": frame.session_id, "note": note})

    async def on_close(self, frame: CloseFrame, operator: Operator) -> None:
        closed = await self.store.close(
            frame.session_id, operator.id, mask_card_numbers(frame.resolution), supervisor=operator.supervises
        )
        async with self._event_lock:
            self.held.discard(frame.session_id)
            self._unfollow(frame.session_id)
        log.info("desk.closed", operator=operator.name, session_id=frame.session_id, handoffs=closed)
        await self.send({"type": "closed", "session_id": frame.session_id, "handoffs": closed})

    async def on_watch(self, frame: WatchFrame, operator: Operator) -> None:
        if not operator.supervises:
            await self.error("forbidden", "Watching sessions needs the supervisor or admin role.")
            return
        if not await self.store.session_exists(frame.session_id):
            await self.error("unknown_session", "No session has that id.")
            return
        async with self._event_lock:
            history = await self.store.transcript(frame.session_id)
            self.watched.add(frame.session_id)
            self._follow(frame.session_id, history[-1].id if history else 0)
        await self.send({"type": "watching", "session_id": frame.session_id, "history": [m.as_json() for m in history]})
        self.sub.deliver(Event("resync"))

    async def on_unwatch(self, frame: UnwatchFrame) -> None:
        async with self._event_lock:
            self.watched.discard(frame.session_id)
            self._unfollow(frame.session_id)
        await self.send({"type": "unwatched", "session_id": frame.session_id})

    async def handle(self, raw: str | bytes) -> None:
        if not self.bucket.allow():
            await self.error("rate_limited", "Too many frames; wait a moment and send again.")
            return
        try:
            frame = parse_desk_frame(raw, self.hub.runtime.settings.max_frame_bytes)
        except ProtocolError as exc:
            await self.error(exc.code, exc.message)
            await self.bad_frames.refused(self.error)
            return
        if isinstance(frame, PingFrame):
            await self.send({"type": "pong"})
            return
        if isinstance(frame, HelloFrame):
            await self.on_hello(frame)
            return
        if self.operator is None:
            await self.error("hello_required", 'Send {"type":"hello","token":"…"} with an operator token first.')
            return
        if self.token_until is not None and time.time() >= self.token_until:
            await self.expire()
            return
        operator = await self._still_allowed()
        if operator is None:
            return
        try:
            if isinstance(frame, QueueRequestFrame):
                await self.send({"type": "queue", "queue": await self.hub.queue_json()})
            elif isinstance(frame, TakeFrame):
                await self.on_take(frame, operator)
            elif isinstance(frame, SendFrame):
                await self.on_send(frame, operator)
            elif isinstance(frame, ReleaseFrame):
                await self.on_release(frame, operator)
            elif isinstance(frame, CloseFrame):
                await self.on_close(frame, operator)
            elif isinstance(frame, WatchFrame):
                await self.on_watch(frame, operator)
            elif isinstance(frame, UnwatchFrame):
                await self.on_unwatch(frame)
        except DeskError as exc:
            extra: dict[str, Any] = {"handoff_id": frame.handoff_id} if isinstance(frame, TakeFrame) else {}
            if hasattr(frame, "session_id"):
                extra["session_id"] = frame.session_id
            await self.error(exc.code, str(exc), **extra)

    async def close(self) -> None:
        self.hub.desks.discard(self)
        await self.sub.close()


class HubSlot:
    """Holds the process's DeskHub once the app has started (app state is frozen by then)."""

    hub: DeskHub | None = None


DESK_HUB: web.AppKey[HubSlot] = web.AppKey("desk_hub", HubSlot)


async def desk_handler(request: web.Request) -> web.StreamResponse:
    guard = chat_guard(request.app, request.app[RUNTIME_KEY].settings)
    address = guard.address(request)
    if not guard.desk_connections.acquire(address):
        return too_many_connections("Too many open desk sockets from your address; close one and retry.")
    try:
        return await _desk_socket(request)
    finally:
        guard.desk_connections.release(address)


async def _desk_socket(request: web.Request) -> web.WebSocketResponse:
    ws = open_websocket(request.app[RUNTIME_KEY].settings)
    await ws.prepare(request)
    hub = request.app[DESK_HUB].hub
    if hub is None or event_bus(hub.runtime) is None:
        await ws.send_json(error_frame("unavailable", "The desk is not running on this server."))
        await ws.close()
        return ws
    conn = DeskConnection(ws, hub)
    drain = request.app.get(DRAIN_KEY)  # graceful shutdown (callcenter/shutdown.py): closed with 1012
    try:
        with drain.track(ws) if drain is not None else contextlib.nullcontext():
            await _serve(ws, conn, drain)
    finally:
        await conn.close()
    return ws


async def _serve(ws: web.WebSocketResponse, conn: DeskConnection, drain: Drain | None) -> None:
    hello_by = asyncio.get_running_loop().time() + conn.hub.runtime.settings.hello_timeout_s
    while True:
        msg = await receive_before(ws, conn.expires_at() if conn.operator else hello_by)
        if msg is None and conn.operator is not None:
            await conn.expire()
            return
        if msg is None:
            await conn.error("hello_timeout", "No operator hello arrived in time; reconnect and send hello first.")
            await close_for_hello_timeout(ws)
            return
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            return
        if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            if drain is not None and drain.stopping:
                await conn.error("unavailable", "The server is restarting; reconnect in a moment.")
                continue
            try:
                async with drain.busy() if drain is not None else contextlib.AsyncExitStack():
                    await conn.handle(msg.data)
            except asyncio.CancelledError:
                raise
            except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError) as exc:
                log.error("desk.db_unavailable", error=str(exc))
                await conn.error("unavailable", "We could not reach the database just now; send that again.")
            except Exception as exc:  # last line of defence: report, keep the socket
                log.exception("desk.frame_failed", error=str(exc))
                await conn.error("internal_error", "Something went wrong handling that frame; please retry.")
        elif msg.type == WSMsgType.ERROR:
            log.warning("desk.ws_error", error=str(ws.exception()))
            return

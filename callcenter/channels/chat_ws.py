"""The web chat websocket at /v1/chat: transport for the protocol in docs/protocol.md.

Every problem a client can cause becomes an error frame and the connection stays open:
nothing a client sends can crash the handler or lose a stored message.

Abuse limits (callcenter.channels.chat_guard, settings in docs/security.md): a foreign Origin and
too many connections from one address are refused at the handshake; a connection that sends no
hello within CALLCENTER_HELLO_TIMEOUT_S is closed; new sessions per address and messages per
session are rate limited. One turn runs at a time per connection, in a worker task, so pings are
answered while it runs; a few messages may wait behind it, more get `rate_limited`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import structlog
from aiohttp import WSMsgType, web

from callcenter.channels.chat_guard import (
    ChatGuard,
    chat_guard,
    close_for_hello_timeout,
    receive_before,
    too_many_connections,
)
from callcenter.channels.chat_protocol import (
    HelloFrame,
    MessageFrame,
    PingFrame,
    ProtocolError,
    error_frame,
    parse_client_frame,
)
from callcenter.channels.limits import SlidingWindow, retry_after
from callcenter.channels.live_delivery import SessionFeed, agent_frame, follow_session
from callcenter.channels.ws_limits import BadFrames, open_websocket
from callcenter.channels.ws_send import Outbox
from callcenter.handoff import CLIENT_ADDRESS
from callcenter.orchestrator import InvalidMessage, SessionBusy, SessionForbidden, SessionNotFound
from callcenter.runtime import RUNTIME_KEY, Runtime
from callcenter.shutdown import DRAIN_KEY, Drain
from callcenter.store.db import CONNECTION_LOST
from callcenter.telemetry.metrics import ERRORS, RATE_LIMITED, WEBSOCKETS
from callcenter.web.auth import InvalidToken, token_expiry, verify_token

log = structlog.get_logger(__name__)

# What a client is told to wait when its queue is full: about one turn.
QUEUE_FULL_RETRY_S = 1.0


def resume_refused(channel: str, owner: int | None, customer_id: int | None) -> tuple[str, str] | None:
    """(code, message) when a chat may not resume a session the orchestrator would open.

    Red-team F15: a phone call's session id (it travels to Twilio in handoffData) resumed on the
    chat showed the call's transcript and the bot answered inside the closed call record; and a
    signed-in customer resuming an anonymous session was shown as its customer while the session
    stayed anonymous. Only chat sessions resume here, and an anonymous one only without a token.
    """
    if channel != "chat":
        return "session_wrong_channel", "That session is not a web chat; send hello without session_id to start one."
    if owner is None and customer_id is not None:
        return (
            "session_anonymous",
            "That conversation was started without signing in; send hello without session_id to start one signed in.",
        )
    return None


def newest_within(items: list[dict[str, Any]], max_bytes: int) -> list[dict[str, Any]]:
    """The newest items whose JSON fits in max_bytes, oldest first; the newest one always.

    A resumed session's history is bounded by bytes, not only by count: 200 messages of 10,000
    characters would be a 2 MB frame for a 60-byte hello.
    """
    kept: list[dict[str, Any]] = []
    used = 0
    for item in reversed(items):
        used += len(json.dumps(item)) + 2
        if kept and used > max_bytes:
            break
        kept.append(item)
    kept.reverse()
    return kept


class ChatConnection:
    """State of one websocket: who the customer is and which session they are in.

    A new session's row is written with its first message, not at hello, so connections that
    only say hello cost the database nothing.
    """

    def __init__(
        self, ws: web.WebSocketResponse, runtime: Runtime, guard: ChatGuard | None = None, address: str = ""
    ) -> None:
        self.ws = ws
        self.runtime = runtime
        self.guard = guard or ChatGuard(runtime.settings)
        self.address = address
        self.hellos = SlidingWindow(runtime.settings.rate_hellos_per_socket_per_min, 60.0)
        self.customer_id: int | None = None
        self.signed_in_until: int | None = None  # the token's expiry: no turn acts for the customer after it
        self.session_id: str | None = None
        self.feed: SessionFeed | None = None  # what a person at the desk writes in this session
        self.unsaved_session = False  # session_id allocated at hello, row not written yet
        self.turns: asyncio.Queue[tuple[str, int | None, bool, MessageFrame] | None] = asyncio.Queue()
        self.pending = 0  # the turn in flight and those waiting behind it
        self.drain = Drain(runtime.settings.drain_s)  # the app's shared drain replaces this in the handler
        self.worker: asyncio.Task[None] | None = None
        self.bad_frames = BadFrames(ws, runtime.settings)
        self.outbox = Outbox(ws, "chat")  # a client that hung up is a disconnect, never a database alarm

    async def send(self, frame: dict[str, Any]) -> None:
        await self.outbox.send(frame)

    async def error(self, code: str, message: str, **extra: Any) -> None:
        ERRORS.labels("chat", code).inc()
        if code == "rate_limited":
            RATE_LIMITED.labels("chat").inc()
        await self.send({**error_frame(code, message), **extra})

    def hello_refused(self) -> tuple[str, float] | None:
        """(why, seconds to wait) when this hello is over budget: per socket, then per address.

        Every hello counts, resumes included (red-team F20: 60-byte resume frames made the server
        read and send up to 2 MB of history each, 103 MB in 9 s from one address).
        """
        wait = self.hellos.hit("")
        if wait is not None:
            return "Too many hellos on this connection; wait and retry.", wait
        wait = self.guard.sessions.hit(self.address)
        if wait is not None:
            return "Too many new or resumed conversations from your address; wait and retry.", wait
        return None

    async def on_hello(self, frame: HelloFrame) -> None:
        settings = self.runtime.settings
        refused = self.hello_refused()
        if refused is not None:
            await self.error("rate_limited", refused[0], retry_after_s=retry_after(refused[1]))
            return
        customer_id: int | None = None
        until: int | None = None
        if frame.token:
            try:
                customer_id = verify_token(frame.token, settings.secret.get_secret_value())
            except InvalidToken as exc:
                await self.error(exc.code, str(exc))
                return
            until = token_expiry(frame.token)
            if not await self.runtime.store.customer_exists(customer_id):
                await self.error("invalid_token", "Token names a customer that does not exist.")
                return
        orch = self.runtime.orchestrator
        if frame.session_id:
            try:
                session = await orch.open_session(channel="chat", customer_id=customer_id, session_id=frame.session_id)
            except SessionNotFound:
                await self.error("session_not_found", "No such session; send hello without session_id to start one.")
                return
            except SessionForbidden:
                await self.error("session_forbidden", "That session belongs to another customer.")
                return
            wrong = resume_refused(session.channel, session.customer_id, customer_id)
            if wrong is not None:
                await self.error(*wrong)
                return
            session_id, unsaved = session.id, False
        else:
            session_id, unsaved = str(uuid.uuid4()), True
        self.customer_id, self.session_id, self.unsaved_session = customer_id, session_id, unsaved
        self.signed_in_until = until
        if frame.session_id:  # a turn left pending by a node that died is answered before the history is sent
            await orch.finish_pending(session_id)
        name = await self.runtime.store.customer_name(customer_id)
        history = await self.runtime.store.history(session_id) if frame.session_id else []
        shown = newest_within(
            [{"role": m.role, "text": m.text, "agent": m.agent} for m in history], settings.resume_history_max_bytes
        )
        await self.send(
            {
                "type": "session",
                "session_id": session_id,
                "customer": name,
                "resumed": bool(frame.session_id),
                "history": shown,
                **({"history_truncated": True} if len(shown) < len(history) else {}),
            }
        )
        self.feed = await follow_session(
            self.runtime,
            session_id,
            lambda m: self.send(agent_frame(m)),
            after_id=history[-1].id if history else 0,
            replacing=self.feed,
        )

    async def on_message(self, frame: MessageFrame) -> None:
        """Admit a message: checked and rate limited here, answered in order by the turn worker."""
        if self.session_id is None:
            await self.error("hello_required", 'Send {"type":"hello"} first to open a session.')
            return
        if self.signed_in_until is not None and time.time() >= self.signed_in_until:
            await self.error(
                "expired_token",
                "Your sign-in has expired; send hello with a new token (and this session_id) to go on.",
                client_id=frame.client_id,
            )
            return
        try:
            self.runtime.orchestrator.validate_text(frame.text)
        except InvalidMessage as exc:
            code = "empty_message" if not frame.text.strip() else "message_too_long"
            await self.error(code, str(exc), client_id=frame.client_id)
            return
        if self.pending > self.runtime.settings.turn_queue_max:
            await self.error(
                "rate_limited",
                "Wait for the reply to your earlier messages before sending more.",
                retry_after_s=QUEUE_FULL_RETRY_S,
                client_id=frame.client_id,
            )
            return
        refused = self.guard.message_refused(self.session_id, self.address, frame.text)
        if refused is not None:
            await self.error(
                "rate_limited", refused[0], retry_after_s=retry_after(refused[1]), client_id=frame.client_id
            )
            return
        unsaved, self.unsaved_session = self.unsaved_session, False
        self.pending += 1
        self.turns.put_nowait((self.session_id, self.customer_id, unsaved, frame))
        if self.worker is None:
            self.worker = asyncio.create_task(self.run_turns())

    async def run_turns(self) -> None:
        """The worker: one turn at a time, in the order the messages came."""
        while (item := await self.turns.get()) is not None:
            session_id, customer_id, unsaved, frame = item
            try:
                async with self.drain.busy():  # a restart lets this turn finish (callcenter/shutdown.py)
                    await self.take_turn(session_id, customer_id, unsaved, frame)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # last line of defence: report (without the message), keep the socket
                log.error("chat.turn_failed", session_id=session_id, error_type=type(exc).__name__, exc_info=True)
                await self.error(
                    "internal_error",
                    "Something went wrong handling that message; please retry.",
                    client_id=frame.client_id,
                )
            finally:
                self.pending -= 1

    async def finish(self) -> None:
        """The socket closed: let the turn in flight and the few queued ones finish (they are stored)."""
        if self.worker is not None:
            await self.turns.put(None)
            await asyncio.shield(self.worker)

    async def take_turn(self, session_id: str, customer_id: int | None, unsaved: bool, frame: MessageFrame) -> None:
        orch = self.runtime.orchestrator

        async def on_delta(piece: str) -> None:
            await self.send({"type": "delta", "text": piece})

        try:
            if unsaved:  # the session's row is written with its first message
                await self.runtime.store.create_session(channel="chat", customer_id=customer_id, session_id=session_id)
            origin = CLIENT_ADDRESS.set(self.address)  # an anonymous chat's handoffs count against its address
            try:
                result = await orch.handle_turn(session_id, frame.text, on_delta=on_delta, client_id=frame.client_id)
            finally:
                CLIENT_ADDRESS.reset(origin)
        except SessionBusy as exc:  # another turn of this session is running (here or on another node)
            await self.error(
                "busy",
                "Another message of this conversation is being answered; send this one again after "
                "retry_after_s seconds.",
                retry_after_s=round(exc.retry_after_s, 2),
                client_id=frame.client_id,
            )
            return
        except CONNECTION_LOST as exc:
            log.error("chat.db_unavailable", session_id=session_id, error_type=type(exc).__name__)
            if unsaved and self.session_id == session_id:
                self.unsaved_session = True  # try writing the row again with the next message
            await self.error(
                "unavailable",
                "We could not reach our records just now; please send that again.",
                client_id=frame.client_id,
            )
            return
        if result.held:  # a person holds the conversation: they got the message; no bot reply
            await self.send({"type": "received", "session_id": result.session_id, "client_id": frame.client_id})
            return
        await self.send(
            {
                "type": "message",
                "role": "assistant",
                "text": result.text,
                "agent": result.agent,
                "session_id": result.session_id,
                "handoff": result.human_handoff,
                "client_id": frame.client_id,
            }
        )

    async def handle(self, raw: str | bytes) -> None:
        try:
            frame = parse_client_frame(raw, self.runtime.settings.max_frame_bytes)
        except ProtocolError as exc:
            await self.error(exc.code, exc.message)
            await self.bad_frames.refused(self.error)
            return
        if isinstance(frame, HelloFrame):
            await self.on_hello(frame)
        elif isinstance(frame, MessageFrame):
            await self.on_message(frame)
        elif isinstance(frame, PingFrame):
            await self.send({"type": "pong"})


async def chat_handler(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    guard = chat_guard(request.app, runtime.settings)
    if guard.origin_refused(request):
        return web.json_response(
            {
                "error": {
                    "code": "origin_not_allowed",
                    "message": "This page's origin may not open the chat; add it to CALLCENTER_ALLOWED_ORIGINS.",
                }
            },
            status=403,
        )
    address = guard.address(request)
    if not guard.connections.acquire(address):
        return too_many_connections("Too many open chats from your address; close one and retry.")
    try:
        return await _serve_chat(request, runtime, guard, address)
    finally:
        guard.connections.release(address)


async def _serve_chat(request: web.Request, runtime: Runtime, guard: ChatGuard, address: str) -> web.WebSocketResponse:
    ws = open_websocket(runtime.settings)
    await ws.prepare(request)
    conn = ChatConnection(ws, runtime, guard, address)
    conn.drain = drain = request.app[DRAIN_KEY]
    hello_by = asyncio.get_running_loop().time() + runtime.settings.hello_timeout_s
    WEBSOCKETS.labels("chat").inc()
    tracked = drain.track(ws)  # closed with 1012 on shutdown, after in-flight turns finish
    tracked.__enter__()
    try:
        while True:
            msg = await receive_before(ws, None if conn.session_id else hello_by)
            if msg is None:
                await conn.error("hello_timeout", "No hello arrived in time; reconnect and send hello first.")
                await close_for_hello_timeout(ws)
                break
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                if drain.stopping:
                    await conn.error("unavailable", "The service is restarting; send that again in a moment.")
                    continue
                try:
                    await conn.handle(msg.data)
                except asyncio.CancelledError:
                    raise
                except CONNECTION_LOST as exc:
                    log.warning("chat.db_unavailable", session_id=conn.session_id, error_type=type(exc).__name__)
                    await conn.error("unavailable", "We could not reach our records; please send it again.")
                except Exception as exc:  # last line of defence: report (never the frame), keep the socket
                    log.error(
                        "chat.frame_failed", session_id=conn.session_id, error_type=type(exc).__name__, exc_info=True
                    )
                    await conn.error("internal_error", "Something went wrong handling that frame; please retry.")
            elif msg.type == WSMsgType.ERROR:
                log.warning("chat.ws_error", error_type=type(ws.exception()).__name__)
                break
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                break
    finally:
        tracked.__exit__(None, None, None)
        WEBSOCKETS.labels("chat").dec()
        await conn.finish()
        if conn.feed is not None:
            await conn.feed.close()
    return ws

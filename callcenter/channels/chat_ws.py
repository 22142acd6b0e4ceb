"""The web chat websocket at /v1/chat: transport for the protocol in docs/protocol.md.

Every problem a client can cause becomes an error frame and the connection stays open:
nothing a client sends can crash the handler or lose a stored message.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import structlog
from aiohttp import WSMsgType, web

from callcenter.channels.chat_protocol import (
    HelloFrame,
    MessageFrame,
    PingFrame,
    ProtocolError,
    error_frame,
    parse_client_frame,
)
from callcenter.channels.live_delivery import SessionFeed, agent_frame, follow_session
from callcenter.orchestrator import InvalidMessage, SessionForbidden, SessionNotFound
from callcenter.runtime import RUNTIME_KEY, Runtime
from callcenter.web.auth import InvalidToken, verify_token

log = structlog.get_logger(__name__)

HELLO_TIMEOUT_S = 60.0


class ChatConnection:
    """State of one websocket: who the customer is and which session they are in."""

    def __init__(self, ws: web.WebSocketResponse, runtime: Runtime) -> None:
        self.ws = ws
        self.runtime = runtime
        self.customer_id: int | None = None
        self.session_id: str | None = None
        self.feed: SessionFeed | None = None  # what a person at the desk writes in this session

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_json(frame)

    async def error(self, code: str, message: str) -> None:
        await self.send(error_frame(code, message))

    async def on_hello(self, frame: HelloFrame) -> None:
        settings = self.runtime.settings
        customer_id: int | None = None
        if frame.token:
            try:
                customer_id = verify_token(frame.token, settings.secret.get_secret_value())
            except InvalidToken as exc:
                await self.error(exc.code, str(exc))
                return
            if not await self.runtime.store.customer_exists(customer_id):
                await self.error("invalid_token", "Token names a customer that does not exist.")
                return
        orch = self.runtime.orchestrator
        try:
            session = await orch.open_session(channel="chat", customer_id=customer_id, session_id=frame.session_id)
        except SessionNotFound:
            await self.error("session_not_found", "No such session; send hello without session_id to start one.")
            return
        except SessionForbidden:
            await self.error("session_forbidden", "That session belongs to another customer.")
            return
        self.customer_id, self.session_id = customer_id, session.id
        name = await self.runtime.store.customer_name(customer_id)
        history = await self.runtime.store.history(session.id) if frame.session_id else []
        await self.send(
            {
                "type": "session",
                "session_id": session.id,
                "customer": name,
                "resumed": bool(frame.session_id),
                "history": [{"role": m.role, "text": m.text, "agent": m.agent} for m in history],
            }
        )
        self.feed = await follow_session(
            self.runtime,
            session.id,
            lambda m: self.send(agent_frame(m)),
            after_id=history[-1].id if history else 0,
            replacing=self.feed,
        )

    async def on_message(self, frame: MessageFrame) -> None:
        if self.session_id is None:
            await self.error("hello_required", 'Send {"type":"hello"} first to open a session.')
            return
        orch = self.runtime.orchestrator
        try:
            orch.validate_text(frame.text)
        except InvalidMessage as exc:
            code = "empty_message" if not frame.text.strip() else "message_too_long"
            await self.error(code, str(exc))
            return

        async def on_delta(piece: str) -> None:
            await self.send({"type": "delta", "text": piece})

        try:
            result = await orch.handle_turn(self.session_id, frame.text, on_delta=on_delta)
        except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError) as exc:
            log.error("chat.db_unavailable", session_id=self.session_id, error=str(exc))
            await self.error("unavailable", "We could not reach our records just now; please send that again.")
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
            frame = parse_client_frame(raw)
        except ProtocolError as exc:
            await self.error(exc.code, exc.message)
            return
        if isinstance(frame, HelloFrame):
            await self.on_hello(frame)
        elif isinstance(frame, MessageFrame):
            await self.on_message(frame)
        elif isinstance(frame, PingFrame):
            await self.send({"type": "pong"})


async def chat_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4 * 1024 * 1024)
    await ws.prepare(request)
    conn = ChatConnection(ws, request.app[RUNTIME_KEY])
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                try:
                    await conn.handle(msg.data)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # last line of defence: report, keep the socket
                    log.exception("chat.frame_failed", session_id=conn.session_id, error=str(exc))
                    await conn.error("internal_error", "Something went wrong handling that frame; please retry.")
            elif msg.type == WSMsgType.ERROR:
                log.warning("chat.ws_error", error=str(ws.exception()))
    finally:
        if conn.feed is not None:
            await conn.feed.close()
    return ws

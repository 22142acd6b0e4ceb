"""The live voice channel: a Twilio ConversationRelay websocket feeding the orchestrator.

Twilio does speech-to-text and text-to-speech; we see the caller's words as `prompt` messages
and answer with streamed `text` tokens, exactly as the web chat streams deltas. The same
rules hold as in chat_ws: a bad message is logged and ignored (a caller must never hear a
protocol error), nothing the caller said is dropped, and the socket survives every failure.

Turns run one at a time in a worker task, so the reading loop stays free to notice a barge-in:
an `interrupt`, or a new prompt while a reply is still streaming, silences that reply. The
orchestrator still finishes the turn and stores the whole reply, since that is what it decided;
the caller simply did not hear the rest (logged as `voice.interrupted`).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from aiohttp import WSMsgType, web

from callcenter.channels.live_delivery import SessionFeed, follow_session
from callcenter.channels.voice_protocol import (
    DtmfMessage,
    InterruptMessage,
    PromptMessage,
    RelayErrorMessage,
    RelayProtocolError,
    SetupMessage,
    SpeakableStream,
    UnknownMessage,
    end_session,
    parse_relay_message,
    phone_key,
    speakable,
    text_token,
)
from callcenter.orchestrator import InvalidMessage, SessionBusy, SessionForbidden, SessionNotFound, TurnResult
from callcenter.runtime import Runtime
from callcenter.store.db import CONNECTION_LOST
from callcenter.store.desk import StoredMessage
from callcenter.web.auth import InvalidToken, verify_token

log = structlog.get_logger(__name__)

NOT_NOW: tuple[type[BaseException], ...] = (*CONNECTION_LOST, SessionBusy)
"""The database is out, or the session is mid-turn elsewhere: the caller hears UNAVAILABLE."""

CHANNEL = "voice"
UNAVAILABLE = "Sorry, I couldn't reach our records just now. Could you say that again?"
FAILED = "Sorry, something went wrong on our side. Could you say that again?"


@dataclass(slots=True)
class CallerMatch:
    """A customer whose phone number matches the caller id: a hint for humans, never an identity."""

    customer_id: int
    verified: bool = False


@dataclass(slots=True)
class _Reply:
    """The reply being streamed for one turn; `silenced` once the caller talks over it."""

    silenced: bool = False
    spoke: bool = False


async def find_caller(pool: asyncpg.Pool, number: str) -> CallerMatch | None:
    """The one customer whose phone matches `number`; None when none or several do."""
    key = phone_key(number)
    if key is None:
        return None
    rows = await pool.fetch(
        "SELECT id FROM customers WHERE right(regexp_replace(coalesce(phone, ''), '\\D', '', 'g'), 10) = $1 LIMIT 2",
        key,
    )
    return CallerMatch(rows[0]["id"]) if len(rows) == 1 else None


class RelayCall:
    """State of one phone call: identity, session, and the reply currently being spoken."""

    def __init__(self, ws: web.WebSocketResponse, runtime: Runtime) -> None:
        self.ws = ws
        self.runtime = runtime
        self.session_id: str | None = None
        self.customer_id: int | None = None
        self.call_sid: str = ""
        self.caller: CallerMatch | None = None
        self.ended = False
        self.reply: _Reply | None = None
        self.turns: asyncio.Queue[str | None] = asyncio.Queue()
        self.feed: SessionFeed | None = None  # a person at the desk speaks to the caller (docs/desk.md)
        self.log = log.bind(channel=CHANNEL)

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_json(frame)

    # --- inbound ---------------------------------------------------------------------------
    async def handle(self, raw: str | bytes) -> None:
        try:
            message = parse_relay_message(raw)
        except RelayProtocolError as exc:
            self.log.warning("voice.bad_message", code=exc.code, error=exc.message)
            return
        if isinstance(message, SetupMessage):
            await self.on_setup(message)
        elif isinstance(message, PromptMessage):
            await self.on_prompt(message)
        elif isinstance(message, InterruptMessage):
            self.silence(
                "interrupt", heard=message.utterance_until_interrupt, after_ms=message.duration_until_interrupt_ms
            )
        elif isinstance(message, DtmfMessage):
            await self.on_dtmf(message)
        elif isinstance(message, RelayErrorMessage):
            self.log.warning("voice.relay_error", description=message.description[:500])
        elif isinstance(message, UnknownMessage):
            self.log.info("voice.unknown_message", type=message.type)

    async def on_setup(self, message: SetupMessage) -> None:
        if self.session_id is not None:
            self.log.warning("voice.setup_repeated", call_sid=message.call_sid)
            return
        self.call_sid = message.call_sid
        self.log = self.log.bind(call_sid=message.call_sid)
        self.customer_id = await self._verified_customer(message.custom_parameters.get("token", ""))
        if self.customer_id is None and message.from_:
            self.caller = await find_caller(self.runtime.pool, message.from_)
        await self._open_session()
        if self.session_id is not None:
            self.feed = await follow_session(self.runtime, self.session_id, self._speak_for_person)
        self.log.info(
            "voice.setup",
            session_id=self.session_id,
            verified=self.customer_id is not None,
            caller_match=self.caller.customer_id if self.caller else None,
        )

    async def _verified_customer(self, token: str) -> int | None:
        if not token:
            return None
        try:
            customer_id = verify_token(token, self.runtime.settings.secret.get_secret_value())
        except InvalidToken as exc:
            self.log.warning("voice.invalid_token", code=exc.code)
            return None
        if not await self.runtime.store.customer_exists(customer_id):
            self.log.warning("voice.invalid_token", code="unknown_customer")
            return None
        return customer_id

    async def _open_session(self) -> None:
        """Resume this call's session when Twilio reconnects, else start one tagged with the callSid."""
        orch = self.runtime.orchestrator
        if self.call_sid:
            existing = await self.runtime.pool.fetchval(
                "SELECT id FROM sessions WHERE channel=$1 AND external_id=$2", CHANNEL, self.call_sid
            )
            if existing is not None:
                try:
                    session = await orch.open_session(
                        channel=CHANNEL, customer_id=self.customer_id, session_id=str(existing)
                    )
                    self.session_id = session.id
                    self.log.info("voice.resumed", session_id=session.id)
                    return
                except (SessionForbidden, SessionNotFound):
                    self.log.warning("voice.resume_refused", session_id=str(existing))
        session = await orch.open_session(channel=CHANNEL, customer_id=self.customer_id)
        self.session_id = session.id
        if self.call_sid:
            try:
                await self.runtime.pool.execute(
                    "UPDATE sessions SET external_id=$2 WHERE id=$1", uuid.UUID(session.id), self.call_sid
                )
            except asyncpg.UniqueViolationError:  # a racing reconnect tagged its own session first
                self.log.warning("voice.call_sid_taken", session_id=session.id)

    async def on_prompt(self, message: PromptMessage) -> None:
        if not message.last:
            return  # a partial transcript: the final prompt carries the whole utterance
        await self.enqueue(message.voice_prompt)

    async def on_dtmf(self, message: DtmfMessage) -> None:
        """A key press answers like the spoken digit ("press 2" for option 2); * and # are ignored."""
        if message.digit.isdigit():
            await self.enqueue(message.digit)
        else:
            self.log.info("voice.dtmf_ignored", digit=message.digit)

    async def enqueue(self, text: str) -> None:
        if self.ended:
            self.log.info("voice.after_end_ignored")
            return
        if not text.strip():
            return
        if self.session_id is None:  # Twilio always sends setup first; don't lose the words if not
            self.log.warning("voice.prompt_before_setup")
            await self._open_session()
        if self.turns.qsize() >= self.runtime.settings.relay_queue_max:
            self.log.warning("voice.prompt_dropped", session_id=self.session_id, queued=self.turns.qsize())
            return  # no caller speaks this fast: a flood, not a conversation
        self.silence("new_prompt")
        await self.turns.put(text)

    def hung_up(self) -> None:
        """The caller is gone: keep the first few prompts still queued (they are stored), drop the rest."""
        keep = self.runtime.settings.relay_after_hangup_max
        kept: list[str] = []
        dropped = 0
        while not self.turns.empty():
            item = self.turns.get_nowait()
            self.turns.task_done()
            if item is not None and len(kept) < keep:
                kept.append(item)
            elif item is not None:
                dropped += 1
        for item in kept:
            self.turns.put_nowait(item)
        if dropped:
            self.log.warning("voice.prompts_after_hangup_dropped", session_id=self.session_id, dropped=dropped)
        self.turns.put_nowait(None)

    def silence(self, why: str, *, heard: str = "", after_ms: int = 0) -> None:
        """Stop speaking the current reply; the stored reply stays whole."""
        reply = self.reply
        if reply is None or reply.silenced:
            return
        reply.silenced = True
        self.log.info(
            "voice.interrupted", why=why, session_id=self.session_id, heard_chars=len(heard), after_ms=after_ms
        )

    # --- turns -----------------------------------------------------------------------------
    async def run_turns(self) -> None:
        """The worker: one turn at a time, in the order the caller spoke."""
        while True:
            text = await self.turns.get()
            try:
                if text is None:
                    return
                if self.ended:  # handed to a person: Twilio connects the caller, we stop answering
                    self.log.info("voice.after_end_ignored")
                    continue
                await self.take_turn(text)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # last line of defence: apologise, keep the call
                self.log.exception("voice.turn_failed", session_id=self.session_id, error=str(exc))
                await self._say(FAILED)
            finally:
                self.turns.task_done()

    async def take_turn(self, text: str) -> None:
        assert self.session_id is not None
        orch = self.runtime.orchestrator
        try:
            text = orch.validate_text(text)
        except InvalidMessage as exc:
            self.log.warning("voice.invalid_prompt", error=str(exc))
            return
        reply = self.reply = _Reply()
        stream = SpeakableStream()

        async def on_delta(piece: str) -> None:
            said = stream.feed(piece)
            if said and not reply.silenced:
                reply.spoke = True
                await self.send(text_token(said, last=False))

        try:
            result = await orch.handle_turn(self.session_id, text, on_delta=on_delta)
        except NOT_NOW as exc:
            self.log.error("voice.db_unavailable", session_id=self.session_id, error=str(exc))
            await self._close_reply(reply, "")
            await self._say(UNAVAILABLE)
            return
        finally:
            if self.reply is reply:
                self.reply = None
        await self._close_reply(reply, stream.finish())
        if result.human_handoff and not result.held:  # held: a person at the desk has the call already
            await self.hand_off(result)

    async def _close_reply(self, reply: _Reply, tail: str) -> None:
        """Send the rest of the reply with last=true (or close an interrupted one so Twilio's turn ends)."""
        if not reply.silenced:
            await self.send(text_token(tail, last=True))
        elif reply.spoke:
            await self.send(text_token("", last=True))

    async def _speak_for_person(self, message: StoredMessage) -> None:
        if not self.ended:
            await self._say(speakable(message.text))

    async def _say(self, text: str) -> None:
        await self.send(text_token(text, last=True))

    async def hand_off(self, result: TurnResult) -> None:
        """End the relay with what the human side needs; the action URL connects the caller."""
        row = await self.runtime.pool.fetchrow(
            """SELECT id, queue, priority, context->>'reason' AS reason, context->>'ticket_id' AS ticket_id
               FROM handoffs WHERE session_id=$1 AND kind='human' ORDER BY id DESC LIMIT 1""",
            uuid.UUID(result.session_id),
        )
        data = handoff_data(
            session_id=result.session_id,
            call_sid=self.call_sid,
            agent=result.agent,
            customer_id=self.customer_id,
            caller=self.caller,
            handoff=dict(row) if row else {},
        )
        self.ended = True
        self.log.info("voice.handoff", session_id=result.session_id, queue=data.get("queue"))
        await self.send(end_session(data))


def handoff_data(
    *,
    session_id: str,
    call_sid: str,
    agent: str,
    customer_id: int | None,
    caller: CallerMatch | None,
    handoff: dict[str, Any],
) -> dict[str, Any]:
    """The `handoffData` for the human side: why, which queue, and where to read the conversation.

    No transcript or summary: Twilio asks that handoffData carry no payment data, and the
    session id is enough for the agent desk to load the whole conversation.
    """
    ticket = handoff.get("ticket_id")
    return {
        "reason": handoff.get("reason") or "human handoff",
        "queue": handoff.get("queue") or "general",
        "priority": handoff.get("priority") or "normal",
        "handoff_id": handoff.get("id"),
        "ticket_id": int(ticket) if ticket and str(ticket).isdigit() else None,
        "session_id": session_id,
        "call_sid": call_sid,
        "agent": agent,
        "customer_id": customer_id,
        "caller_id_match": ({"customer_id": caller.customer_id, "verified": False} if caller is not None else None),
    }


async def relay_handler(request: web.Request, runtime: Runtime) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=1024 * 1024)
    await ws.prepare(request)
    call = RelayCall(ws, runtime)
    worker = asyncio.create_task(call.run_turns())
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                try:
                    await call.handle(msg.data)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # report, keep the socket
                    call.log.exception("voice.message_failed", session_id=call.session_id, error=str(exc))
            elif msg.type == WSMsgType.ERROR:
                call.log.warning("voice.ws_error", error=str(ws.exception()))
    finally:
        # The caller hung up: finish (and store) the little they already said, then stop the worker.
        call.hung_up()
        await asyncio.shield(worker)
        if call.feed is not None:
            await call.feed.close()
        call.log.info("voice.closed", session_id=call.session_id)
    return ws

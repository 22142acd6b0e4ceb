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
import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from aiohttp import WSMsgType, web

from callcenter.channels.live_delivery import SessionFeed, follow_session
from callcenter.channels.voice_handoff import CallerMatch, find_caller, handoff_data
from callcenter.channels.voice_language import CallLanguage
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
from callcenter.channels.voice_verification import CallerVerification, Step
from callcenter.channels.ws_limits import BadFrames, open_websocket
from callcenter.channels.ws_send import Outbox
from callcenter.orchestrator import InvalidMessage, SessionBusy, SessionForbidden, SessionNotFound, TurnResult
from callcenter.runtime import Runtime
from callcenter.shutdown import DRAIN_KEY, Drain
from callcenter.store.db import CONNECTION_LOST
from callcenter.store.desk import StoredMessage
from callcenter.store.voice_pins import VoicePinStore
from callcenter.tooling.executor import TurnTools
from callcenter.tooling.toolkit import ToolError
from callcenter.web.auth import InvalidToken, verify_token

log = structlog.get_logger(__name__)

NOT_NOW: tuple[type[BaseException], ...] = (*CONNECTION_LOST, SessionBusy)
"""The database is out, or the session is mid-turn elsewhere: the caller hears UNAVAILABLE."""

CHANNEL = "voice"
VERIFICATION_AGENT = "voice_verification"
InputKind = Literal["speech", "dtmf", "timeout"]
PIN_KEYS = 7
UNAVAILABLE = "Sorry, I couldn't reach our records just now. Could you say that again?"
FAILED = "Sorry, something went wrong on our side. Could you say that again?"


@dataclass(slots=True)
class _Reply:
    """The reply being streamed for one turn; `silenced` once the caller talks over it."""

    silenced: bool = False
    spoke: bool = False


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
        self.turns: asyncio.Queue[tuple[str, InputKind] | None] = asyncio.Queue()
        self.verification: CallerVerification | None = None
        self.pins = VoicePinStore.from_settings(runtime.pool, runtime.settings)
        self._digit_timer: asyncio.TimerHandle | None = None
        self.feed: SessionFeed | None = None  # a person at the desk speaks to the caller (docs/desk.md)
        self.drain: Drain | None = None  # graceful shutdown (callcenter/shutdown.py), set by relay_handler
        self.spoken = CallLanguage(runtime.orchestrator.languages)  # switches the voice with the caller's language
        self.log = log.bind(channel=CHANNEL)
        self.bad_frames = BadFrames(ws, runtime.settings)
        self.outbox = Outbox(ws, CHANNEL)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.outbox.send(frame)

    # --- inbound ---------------------------------------------------------------------------
    async def handle(self, raw: str | bytes) -> None:
        try:
            message = parse_relay_message(raw, self.runtime.settings.max_frame_bytes)
        except RelayProtocolError as exc:
            self.log.warning("voice.bad_message", code=exc.code, error=exc.message)
            await self.bad_frames.refused(self.too_many_bad_messages)
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

    async def too_many_bad_messages(self, code: str, message: str) -> None:
        """A caller never hears a protocol error: the relay socket is logged and closed (Twilio sends none)."""
        self.log.warning("voice.closed_for_bad_messages", code=code, session_id=self.session_id)

    async def on_setup(self, message: SetupMessage) -> None:
        if self.session_id is not None:
            self.log.warning("voice.setup_repeated", call_sid=message.call_sid)
            return
        self.call_sid = message.call_sid
        self.log = self.log.bind(call_sid=message.call_sid)
        self.customer_id = await self._verified_customer(message.custom_parameters.get("token", ""))
        if self.customer_id is None and message.from_:
            self.caller = await find_caller(self.runtime.store, message.from_)
        await self._open_session()
        if self.session_id is not None:
            self.feed = await follow_session(self.runtime, self.session_id, self._speak_for_person)
        self.verification = CallerVerification(
            pins=self.pins,
            router=self.runtime.orchestrator.router,
            account_verticals=self.runtime.app.account_verticals,
            caller=phone_key(message.from_) or "withheld",  # withheld numbers share one lockout counter
            caller_match=self.caller.customer_id if self.caller else None,
            call_sid=self.call_sid,
            session_id=self.session_id,
            verified=self.customer_id is not None,
            wording=self.runtime.app.caller_lookup,
        )
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
            existing = await self.runtime.store.session_by_external_id(CHANNEL, self.call_sid)
            if existing is not None:
                try:
                    session = await orch.open_session(
                        channel=CHANNEL, customer_id=self.customer_id, session_id=str(existing)
                    )
                    self.session_id, self.spoken.code = session.id, session.language
                    self.log.info("voice.resumed", session_id=session.id)
                    return
                except (SessionForbidden, SessionNotFound):
                    self.log.warning("voice.resume_refused", session_id=str(existing))
        session = await orch.open_session(channel=CHANNEL, customer_id=self.customer_id)
        self.session_id = session.id
        if self.call_sid and not await self.runtime.store.tag_session(session.id, self.call_sid):
            self.log.warning("voice.call_sid_taken", session_id=session.id)  # a racing reconnect tagged its own

    async def on_prompt(self, message: PromptMessage) -> None:
        if not message.last:
            return  # a partial transcript: the final prompt carries the whole utterance
        await self.enqueue(message.voice_prompt)

    async def on_dtmf(self, message: DtmfMessage) -> None:
        """A key press answers like the spoken digit ("press 2" for option 2); * and # are ignored.

        While the caller is keying a PIN or the place their account is at, digits and # go to verification instead
        (the digits are never logged), and a pause of voice_pin_digit_timeout_s ends the entry.
        """
        if self.verification is not None and self.verification.collecting_keys:
            await self.enqueue(message.digit, "dtmf")
            self._arm_digit_timer(stop=not message.digit.isdigit())
        elif message.digit.isdigit():
            await self.enqueue(message.digit, "dtmf")
        else:
            self.log.info("voice.dtmf_ignored", digit=message.digit)

    def _arm_digit_timer(self, *, stop: bool = False) -> None:
        """(Re)start the pause that ends keypad entry; `stop` only cancels it."""
        if self._digit_timer is not None:
            self._digit_timer.cancel()
            self._digit_timer = None
        if not stop and not self.ended:
            delay = self.runtime.settings.voice_pin_digit_timeout_s
            self._digit_timer = asyncio.get_running_loop().call_later(delay, self.turns.put_nowait, ("", "timeout"))

    async def enqueue(self, text: str, kind: InputKind = "speech") -> None:
        if self.ended:
            self.log.info("voice.after_end_ignored")
            return
        if not text.strip():
            return
        if self.session_id is None:  # Twilio always sends setup first; don't lose the words if not
            self.log.warning("voice.prompt_before_setup")
            await self._open_session()
        # Keying a PIN queues a key at a time: room for one PIN (6 digits and #) beyond the usual bound.
        room = self.runtime.settings.relay_queue_max + (PIN_KEYS if kind == "dtmf" else 0)
        if self.turns.qsize() >= room:
            self.log.warning("voice.prompt_dropped", session_id=self.session_id, queued=self.turns.qsize())
            return  # no caller speaks this fast: a flood, not a conversation
        self.silence("new_prompt")
        await self.turns.put((text, kind))

    def hung_up(self) -> None:
        """The caller is gone: keep the first few prompts still queued (they are stored), drop the rest."""
        keep = self.runtime.settings.relay_after_hangup_max
        kept: list[tuple[str, InputKind]] = []
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
            item = await self.turns.get()
            try:
                if item is None:
                    return
                if self.ended:  # handed to a person: Twilio connects the caller, we stop answering
                    self.log.info("voice.after_end_ignored")
                    continue
                if self.drain is None:
                    await self.take_input(*item)
                else:
                    async with self.drain.busy():  # a restart lets the caller's turn finish first
                        await self.take_input(*item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # last line of defence: apologise, keep the call
                self.log.exception("voice.turn_failed", session_id=self.session_id, error=str(exc))
                await self._say(FAILED)
            finally:
                self.turns.task_done()

    async def take_input(self, text: str, kind: InputKind) -> None:
        """One thing the caller said or keyed: verification first, then (if it is not about that) a turn."""
        if self.ended:
            return
        if self.verification is not None and self.verification.active and not await self._held_by_person():
            step = await self.verification.handle(text, kind)
            if not step.passthrough:
                await self.apply(step)
                return
        if kind == "timeout" or (kind == "dtmf" and not text.isdigit()):
            return  # a pause or a * / # outside PIN entry means nothing
        await self.take_turn(text)

    async def _held_by_person(self) -> bool:
        """A person at the desk holds the call: they talk to the caller, the bot (and its PIN prompts) stays quiet."""
        if self.session_id is None:
            return False
        session = await self.runtime.store.get_session(self.session_id)
        return session is not None and session.held_by is not None

    async def apply(self, step: Step) -> None:
        """Do what verification decided: record the verified customer, speak, hand off, answer the held question."""
        if step.verified is not None and self.session_id is not None:
            await self.pins.verify_session(self.session_id, step.verified)
            self.customer_id = step.verified
            self.log.info("voice.verified", session_id=self.session_id, customer_id=step.verified)
        if step.say:
            await self._say(step.say)
        if step.handoff:
            await self.hand_to_person(step.handoff)
        elif step.resume:
            await self.take_turn(step.resume)

    async def take_turn(self, text: str) -> None:
        assert self.session_id is not None
        orch = self.runtime.orchestrator
        try:
            text = orch.validate_text(text)
        except InvalidMessage as exc:
            self.log.warning("voice.invalid_prompt", error=str(exc))
            return
        if (switch := await self.spoken.hear(text)) is not None:  # before the reply's first token
            await self.send(switch)
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
        elif result.unreached_queue and result.unreached_queue == self.runtime.app.emergency_queue:
            await self._end_with_handoff(result.session_id, result.agent, unstored=result.unreached_queue)

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
        await self._end_with_handoff(result.session_id, result.agent)

    async def _end_with_handoff(self, session_id: str, agent: str, unstored: str | None = None) -> None:
        """`unstored`: an emergency whose handoff could not be stored still goes to its route (F13)."""
        fallback = {"queue": unstored, "priority": "urgent"} if unstored else None
        row = None if fallback else await self.runtime.store.latest_human_handoff(session_id)
        data = handoff_data(
            session_id=session_id,
            call_sid=self.call_sid,
            agent=agent,
            customer_id=self.customer_id,
            caller=self.caller,
            handoff=row or fallback or {},
            language=self.spoken.code,
        )
        self.ended = True
        self._arm_digit_timer(stop=True)
        self.log.info("voice.handoff", session_id=session_id, queue=data.get("queue"))
        await self.send(end_session(data))

    async def hand_to_person(self, reason: str) -> None:
        """The caller accepted a person after verification failed: a general handoff, then end the relay."""
        tool = self.runtime.app.tools.get(self.runtime.app.human_handoff_tool or "")
        if tool is None or self.session_id is None:
            await self._say("Please call back and ask for a member of our team.")
            return
        runner = TurnTools(
            pool=self.runtime.pool,
            tools={tool.name: tool},
            session_id=self.session_id,
            turn_id=None,
            customer_id=self.customer_id,
            agent=VERIFICATION_AGENT,
            now=datetime.now(UTC),
            max_calls=1,
        )
        try:
            await runner.call(
                tool.name,
                {
                    "queue": "general",
                    "priority": "normal",
                    "reason": reason[:300],
                    "summary": "Phone caller could not verify by PIN and asked for a person.",
                },
                idempotency_key=f"voice:person:{uuid.uuid4().hex}",
            )
        except ToolError as exc:
            self.log.error("voice.handoff_failed", session_id=self.session_id, error=str(exc))
            await self._say("Sorry, I couldn't reach the team just now. Please call back in a few minutes.")
            return
        await self._end_with_handoff(self.session_id, VERIFICATION_AGENT)


async def relay_handler(request: web.Request, runtime: Runtime) -> web.WebSocketResponse:
    ws = open_websocket(runtime.settings)
    await ws.prepare(request)
    call = RelayCall(ws, runtime)
    call.drain = request.app.get(DRAIN_KEY)
    worker = asyncio.create_task(call.run_turns())

    async def farewell() -> None:
        """On shutdown, end the call's relay session properly (Twilio continues with the TwiML after <Connect>)."""
        await call.send(end_session({"reason": "service_restart", "session_id": call.session_id}))

    try:
        with call.drain.track(ws, farewell=farewell) if call.drain is not None else contextlib.nullcontext():
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
        call._arm_digit_timer(stop=True)
        call.hung_up()
        await asyncio.shield(worker)
        if call.feed is not None:
            await call.feed.close()
        call.log.info("voice.closed", session_id=call.session_id)
    return ws

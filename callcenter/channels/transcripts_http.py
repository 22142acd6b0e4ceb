"""Finished call transcripts over HTTP: store the call, route what the caller said, follow up.

A phone system (or a human agent's notes tool) posts the whole call once it is over. The call
becomes a session on the 'voice_transcript' channel with every utterance as a message; the
router classifies each caller utterance, and the app's own tools do the follow-up: an
emergency anywhere gets an urgent human handoff, anything else actionable a ticket for the
team that owns it. Re-posting the same call changes nothing and returns the same answer, so
a sender may retry freely after a timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from callcenter.channels.call_summary import CallSummary, summarise_call
from callcenter.channels.sanitize import clean_json
from callcenter.channels.transcript_shapes import ShapeError, to_native
from callcenter.channels.voice_protocol import phone_key
from callcenter.handoff import HumanHandoff
from callcenter.providers.base import ChatMessage, ModelRequest
from callcenter.providers.client import AllProvidersFailed, CallContext, ModelClient
from callcenter.redaction import redact, redact_continuation
from callcenter.runtime import Runtime
from callcenter.specialists.flow import HumanHandoffRequest
from callcenter.tooling.executor import TurnTools
from callcenter.tooling.toolkit import ToolError, ToolLimits
from callcenter.types import Priority, RouteDecision, StepType, Tier
from callcenter.web.auth import InvalidToken, verify_token

log = structlog.get_logger(__name__)

CHANNEL = "voice_transcript"
AGENT = "phone_agent"
MAX_TURNS = 500
MAX_TURN_CHARS = 10_000
MAX_BODY_BYTES = 8 * 1024 * 1024  # 500 turns of 10,000 characters, JSON-escaped, fit comfortably


class TranscriptTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    speaker: Literal["customer", "agent"]
    text: str = Field(max_length=MAX_TURN_CHARS)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return redact(value.strip())  # a card number read out on a call is never stored


class TranscriptIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    call_id: str = Field(min_length=1, max_length=128)
    token: str | None = Field(default=None, max_length=512)
    from_: str | None = Field(default=None, alias="from", max_length=64)
    started_at: datetime | None = None
    turns: list[TranscriptTurn] = Field(min_length=1, max_length=MAX_TURNS)


class TranscriptError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message)


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def parse_transcript(body: bytes) -> TranscriptIn:
    """The request body as a transcript; TranscriptError (400/422) saying what to fix otherwise."""
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, integers past the digit limit, deep nesting
        raise TranscriptError(
            400, "bad_json", "The body must be a JSON object (Content-Type: application/json)."
        ) from None
    if not isinstance(data, dict):
        raise TranscriptError(400, "bad_json", "The body must be a JSON object with call_id and turns.")
    try:
        data = to_native(data)  # a platform's export (Twilio Intelligence) in our shape
    except ShapeError as exc:
        raise TranscriptError(422, "invalid_transcript", str(exc)[:200]) from None
    try:
        transcript = TranscriptIn.model_validate(clean_json(data))  # no NUL or lone surrogate reaches PostgreSQL
    except ValidationError as exc:
        err = exc.errors(include_input=False)[0]
        loc = ".".join(str(p) for p in err["loc"])[:60] or "body"
        raise TranscriptError(422, "invalid_transcript", f"{loc}: {err['msg'][:100]}.") from None
    return _redact_split_numbers(transcript)


def _redact_split_numbers(transcript: TranscriptIn) -> TranscriptIn:
    """A card number the caller read out over several utterances is masked in every part."""
    said: list[TranscriptTurn] = []
    for turn in transcript.turns:
        if turn.speaker != "customer":
            continue
        masked = redact_continuation([t.text for t in said[-4:]], turn.text)
        for index, text in masked.earlier.items():
            said[-4:][index].text = text
        turn.text = masked.text
        said.append(turn)
    return transcript


@dataclass(frozen=True, slots=True)
class CallTriage:
    """What a call was about, decided from the router's verdict on each caller utterance."""

    verticals: dict[str, int]
    emergency: bool
    emergency_reason: str
    ticket_category: str | None


def triage_call(decisions: list[RouteDecision], categories: Mapping[str, str]) -> CallTriage:
    """Emergency if any utterance was; else a ticket for the most-discussed actionable vertical.

    `categories` (the business's `TICKET_CATEGORIES`) maps an actionable vertical to the ticket
    category of the team that owns it. Ties go to the vertical the caller raised first; a call
    about nothing actionable needs no follow-up.
    """
    counts = Counter(d.vertical for d in decisions)
    emergencies = [d for d in decisions if d.emergency]
    actionable = [d.vertical for d in decisions if d.vertical in categories]
    category = None
    if actionable and not emergencies:
        tally = Counter(actionable)
        main = max(dict.fromkeys(actionable), key=lambda v: tally[v])  # first raised wins ties
        category = categories[main]
    return CallTriage(
        verticals=dict(counts),
        emergency=bool(emergencies),
        emergency_reason=emergencies[0].reason if emergencies else "",
        ticket_category=category,
    )


def fingerprint(transcript: TranscriptIn, customer_id: int | None) -> str:
    """Identifies a post's content, so a re-post is recognised and a different call under a reused id is not."""
    canon = {
        "call_id": transcript.call_id,
        "customer_id": customer_id,
        "from": transcript.from_,
        "started_at": transcript.started_at.isoformat() if transcript.started_at else None,
        "turns": [[t.speaker, t.text] for t in transcript.turns],
    }
    return hashlib.sha256(json.dumps(canon, separators=(",", ":")).encode()).hexdigest()


SUMMARY_INSTRUCTIONS = """You summarise a finished phone call to a customer help line for the \
person who follows it up. In at most {limit} characters of plain text say: who called, what they needed, what \
was done or promised, and what is still open. Use only facts from the transcript; no greeting, no markdown."""


def callers_words(transcript: TranscriptIn, limit: int) -> str:
    """The caller's own words, in order, capped: the record under the summary in a ticket."""
    said = " / ".join(t.text for t in transcript.turns if t.speaker == "customer")
    lead = f"Phone call {transcript.call_id}"
    if transcript.started_at:
        lead += f" at {transcript.started_at.isoformat()}"
    text = f"{lead}. Caller said: {said}" if said else f"{lead}. The caller said nothing transcribed."
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class TranscriptIngest:
    """Store one posted call and do its follow-up, exactly once per call_id."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pool = runtime.pool

    async def customer(self, transcript: TranscriptIn) -> int | None:
        """The verified customer: the token's, else the one who proved who they are (PIN) on this live call."""
        if not transcript.token:
            return await self.runtime.store.verified_customer_of("voice", transcript.call_id)
        try:
            customer_id = verify_token(transcript.token, self.runtime.settings.secret.get_secret_value())
        except InvalidToken as exc:
            raise TranscriptError(401, exc.code, str(exc)) from None
        if not await self.runtime.store.customer_exists(customer_id):
            raise TranscriptError(401, "invalid_token", "Token names a customer that does not exist.")
        return customer_id

    async def ingest(self, transcript: TranscriptIn) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body): 201 for a new call, 200 with the stored answer for a re-post."""
        customer_id = await self.customer(transcript)
        digest = await asyncio.to_thread(fingerprint, transcript, customer_id)
        session_id, state = await self._claim(transcript, customer_id, digest)
        if state.get("fingerprint") != digest:
            raise TranscriptError(
                409,
                "call_id_conflict",
                f"call_id {transcript.call_id!r} was already posted with a different transcript.",
            )
        if "result" in state:
            return 200, dict(state["result"])
        result = await self._follow_up(transcript, session_id, customer_id, state)
        await self.runtime.store.close_session(session_id, {**state, "result": result})
        log.info(
            "voice.transcript.stored",
            session_id=session_id,
            emergency=result["emergency"],
            ticket_id=result["ticket_id"],
            handoff_id=result["handoff_id"],
        )
        return 201, result

    async def _claim(
        self, transcript: TranscriptIn, customer_id: int | None, digest: str
    ) -> tuple[str, dict[str, Any]]:
        """The call's session: created with all its messages in one transaction, or the one already there."""
        match = None
        if transcript.from_ and customer_id is None:
            key = phone_key(transcript.from_)
            if key:
                match = await self.runtime.store.customer_by_phone(key)
        state = {
            "call_id": transcript.call_id,
            "fingerprint": digest,
            "started_at": transcript.started_at.isoformat() if transcript.started_at else None,
            # A caller-id match is unverified (numbers can be spoofed): a hint for staff, not an identity.
            "caller_id_match": {"customer_id": match, "verified": False} if match else None,
        }
        messages = [
            ("user", t.text, None) if t.speaker == "customer" else ("assistant", t.text, AGENT)
            for t in transcript.turns
        ]
        return await self.runtime.store.claim_external_session(
            channel=CHANNEL,
            external_id=transcript.call_id,
            customer_id=customer_id,
            policy="transcript",
            state=state,
            messages=messages,
        )

    async def _who(self, transcript: TranscriptIn, customer_id: int | None, state: dict[str, Any]) -> str:
        """How the summary names the caller: a verified customer, a caller-id hint, or a number."""
        match = (state.get("caller_id_match") or {}).get("customer_id")
        lookup = customer_id or match
        label = await self.runtime.store.customer_label(lookup) if lookup else None
        number = transcript.from_ or "number withheld"
        if customer_id is not None and label:
            return f"{label} (verified)"
        if label:
            return f"{number}, unverified (the number matches {label})"
        return f"unidentified caller, {number}"

    async def _summary(
        self,
        transcript: TranscriptIn,
        session_id: str,
        customer_id: int | None,
        state: dict[str, Any],
        follow_up: str | None,
    ) -> CallSummary:
        """The extractive summary; rewritten by a tier-1 model when one is configured (cost recorded)."""
        limit = self.runtime.settings.voice_summary_max_chars
        turns = [(t.speaker, t.text) for t in transcript.turns]
        who = await self._who(transcript, customer_id, state)
        spoken = await self.runtime.orchestrator.languages.spoken_in(
            [t.text for t in transcript.turns if t.speaker == "customer"]
        )
        if spoken is not None:  # the person following up should answer in it (docs/languages.md)
            who = f"{who}, speaks {spoken.name}"
            await self.runtime.store.set_session_language(session_id, spoken.code)
        # Up to 500 turns of 10,000 characters: regex work that must not hold up the event loop.
        terms = self.runtime.app.call_need_terms
        extractive = await asyncio.to_thread(
            summarise_call, turns, who=who, follow_up=follow_up, limit=limit, need_terms=terms
        )
        client = self.runtime.extras.get("model_client")
        if not isinstance(client, ModelClient):
            return extractive
        lines = "\n".join(f"{'Caller' if sp == 'customer' else 'Agent'}: {text}" for sp, text in turns)
        request = ModelRequest(
            system=SUMMARY_INSTRUCTIONS.format(limit=limit),
            messages=[
                ChatMessage(
                    role="user",
                    text=(
                        f"Caller: {extractive.text.split('. ', 1)[0].removeprefix('Caller: ')}\n"
                        f"Follow-up already done: {follow_up or 'none'}\nTranscript:\n{lines[-12000:]}"
                    ),
                )
            ],
            step_type=StepType.EXTRACTION,
            agent=AGENT,
            max_tokens=220,
            cache_key="callcenter:call_summary",
        )
        try:
            response = await client.complete(request, Tier.CHEAP, context=CallContext(session_id=session_id))
        except AllProvidersFailed as exc:
            log.warning("voice.transcript.summary_model_failed", session_id=session_id, error=str(exc))
            return extractive
        text = " ".join(response.text.split())
        if not text:
            return extractive
        tail = f" Priority {extractive.priority.value}."
        if len(text) + len(tail) > limit:
            text = text[: limit - len(tail) - 1].rsplit(" ", 1)[0] + "\u2026"
        return CallSummary(text + tail, extractive.priority)

    async def _follow_up(
        self, transcript: TranscriptIn, session_id: str, customer_id: int | None, state: dict[str, Any]
    ) -> dict[str, Any]:
        router = self.runtime.orchestrator.router
        history: list[tuple[str, str]] = []
        decisions = []
        for t in transcript.turns:
            if t.speaker == "customer":
                decision = await router.route(t.text, history[-20:])
                decisions.append(self.runtime.orchestrator.languages.with_emergencies(t.text, decision))
            history.append(("user" if t.speaker == "customer" else "assistant", t.text))
        triage = triage_call(decisions, self.runtime.app.ticket_categories)
        follow_up = (
            "urgent handoff to the emergency queue"
            if triage.emergency
            else f"{triage.ticket_category} ticket"
            if triage.ticket_category
            else None
        )
        summary = await self._summary(transcript, session_id, customer_id, state, follow_up)
        priority = Priority.URGENT if triage.emergency else summary.priority
        body = f"{summary.text}\n\n{callers_words(transcript, 2000 - len(summary.text) - 2)}"  # tool caps body at 2000
        ticket_id: int | None = None
        handoff_id: int | None = None
        out: dict[str, Any] = {}
        if triage.emergency:
            out = await self._hand_over(session_id, customer_id, triage.emergency_reason, summary.text)
            ticket_id, handoff_id = out.get("ticket_id"), out.get("handoff_id")
        elif triage.ticket_category is not None:
            first = next((t.text for t in transcript.turns if t.speaker == "customer"), "")
            subject = f"Phone call ({triage.ticket_category}): {first}"
            out = await self._call_tool(
                session_id,
                customer_id,
                self.runtime.app.ticket_tool or "",
                {
                    "category": triage.ticket_category,
                    "priority": priority.value,
                    "subject": subject if len(subject) <= 120 else subject[:119] + "\u2026",
                    "body": body,
                },
            )
            ticket_id = out.get("ticket_id")
        return {
            "session_id": session_id,
            "verticals": triage.verticals,
            "emergency": triage.emergency,
            "ticket_id": ticket_id,
            # The caller's same report was still open: this call's summary and words were added to that ticket.
            "ticket_already_open": bool(out.get("already_open")),
            "handoff_id": handoff_id,
            "customer_id": customer_id,
            "priority": priority.value,
            "summary": summary.text,
        }

    async def _hand_over(
        self, session_id: str, customer_id: int | None, emergency: str, summary: str
    ) -> dict[str, Any]:
        """An urgent handoff to a person through the business's handoff service."""
        handoff = HumanHandoff(self.runtime.app, self.pool, limits=ToolLimits.of(self.runtime.settings))
        if not handoff.available:
            raise TranscriptError(500, "tool_missing", "This deployment has no human handoff tool for follow-up.")
        request = HumanHandoffRequest(
            "emergency",
            Priority.URGENT,
            summary,
            f"emergency reported on a phone call: {emergency}",
        )
        try:  # the key makes a retried post replay the stored result instead of acting twice
            out = await handoff.hand_over(
                request,
                session_id=session_id,
                customer_id=customer_id,
                turn_id=None,
                agent=AGENT,
                idempotency_key=f"transcript:{self.runtime.app.human_handoff_tool}",
            )
        except ToolError as exc:
            log.error("voice.transcript.follow_up_failed", session_id=session_id, tool="handoff", error=str(exc))
            raise TranscriptError(
                500, "follow_up_failed", "The call was stored but its follow-up failed; post it again to retry."
            ) from None
        return out or {}

    async def _call_tool(
        self, session_id: str, customer_id: int | None, name: str, args: dict[str, Any]
    ) -> dict[str, Any]:
        tool = self.runtime.app.tools.get(name)
        if tool is None:
            raise TranscriptError(500, "tool_missing", f"This deployment has no {name} tool for follow-up.")
        runner = TurnTools(
            pool=self.pool,
            tools={name: tool},
            session_id=session_id,
            turn_id=None,
            customer_id=customer_id,
            agent=AGENT,
            now=datetime.now(UTC),
            max_calls=1,
            limits=ToolLimits.of(self.runtime.settings),
        )
        try:  # the key makes a retried post replay the stored result instead of acting twice
            return await runner.call(name, args, idempotency_key=f"transcript:{name}")
        except ToolError as exc:
            log.error("voice.transcript.follow_up_failed", session_id=session_id, tool=name, error=str(exc))
            raise TranscriptError(
                500, "follow_up_failed", "The call was stored but its follow-up failed; post it again to retry."
            ) from None


async def handle_transcript(runtime: Runtime, body: bytes) -> web.Response:
    """POST /v1/voice/transcripts, after the transport checked size and signature."""
    try:
        # Parsing, cleaning and masking up to 5 MB is CPU work: off the event loop.
        transcript = await asyncio.to_thread(parse_transcript, body)
        status, result = await TranscriptIngest(runtime).ingest(transcript)
    except TranscriptError as exc:
        return exc.response()
    except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError) as exc:
        log.error("voice.transcript.db_unavailable", error=str(exc))
        return error_response(503, "unavailable", "We could not reach our records just now; post the call again.")
    return web.json_response(result, status=status)

"""Handing a conversation to a person: one service for the web chat, the phone relay and call transcripts.

The business names the tool that does it (`HUMAN_HANDOFF_TOOL` in its agents module); the tool
takes `queue`, `priority`, `summary` and `reason` and may answer with a `ticket_id` and a
`handoff_id`. It runs like any tool — for the session's customer, once per idempotency key —
so a retried turn or a re-posted call never hands over twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from callcenter.app import App
from callcenter.channels.limits import SlidingWindow
from callcenter.routing.emergency import detect_emergency
from callcenter.settings import Settings
from callcenter.specialists.flow import HumanHandoffRequest, clip_words
from callcenter.store.conversations import BegunTurn, ConversationStore
from callcenter.tooling.executor import ToolCapExceeded, TurnTools
from callcenter.tooling.toolkit import ToolError, ToolLimits

log = structlog.get_logger(__name__)

SUMMARY_CHARS = 1000
REASON_CHARS = 300


# The client address of the conversation a turn belongs to, set by a channel that has one (the
# web chat) around its turn: an anonymous conversation's handoffs count against its budget.
CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("handoff_client_address", default=None)


class HandoffBudgetSpent(ToolError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="handoff_budget")


@dataclass
class AnonymousHandoffBudget:
    """How many people anonymous conversations may alert: per client address and in all, per hour.

    A gas report needs no sign-in, so one address once opened 20 urgent handoffs and tickets a
    minute, each ahead of every real customer in the queue (red-team F5; any Spanish sentence
    likewise reached the Spanish queue). Past the budget the customer still gets every safety step
    and the emergency line, only not the claim that a person was alerted. A conversation whose
    handoff is already open (a second "I smell gas") costs nothing: the tool updates that ticket.
    The address window is per process (like the other per-address limits); the total is counted
    in the database, across processes.
    """

    per_address: int
    total: int
    window: SlidingWindow | None = None

    @classmethod
    def of(cls, settings: Settings) -> AnonymousHandoffBudget:
        return cls(settings.anonymous_handoffs_per_address_per_hour, settings.anonymous_handoffs_per_hour)

    def __post_init__(self) -> None:
        self.window = SlidingWindow(max(1, self.per_address), 3600.0, max_keys=50_000)

    async def refusal(self, conn: asyncpg.Connection | asyncpg.Pool, session_id: str, address: str) -> str | None:
        """Why this anonymous conversation may not alert a person now; None when it may (and is counted)."""
        sid = uuid.UUID(session_id)
        if await conn.fetchval(
            "SELECT 1 FROM handoffs WHERE session_id = $1 AND kind = 'human' AND status IN ('waiting', 'held')", sid
        ):
            return None
        spent = await conn.fetchval(
            """SELECT count(*) FROM handoffs h JOIN sessions s ON s.id = h.session_id
               WHERE h.kind = 'human' AND s.customer_id IS NULL AND h.created_at > now() - interval '1 hour'"""
        )
        if spent >= self.total:
            return f"{spent} anonymous handoffs in the last hour (CALLCENTER_ANONYMOUS_HANDOFFS_PER_HOUR)"
        assert self.window is not None
        if self.per_address <= 0 or self.window.hit(address) is not None:
            return (
                f"{self.per_address} anonymous handoffs from this address in the last hour "
                "(CALLCENTER_ANONYMOUS_HANDOFFS_PER_ADDRESS_PER_HOUR)"
            )
        return None


class HumanHandoff:
    def __init__(
        self,
        app: App,
        pool: asyncpg.Pool,
        *,
        clock: Callable[[], datetime] | None = None,
        budget: AnonymousHandoffBudget | None = None,
        limits: ToolLimits | None = None,
    ) -> None:
        self.app = app
        self.pool = pool
        self._clock = clock or (lambda: datetime.now(UTC))
        self.budget = budget
        self.limits = limits or ToolLimits()

    @classmethod
    def of(
        cls, app: App, pool: asyncpg.Pool, settings: Settings, *, clock: Callable[[], datetime] | None = None
    ) -> HumanHandoff:
        """With the settings' anonymous budget and per-customer limits (CALLCENTER_OPEN_HANDOFFS_PER_CUSTOMER)."""
        return cls(app, pool, clock=clock, budget=AnonymousHandoffBudget.of(settings), limits=ToolLimits.of(settings))

    @property
    def available(self) -> bool:
        """Whether the business has a way to reach a person at all."""
        return self.app.human_handoff_tool is not None and self.app.human_handoff_tool in self.app.tools

    async def hand_over(
        self,
        request: HumanHandoffRequest,
        *,
        session_id: str,
        customer_id: int | None,
        turn_id: int | None,
        agent: str,
        idempotency_key: str,
    ) -> dict[str, Any] | None:
        """Run the business's handoff tool; its result, or None when the business has none.

        Raises `ToolError` when the tool refuses: the caller decides what the customer hears.
        """
        if not self.available:
            return None
        address = CLIENT_ADDRESS.get()
        if customer_id is None and address is not None and self.budget is not None:
            refused = await self.budget.refusal(self.pool, session_id, address)
            if refused is not None:
                log.warning("handoff.budget_spent", session_id=session_id, queue=request.queue, why=refused)
                raise HandoffBudgetSpent(f"Not handed over: {refused}.")
        tool = self.app.tools[str(self.app.human_handoff_tool)]
        runner = TurnTools(
            pool=self.pool,
            tools={tool.name: tool},
            session_id=session_id,
            turn_id=turn_id,
            customer_id=customer_id,
            agent=agent,
            now=self._clock(),
            max_calls=1,
            limits=self.limits,
        )
        try:
            return await runner.call(tool.name, handoff_arguments(request), idempotency_key=idempotency_key)
        except ToolCapExceeded:
            raise
        except ToolError as exc:  # once more with the reason as the summary: a summary is never why nobody came
            log.error("handoff.retrying", session_id=session_id, error=str(exc), queue=request.queue)
            plain = HumanHandoffRequest(request.queue, request.priority, request.reason, request.reason)
            runner.max_calls += 1
            return await runner.call(tool.name, handoff_arguments(plain), idempotency_key=f"{idempotency_key}:plain")


def recent_words(history: list[tuple[str, str]], text: str, limit: int = 400) -> str:
    """A short deterministic summary: the customer's recent words, newest last."""
    said = [t for role, t in history if role == "user"][-3:] + [text]
    joined = " / ".join(said)
    return joined[-limit:]


def handoff_arguments(request: HumanHandoffRequest) -> dict[str, str]:
    """The handoff tool's arguments, each within its bounds and the summary never empty.

    A flow's summary may come out empty (a long message over its cap once did, red-team F13) or
    blank: the reason, else the queue, stands in, so a person is never left unalerted because
    of how the conversation was summarised.
    """
    summary = clip_words(request.summary.strip(), SUMMARY_CHARS)
    reason = clip_words(request.reason.strip(), REASON_CHARS)
    return {
        "queue": request.queue,
        "priority": request.priority.value,
        "summary": summary or reason or f"Handoff to {request.queue} ({request.priority.value})",
        "reason": reason,
    }


# A sentence of a reply that says a person was reached: dropped when the handoff was not stored.
_PERSON_CLAIM = re.compile(
    r"[^.!?]*\b(alerted|notified|is joining|are joining|will join|connecting you|connected you|pass(ed|ing) (you|it|"
    r"your)|handed|hand(ing)? you|they'll see|will see this conversation|our team will|someone will)"
    r"\b[^.!?]*[.!?]?",
    re.I,
)


def unreached_reply(text: str, line: str | None, *, urgent: bool) -> str:
    """The reply when no person could be reached: what it said, less any claim that one was, and
    the number to call. An emergency keeps its safety steps (red-team F13: a long gas report was
    told "a person is joining" while the handoff had failed)."""
    kept = " ".join(_PERSON_CLAIM.sub(" ", text).split())
    number = f" at {line}" if line else ""
    if urgent:
        tail = f"I could not reach our team just now. Please call our emergency line{number} right away."
    else:
        tail = f"I could not reach our team just now. Please call us{number} or try again in a few minutes."
    return f"{kept} {tail}" if kept else tail


class HeldEmergencies:
    """An emergency reported while a person holds the conversation: the whole team hears of it, at once.

    While an operator holds a session the bot stays silent and the customer's messages go to that
    operator (docs/desk.md). The red-team found (F17) that "I smell gas" then got only `received`:
    no safety steps, no emergency number, the handoff stayed `normal` in the `general` queue, and
    the holder had closed their desk a quarter of an hour earlier, so nobody read it.

    So the emergency rules read every held message too. One that reports an emergency lifts the
    hold: the session's held handoffs go back to the queue (the holder's desk gets `released`
    with `by_other`), and the message gets a bot turn like any other, so the emergency agent
    answers with its safety steps and the emergency line and opens the urgent handoff, which tops
    every operator's queue. The previous holder can take it back with one click.
    """

    def __init__(
        self,
        app: App,
        store: ConversationStore,
        rules: Callable[[str], str | None] | None,
        other_languages: Callable[[str], str | None],
    ) -> None:
        self.app = app
        self.store = store
        self._rules = rules  # the router's emergency rules (with its slip fixer), when it has them
        self._other_languages = other_languages

    @classmethod
    def for_router(
        cls, app: App, store: ConversationStore, router: object, other_languages: Callable[[str], str | None]
    ) -> HeldEmergencies:
        """With the router's own emergency rules (a wrapping router's inner one's), when it has them."""
        rules = getattr(router, "emergency_kind", None) or getattr(
            getattr(router, "inner", None), "emergency_kind", None
        )
        return cls(app, store, rules, other_languages)

    def kind(self, text: str) -> str | None:
        """The emergency `text` reports, by the same rules the router reads every message with."""
        if self.app.emergency_vertical is None:
            return None
        if self._rules is not None:
            kind = self._rules(text)
        else:
            terms = self.app.emergency_terms
            kind = detect_emergency(text, terms) if terms else detect_emergency(text)
        return kind or self._other_languages(text)

    async def lift(self, session_id: str, begun: BegunTurn, *, owner: str, lease_s: float) -> BegunTurn | None:
        """The held message's own bot turn, begun, when it reports an emergency; else None (it stays held)."""
        text, message_id = begun.message_text, begun.message_id
        if text is None or message_id is None or (kind := self.kind(text)) is None:
            return None
        async with self.store.pool.acquire() as conn, conn.transaction():
            sid = uuid.UUID(session_id)
            holder = await conn.fetchval("SELECT held_by FROM sessions WHERE id = $1 FOR UPDATE", sid)
            await conn.execute("UPDATE sessions SET held_by = NULL, updated_at = now() WHERE id = $1", sid)
            await conn.execute(
                """UPDATE handoffs SET status = 'waiting', operator_id = NULL, taken_at = NULL
                   WHERE session_id = $1 AND kind = 'human' AND status = 'held'""",
                sid,
            )
            await conn.execute(
                """INSERT INTO turns (session_id, message_id, owner, lease_until)
                   SELECT $1, $2, $3, clock_timestamp() + make_interval(secs => $4)
                   WHERE NOT EXISTS (SELECT 1 FROM turns WHERE session_id = $1 AND outcome = 'pending')""",
                sid,
                message_id,
                owner,
                lease_s,
            )
        log.warning("turn.held_emergency", session_id=session_id, kind=kind, holder=holder)
        lifted = await self.store.begin_turn(session_id, None, owner=owner, lease_s=lease_s)
        return lifted if lifted.kind == "recover" and lifted.message_id == message_id else None

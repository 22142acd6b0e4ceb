"""One user turn, channel-agnostic: persist -> route -> hand off -> specialist -> verify -> reply -> persist.

The orchestrator owns the order of those steps and the caps that stop runaway loops. It holds no conversation
in memory: every turn starts from the database, so any process can continue any session.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from callcenter import emergency_mode
from callcenter.app import App
from callcenter.conversation import SWITCH_CONFIDENCE, close_turn, plan_turn, routing_text
from callcenter.conversation.memory import KEY as GLUE_KEY
from callcenter.delivery import DeltaSink, chunk_text
from callcenter.handoff import HeldEmergencies, HumanHandoff, recent_words, unreached_reply
from callcenter.language.turn import LanguageTurns
from callcenter.providers.client import CallContext
from callcenter.providers.deadline import turn_deadline
from callcenter.redaction import may_continue_a_number, redact_continuation
from callcenter.routing.router import Router, clip_long_text
from callcenter.settings import Settings
from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import HumanHandoffRequest
from callcenter.specialists.output_filter import OutputFilter, scrub_reply
from callcenter.specialists.seam import OnDelta, SpecialistBackend, SpecialistResult, SpecialistTurn
from callcenter.store.conversations import BegunTurn, ConversationStore, MessageRecord, SessionRecord, TurnOutcome
from callcenter.store.turn_keeper import SessionBusy, TurnKeeper
from callcenter.telemetry.tracing import span
from callcenter.telemetry.turns import bind_agent, bind_turn, observe_handoff, observe_route, observe_turn, turn_scope
from callcenter.tooling.executor import TurnTools
from callcenter.tooling.toolkit import ToolError
from callcenter.types import HandoffContext, Priority, RouteDecision

log = structlog.get_logger(__name__)

__all__ = [
    "InvalidMessage",
    "Orchestrator",
    "SessionBusy",
    "SessionForbidden",
    "SessionNotFound",
    "TurnResult",
    "chunk_text",
]


class SessionNotFound(Exception):
    pass


class SessionForbidden(Exception):
    pass


class InvalidMessage(ValueError):
    pass


@dataclass(slots=True)
class TurnResult:
    session_id: str
    text: str
    agent: str
    vertical: str
    confidence: float
    turn_id: int
    human_handoff: bool = False  # a person was alerted (the handoff is stored)
    unreached_queue: str | None = None  # a handoff to this queue was asked for and could not be stored
    escalations: int = 0
    latency_ms: float = 0.0
    tools: list[str] = field(default_factory=list)
    held: bool = False  # a person holds the session: the message went to them, the bot did not answer
    replayed: bool = False  # the stored reply of a resent message, not a new turn
    language: str | None = None  # the language the reply is in (callcenter/language/), when detected


class Orchestrator:
    def __init__(
        self,
        *,
        app: App,
        store: ConversationStore,
        router: Router,
        backend: SpecialistBackend,
        settings: Settings,
        clock: Any = None,
        keeper: TurnKeeper | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.router = router
        self.backend = backend
        self.settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        self.output_filter = OutputFilter(store.pool, noun=app.customer_noun)
        self.keeper = keeper or TurnKeeper(store, settings)
        self.handoff = HumanHandoff.of(app, store.pool, settings, clock=self._clock)
        self.languages = LanguageTurns(app, store, self.handoff)
        self.held = HeldEmergencies.for_router(app, store, router, self.languages.emergency_in)

    # --- sessions ------------------------------------------------------------------
    async def open_session(
        self, *, channel: str, customer_id: int | None, session_id: str | None = None, policy: str = "routed"
    ) -> SessionRecord:
        """Resume `session_id` if it belongs to this customer, else start a new session."""
        if session_id:
            session = await self.store.get_session(session_id)
            if session is None:
                raise SessionNotFound(session_id)
            if session.customer_id is not None and session.customer_id != customer_id:
                raise SessionForbidden(session_id)
            return session
        return await self.store.create_session(channel=channel, customer_id=customer_id, policy=policy)

    def validate_text(self, text: str) -> str:
        text = text.strip()
        if not text:
            raise InvalidMessage("Message text is empty.")
        if len(text) > self.settings.max_message_chars:
            raise InvalidMessage(f"Message is {len(text)} characters; the limit is {self.settings.max_message_chars}.")
        return text

    # --- one turn ------------------------------------------------------------------
    async def handle_turn(self, session_id: str, text: str, **kwargs: Any) -> TurnResult:
        """One turn inside its telemetry scope: session_id/turn_id on every log line, one trace span."""
        with turn_scope(session_id):
            async with self.keeper.admit():  # past this node's bound: `busy` before any database work
                return await self._handle_turn(session_id, text, **kwargs)

    async def _handle_turn(
        self, session_id: str, text: str, *, on_delta: OnDelta | None = None, client_id: str | None = None
    ) -> TurnResult:
        """Answer one customer message, exactly once per `client_id`.

        Turns of one session run one at a time across nodes: a message arriving while another
        runs waits up to `session_wait_s`, then raises SessionBusy. A pending turn left by a dead
        process is finished first; a resent `client_id` gets its stored (or recovered) reply.
        """
        text = self.validate_text(text)
        try:  # earlier messages matter only to a number split over messages (a round trip less otherwise)
            earlier = await self.store.history(session_id, limit=19) if may_continue_a_number(text) else []
        except ValueError:  # not a session id at all
            raise SessionNotFound(session_id) from None
        text = await self._redact(text, earlier)  # never stored, logged or sent to a model
        wait_until = time.monotonic() + self.settings.session_wait_s
        async with self.keeper.session(session_id, wait_until):
            delay = 0.02
            while True:
                begun = await self.store.begin_turn(
                    session_id, text, owner=self.keeper.node_id, lease_s=self.settings.turn_lease_s, client_id=client_id
                )
                if begun.kind == "no_session":
                    raise SessionNotFound(session_id)
                if begun.kind == "replied":
                    return await self._stored_result(session_id, begun, on_delta)
                if begun.kind == "held":  # a person at the desk answers (docs/desk.md): stored, no bot turn
                    lease = self.settings.turn_lease_s  # unless it reports an emergency (handoff.py)
                    lifted = await self.held.lift(session_id, begun, owner=self.keeper.node_id, lease_s=lease)
                    if lifted is not None:
                        return await self._run_turn(session_id, lifted, on_delta)
                    log.info("turn.held", session_id=session_id)
                    return TurnResult(
                        session_id=session_id,
                        text="",
                        agent="human",
                        vertical="human",
                        confidence=1.0,
                        turn_id=0,
                        human_handoff=True,
                        held=True,
                    )
                if begun.kind in ("new", "resume"):
                    return await self._run_turn(session_id, begun, on_delta)
                if begun.kind == "recover":  # an earlier message whose process died: finish it first
                    log.info("turn.recovering", session_id=session_id, turn_id=begun.turn_id)
                    await self._run_turn(session_id, begun, None)
                    continue
                remaining = wait_until - time.monotonic()  # busy: running on another node
                if remaining <= 0:
                    raise SessionBusy(begun.retry_after_s or 1.0)
                await asyncio.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.5)

    async def finish_pending(self, session_id: str) -> None:
        """Finish the session's pending turn if its process died (the sweeper; a resuming client)."""
        try:
            async with self.keeper.session(session_id, time.monotonic()):
                while True:
                    begun = await self.store.begin_turn(
                        session_id, None, owner=self.keeper.node_id, lease_s=self.settings.turn_lease_s
                    )
                    if begun.kind != "recover":
                        return
                    log.info("turn.recovering", session_id=session_id, turn_id=begun.turn_id)
                    await self._run_turn(session_id, begun, None)
        except SessionBusy:  # a turn of this session is running here; it will finish
            return

    async def _stored_result(self, session_id: str, begun: BegunTurn, on_delta: OnDelta | None) -> TurnResult:
        """A resent message: the reply already stored for it, sent again, nothing run again."""
        assert begun.turn_id is not None
        text, agent = begun.reply or "", begun.reply_agent or "general"
        if on_delta is not None and text:
            await on_delta(text)
        return TurnResult(
            session_id=session_id,
            text=text,
            agent=agent,
            vertical=begun.vertical or agent,
            confidence=begun.confidence or 0.0,
            turn_id=begun.turn_id,
            replayed=True,
        )

    async def _run_turn(self, session_id: str, begun: BegunTurn, on_delta: OnDelta | None) -> TurnResult:
        assert begun.turn_id is not None and begun.message_text is not None
        async with self.keeper.leased(begun.turn_id):
            return await self._run_leased_turn(session_id, begun, on_delta)

    async def _run_leased_turn(self, session_id: str, begun: BegunTurn, on_delta: OnDelta | None) -> TurnResult:
        started = time.perf_counter()
        turn_id, text = begun.turn_id, begun.message_text
        assert turn_id is not None and text is not None
        session = begun.session_record()  # read in the same round trip that opened the turn
        if session is None:
            raise SessionNotFound(session_id)
        log_ = log.bind(session_id=session_id, turn_id=turn_id)
        bind_turn(turn_id, route=session.policy, channel=session.channel)
        # A person's messages ('agent') were our side of the conversation; their release note comes last.
        history = [("assistant" if role == "agent" else role, said) for role, said in (begun.history or [])]
        note = session.state.get("operator_note")
        if note:
            history.append(("assistant", f"[Note from our team, who handled this conversation: {note}]"))

        full, text = text, clip_long_text(text, self.settings.understand_max_chars)  # a long paste: head and tail
        glossed = self.languages.glossed(text)  # "mi inodoro esta tapado, can you send someone": words it knows
        with span("route"):
            said = routing_text(self.app, glossed) if full is text else full  # the request; all of a long one
            decision = await self.router.route(said, history, context=CallContext(session_id, turn_id))
        heard = await self.languages.hear(session, text, decision)  # another language: caught and answered in it
        decision = heard.decision
        text = self.languages.flows_read(heard, text, glossed)  # the flows read mixed-in words in the base language
        mode = emergency_mode.active(session.state, self._clock())  # an emergency this session reported
        decision = emergency_mode.steer(self.app, mode, decision, text, SWITCH_CONFIDENCE)
        observe_route(decision.latency_ms)
        log_.info(
            "turn.routed",
            vertical=decision.vertical,
            confidence=round(decision.confidence, 3),
            emergency=decision.emergency,
            latency_ms=round(decision.latency_ms, 3),
        )
        plan = await plan_turn(  # callcenter/conversation/: who answers what, and the glue's memory
            self.app,
            self.router,
            session,
            text,
            history,
            decision,
            self._clock(),
            context=CallContext(session_id, turn_id),
            foreign=heard.pack is not None,
            max_cuts=self.settings.split_max_cuts,
        )
        agent, switched, state, text, decision = plan.agent, plan.switched, plan.state, plan.text, plan.decision
        ctx = HandoffContext(
            session_id=session_id,
            customer_id=session.customer_id,
            customer_name=session.customer_name,
            channel=session.channel,
            vertical=agent.vertical,
            confidence=min(1.0, max(0.0, decision.confidence)),
            from_agent=session.active_agent or "router",
            to_agent=agent.name,
            details={
                **({"emergency": decision.reason} if decision.emergency else {}),
                **({"operator_note": note} if note else {}),
                **emergency_mode.details(mode),
            },
            summary=recent_words(history, text),
            priority=Priority.URGENT if decision.emergency else Priority.NORMAL,
        )
        if switched:  # recorded with the reply (complete_turn): a turn that dies re-runs and records it then
            observe_handoff(agent.name, human=False)
            log_.info("turn.handoff", to_agent=agent.name, from_agent=ctx.from_agent)

        tools = TurnTools(
            pool=self.store.pool,
            tools={t.name: t for t in agent.tools},
            session_id=session_id,
            turn_id=turn_id,
            customer_id=session.customer_id,
            agent=agent.name,
            now=self._clock(),
            max_calls=self.settings.max_tool_calls_per_turn,
            defer_reads=begun.kind == "new",  # nothing recorded by an earlier attempt (tooling/executor.py)
            handoff=ctx if switched else None,  # stored before the turn's first write, else with the reply
            limits=self.handoff.limits,
        )
        directory = await self.output_filter.directory()  # no reply names another customer (output_filter.py)
        own = session.customer_id
        sink = DeltaSink(on_delta, lambda t: scrub_reply(t, own, directory).text) if on_delta is not None else None
        bind_agent(agent.name)
        with span("specialist", agent=agent.name):
            result = await self.languages.answer(
                heard, session, ctx, turn_id, agent.name
            ) or await self._run_specialist(session, agent, text, state, ctx, tools, history, turn_id, decision, sink)
        human, handed, unreached = result.human, None, None
        await self.languages.served(heard, session, result, agent.vertical)  # their language's person not needed now
        if human is not None:
            await tools.flush()  # the agent change and what the turn read are stored before the handoff writes
            result.text, handed = await self._hand_to_human(session, turn_id, agent, human, result.text)
            if handed is None and self.handoff.available:  # no person was alerted: never said to be
                unreached = human
        done = result.done or human is not None
        result.text, glue = close_turn(self.app, plan, result.text, result.state, done=done, human=human)
        result.text = self.languages.spoken_reply(heard, result.text)  # "necesito cambiar mi cita": in Spanish
        scrubbed = scrub_reply(result.text, own, directory)
        if scrubbed.removed:  # another customer's details never leave, whatever the model wrote
            log_.warning("reply.scrubbed", removed=list(scrubbed.removed), agent=agent.name)
            result.text = scrubbed.text

        if sink is not None:
            await sink.finish(result.text)
        latency = (time.perf_counter() - started) * 1000
        completed = await self.store.complete_turn(
            session_id,
            turn_id,
            owner=self.keeper.node_id,
            reply=result.text,
            agent=agent.name,
            active_agent=None if done else agent.name,
            state={
                "agent_state": {} if done else result.state,
                "last_vertical": agent.vertical,
                **({GLUE_KEY: glue} if glue else {}),
                **({"operator_note": note} if note else {}),
                **emergency_mode.remember(mode, human, handed, text, tools.now, result.state),
            },
            steps=1 + len(tools.calls),
            outcome=TurnOutcome(
                vertical=decision.vertical,
                confidence=decision.confidence,
                difficulty=decision.difficulty,
                agent=agent.name,
                tier=int(result.tier) if result.tier else None,
                outcome="human" if human else result.outcome,
                escalations=result.escalations,
                latency_ms=latency,
            ),
            handoff=tools.handoff,
            tool_records=tools.unrecorded(),
        )
        if not completed:  # presumed dead and taken over: the other node's reply is the one stored
            log_.warning("turn.taken_over")
            stored = await self._wait_for_reply(turn_id)
            return TurnResult(
                session_id=session_id,
                text=stored[0],
                agent=stored[1] or agent.name,
                vertical=decision.vertical,
                confidence=decision.confidence,
                turn_id=turn_id,
                replayed=True,
            )
        log_.info("turn.replied", agent=agent.name, human=human is not None, latency_ms=round(latency, 2))
        if human is not None:
            observe_handoff("human", human=True)
        outcome = "human" if human else result.outcome
        observe_turn(channel=session.channel, agent=agent.name, outcome=outcome, latency_ms=latency)
        return TurnResult(
            session_id=session_id,
            text=result.text,
            agent=agent.name,
            vertical=decision.vertical,
            confidence=decision.confidence,
            turn_id=turn_id,
            human_handoff=human is not None and unreached is None,
            unreached_queue=unreached.queue if unreached is not None else None,
            escalations=result.escalations,
            latency_ms=latency,
            tools=[c.tool for c in tools.calls],
            language=heard.language,
        )

    async def _redact(self, text: str, earlier: list[MessageRecord]) -> str:
        """Mask card numbers, SSNs and bank numbers, also one begun in the customer's previous messages."""
        said = [m for m in earlier if m.role == "user"][-4:]
        if len(text) <= 1_000:
            masked = redact_continuation([m.text for m in said], text)
        else:  # a long message takes milliseconds to scan: not on the event loop
            masked = await asyncio.to_thread(redact_continuation, [m.text for m in said], text)
        for index, new_text in masked.earlier.items():  # rewritten before the turn reads its history
            await self.store.replace_message_text(said[index].id, new_text)
        return masked.text

    async def _wait_for_reply(self, turn_id: int) -> tuple[str, str | None]:
        deadline = time.monotonic() + self.settings.session_wait_s
        while True:
            stored = await self.store.turn_reply(turn_id)
            if stored is not None:
                return stored
            if time.monotonic() >= deadline:
                raise SessionBusy(1.0)
            await asyncio.sleep(0.1)

    async def _run_specialist(
        self,
        session: SessionRecord,
        agent: AgentSpec,
        text: str,
        state: dict[str, Any],
        ctx: HandoffContext,
        tools: TurnTools,
        history: list[tuple[str, str]],
        turn_id: int,
        decision: RouteDecision,
        on_delta: OnDelta | None,
    ) -> SpecialistResult:
        if session.step_count >= self.settings.max_steps_per_session:
            return SpecialistResult(
                text="This conversation has reached its automated step limit, so I'm passing it to a person.",
                human=HumanHandoffRequest("general", Priority.NORMAL, ctx.summary, "session step cap reached"),
                outcome="step_cap",
            )
        turn = SpecialistTurn(
            agent=agent,
            text=text,
            state=state,
            context=ctx,
            tools=tools,
            now=tools.now,
            history=history,
            turn_id=turn_id,
            difficulty=decision.difficulty,
            claims=self.app.claims,
            promises=self.app.promises,
        )
        try:
            with turn_deadline(self.settings.turn_deadline_s):  # model calls and their retries stop here
                result = await self.backend.run(turn, on_delta)
        except Exception as exc:  # the customer always gets an answer or an honest handoff
            log.exception("specialist.failed", session_id=ctx.session_id, agent=agent.name, error=str(exc))
            return SpecialistResult(
                text="Sorry, something went wrong on our side. I've passed your message to our team.",
                human=HumanHandoffRequest("general", Priority.HIGH, ctx.summary, f"specialist error: {exc}"),
                outcome="error",
            )
        if result.human is None:
            # Evidence: this turn's tool results and the flow's state before and after the turn (what it
            # offered or found earlier, itself taken from earlier tool results).
            verdict = result.verdict
            if verdict is None:
                verdict = turn.verify(result.text, [*result.tool_results, result.state, state])
            if not verdict.ok:
                log.warning(
                    "verifier.rejected",
                    session_id=ctx.session_id,
                    agent=agent.name,
                    reasons=verdict.reasons,
                    reply=result.text[:300],
                )
                return SpecialistResult(
                    text="I want to be sure I get this right, so I'm passing you to a person who can confirm.",
                    human=HumanHandoffRequest(
                        "general", Priority.NORMAL, ctx.summary, "verifier: " + "; ".join(verdict.reasons)
                    ),
                    outcome="verifier_handoff",
                    tier=result.tier,
                    escalations=result.escalations,
                )
        return result

    async def _hand_to_human(
        self, session: SessionRecord, turn_id: int, agent: AgentSpec, req: HumanHandoffRequest, text: str
    ) -> tuple[str, dict[str, Any] | None]:
        """The reply with the ticket's reference, and the handoff tool's result (None if it failed)."""
        try:
            out = await self.handoff.hand_over(
                req,
                session_id=session.id,
                customer_id=session.customer_id,
                turn_id=turn_id,
                agent=agent.name,
                idempotency_key=f"turn{turn_id}:human",
            )
        except ToolError as exc:
            log.error("handoff.failed", session_id=session.id, error=str(exc), queue=req.queue, priority=req.priority)
            return unreached_reply(text, self.app.emergency_line, urgent=req.priority is Priority.URGENT), None
        ticket = (out or {}).get("ticket_id")
        if ticket and f"#{ticket}" not in text:
            text = f"{text} (Reference: ticket #{ticket}.)"
        return text, out

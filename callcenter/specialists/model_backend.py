"""Specialists on models: tool use through the typed tools, verification, escalation, fallback.

`ModelBackend` is the product's model path: the specialist's LLM picks tools and writes
the reply; every step starts on the tier the routing policy picks; a low-confidence step
(hedge, refusal, invalid tool arguments, low logprobs, verifier rejection) is re-run one
tier up, capped per turn; when the top allowed tier still fails, or no provider answers,
the turn goes to the agent's deterministic flow (or a human).
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import structlog

from callcenter.app import App
from callcenter.fakellm.oracle import DIFFICULTY_HEADER
from callcenter.providers.base import ChatMessage, ModelResponse
from callcenter.providers.client import AllProvidersFailed, CallContext, ModelClient
from callcenter.settings import Settings
from callcenter.specialists.escalation import Ladder, NoTierLeft, Retry, RoundLimit, climb
from callcenter.specialists.flow import HumanHandoffRequest
from callcenter.specialists.judge import ModelJudge
from callcenter.specialists.prompt_layout import SharedPrefix, agent_request, cache_plan_for
from callcenter.specialists.seam import FlowBackend, OnDelta, SpecialistResult, SpecialistTurn, flow_first_turn
from callcenter.specialists.tier_policy import RoutingPolicy, policy_from_settings
from callcenter.specialists.verified_stream import VerifiedStream
from callcenter.specialists.verifier import is_non_answer
from callcenter.tooling.executor import ToolArgumentError, ToolCapExceeded
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Priority, StepType, Tier, Verdict

log = structlog.get_logger(__name__)

MAX_TOOL_ROUNDS = 6


def history_messages(turn: SpecialistTurn) -> list[ChatMessage]:
    """Prior user/assistant turns as chat messages, the customer context on the newest one.

    The customer context rides on the user message, not the system prompt, so the prefix
    (tools, instructions) is byte-identical across sessions and the prompt cache hits.
    """
    msgs = [
        ChatMessage(role="user" if r == "user" else "assistant", text=t)
        for r, t in turn.history[-12:]
        if r in ("user", "assistant")
    ]
    while msgs and msgs[0].role != "user":
        msgs.pop(0)
    who = turn.context.customer_name or "an unverified visitor (not signed in)"
    msgs.append(ChatMessage(role="user", text=f"[Customer: {who}. Today: {turn.now:%A %Y-%m-%d}.]\n{turn.text}"))
    return msgs


class ModelBackend:
    name = "llm"

    def __init__(
        self,
        client: ModelClient,
        policy: RoutingPolicy,
        *,
        fallback: FlowBackend | None = None,
        judge: ModelJudge | None = None,
        shared: SharedPrefix | None = None,
        stream_sentences: bool = True,
    ) -> None:
        self.client = client
        self.policy = policy
        self.fallback = fallback or FlowBackend()
        self.judge = judge
        self.shared = shared
        self.stream_sentences = stream_sentences

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult:
        """One turn. With `on_delta` the reply streams sentence by sentence as it is generated:
        sentences without a claim at once, the rest once verified (specialists/verified_stream.py);
        a phone caller hears each sentence as it arrives (channels/voice_protocol.SpeakableStream)."""
        policy = self.policy.with_overrides(turn.agent.routing)
        flow_answers = policy.flow_answers(
            turn.agent.name, flow_first=turn.agent.flow_first, difficulty=turn.difficulty
        )
        if flow_answers and turn.agent.flow is not None:
            return await flow_first_turn(turn)
        step = StepType.TOOL_SELECTION if turn.agent.tools else StepType.RESPONSE
        ladder = Ladder(
            policy,
            policy.start_tier(step, turn.agent.default_tier, turn.difficulty),
            session_id=turn.context.session_id,
            turn_id=turn.turn_id,
        )
        messages = history_messages(turn)
        results: list[dict[str, Any]] = []  # this turn's tool results: the verifier's and judge's evidence
        stream = None
        if on_delta is not None and self.stream_sentences:
            # a claim-free sentence still passes the verifier on its own before it is sent
            stream = VerifiedStream(on_delta, check_sentence=lambda s: turn.verify(s, results).ok)

        async def check(text: str) -> Verdict:
            """The verifier's rules on the reply, then the judge (when configured)."""
            if is_non_answer(
                text,
                user_text=turn.text,
                consulted_tools=bool(turn.tools.calls),
                acts_on_account=turn.agent.acts_on_account,
            ):
                return Verdict(
                    False, 0.0, ["verifier: no answer (an account question, no tool result, no question back)"]
                )
            verdict = turn.verify(text, results)
            if not verdict.ok:
                return Verdict(False, verdict.confidence, ["verifier: " + "; ".join(verdict.reasons)])
            if verdict.confidence < policy.verifier_min_confidence:
                return Verdict(False, verdict.confidence, [f"verifier: confidence {verdict.confidence:.2f}"])
            judged = await self._judge(turn, text, results)
            return verdict if judged is None else Verdict(False, 0.0, ["judge: " + judged])

        async def call(tier: Tier, context: CallContext) -> ModelResponse:
            response = await self._call(turn, messages, step, tier, context, stream)
            if stream is not None:
                await stream.end_call()
            return response

        async def judge(response: ModelResponse) -> SpecialistResult | Retry | None:
            if response.tool_calls:
                problem = await self._run_tools(turn, response, messages, results)
                if problem is None:
                    return None  # another round with the tools' results
                rejected(problem)
                return Retry(problem)
            verdict = await (stream.finish(check) if stream is not None else check(response.text))
            if not verdict.ok:
                return Retry("; ".join(verdict.reasons))
            return SpecialistResult(
                text=stream.sent if stream is not None else response.text,
                state={},
                done=False,
                tool_results=results,
                tier=response.model.tier,
                escalations=ladder.escalations,
                verdict=verdict,
            )

        def rejected(reason: str) -> None:
            """A response failed before verification: what it streamed so far is not continued."""
            if stream is not None:
                stream.abandon()

        try:
            return await climb(ladder, call, judge, max_rounds=MAX_TOOL_ROUNDS, rejected=rejected)
        except NoTierLeft as exc:
            return await self._fall_back(turn, ladder, f"no tier left after: {exc.reason}", stream)
        except RoundLimit:
            return await self._fall_back(turn, ladder, "tool round limit reached", stream)
        except AllProvidersFailed as exc:
            log.error("model.unavailable", session_id=turn.context.session_id, error=str(exc))
            return await self._fall_back(turn, ladder, "providers unavailable", stream)

    async def _call(
        self,
        turn: SpecialistTurn,
        messages: list[ChatMessage],
        step: StepType,
        tier: Tier,
        context: CallContext,
        stream: VerifiedStream | None = None,
    ) -> ModelResponse:
        request = agent_request(
            turn.agent, messages, shared=self.shared, step_type=step, extra_headers=_difficulty_header(turn.difficulty)
        )
        return await self.client.complete(
            request, tier, context=context, on_delta=stream.feed if stream is not None else None
        )

    async def _run_tools(
        self, turn: SpecialistTurn, response: ModelResponse, messages: list[ChatMessage], results: list[dict[str, Any]]
    ) -> str | None:
        """Execute the requested tools; an argument error is an escalation reason, other refusals go back."""
        replies: list[ChatMessage] = []
        for call in response.tool_calls:
            args: dict[str, Any] | str = call.arguments if call.arguments is not None else call.raw_arguments
            try:
                out = await turn.tools.call(call.name, args, idempotency_key=f"turn{turn.turn_id}:{call.id}")
            except ToolArgumentError as exc:
                return f"invalid tool arguments for {call.name}: {exc}"
            except ToolCapExceeded:
                raise
            except ToolError as exc:
                replies.append(ChatMessage(role="tool", text=f"Error: {exc}", tool_call_id=call.id, is_error=True))
                continue
            results.append(out)
            replies.append(ChatMessage(role="tool", text=json.dumps(out, default=str), tool_call_id=call.id))
        messages.append(ChatMessage(role="assistant", text=response.text, tool_calls=list(response.tool_calls)))
        messages.extend(replies)
        return None

    async def _judge(self, turn: SpecialistTurn, reply: str, results: list[dict[str, Any]]) -> str | None:
        """The judge's failure reason, or None when it passes (or there is no judge)."""
        if self.judge is None:
            return None
        verdict = await self.judge.check(
            user_text=turn.text,
            reply=reply,
            tool_results=results,
            agent=turn.agent.name,
            context=CallContext(session_id=turn.context.session_id, turn_id=turn.turn_id),
        )
        return None if verdict.ok else verdict.reason

    async def _fall_back(
        self, turn: SpecialistTurn, ladder: Ladder, why: str, stream: VerifiedStream | None = None
    ) -> SpecialistResult:
        """The deterministic flow when the agent has one, else an honest human handoff; after
        what a stream already said (claim-free sentences), which is kept, not retracted."""
        result = await self._fallback_result(turn, ladder, why)
        if stream is not None and stream.sent:
            stream.abandon()
            result.text = stream.sent + result.text  # the orchestrator's DeltaSink sends only the rest
        return result

    async def _fallback_result(self, turn: SpecialistTurn, ladder: Ladder, why: str) -> SpecialistResult:
        if turn.agent.flow is not None:
            try:
                result = await self.fallback.run(turn)
            except ToolCapExceeded:
                pass
            else:
                result.escalations, result.outcome = ladder.escalations, "fallback_flow"
                log.info("model.fallback", agent=turn.agent.name, why=why)
                return result
        return SpecialistResult(
            text="I want to make sure this is handled properly, so I'm passing you to a member of our team.",
            human=HumanHandoffRequest("general", Priority.NORMAL, turn.context.summary, f"model fallback: {why}"),
            escalations=ladder.escalations,
            outcome="fallback_human",
            tier=ladder.tier,
        )


def _difficulty_header(difficulty: float | None) -> dict[str, str]:
    return {} if difficulty is None else {DIFFICULTY_HEADER: f"{difficulty:.3f}"}


async def build_model_backend(settings: Settings, pool: asyncpg.Pool, app: App, extras: dict[str, Any]) -> ModelBackend:
    from callcenter.providers import build_providers
    from callcenter.providers.breaker import CircuitBreaker
    from callcenter.providers.catalog import Catalog
    from callcenter.providers.recorder import PostgresCallRecorder

    catalog = Catalog.load(settings.catalog_path)
    flows = settings.flow_first
    shared = (
        SharedPrefix.from_app(app, flow_first=flows) if settings.shared_prompt_prefix and app.shared_context else None
    )
    plan = cache_plan_for(app, catalog, settings, flow_first=flows) if shared is not None else None
    providers = build_providers(settings, catalog, cache_plan=plan)
    client = ModelClient(
        catalog,
        providers,
        PostgresCallRecorder(pool),
        max_retries=settings.provider_max_retries,
        breaker_factory=lambda name: CircuitBreaker(
            name,
            failures=settings.breaker_failures,
            cooldown_s=settings.breaker_cooldown_s,
            probe_timeout_s=settings.breaker_probe_timeout_s,
            hang_s=settings.breaker_hang_s,
        ),
    )
    extras["model_client"] = client
    extras["close"] = client.aclose  # Runtime.close() closes the providers' connections
    policy = policy_from_settings(
        settings, "flow-first" if settings.flow_first else "routed", tier0=app.flow_reliability.tier0
    )
    judge = (
        ModelJudge(client, instructions=app.judge_instructions, customer_noun=app.customer_noun)
        if settings.verifier_judge
        else None
    )
    return ModelBackend(client, policy, judge=judge, shared=shared, stream_sentences=settings.verified_streaming)

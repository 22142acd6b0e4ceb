"""Run a suite: every scenario × policy × trial on a fresh copy of the fixtures, in parallel.

The fixtures are built once per run as a template database (migrated, seeded with a fixed
`today`), and each scenario run gets `CREATE DATABASE … TEMPLATE` — a file-level copy that
takes milliseconds — so runs never see each other's writes and can go in parallel. The
orchestrator's clock is fixed too, so "tomorrow at 10" means the same slot in every run.

Offline, model policies talk to an in-process fake provider through the real SDK clients:
one per policy and trial, seeded by trial (so trials are independent draws and policies see
the same draws). One per policy because each policy stands for a deployment of its own: its
prompt caches start cold and it pays its own cache writes, rather than the first policy to
run warming the caches every later one reads. With `--live` and keys they use the real
providers and the real tool-use backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import structlog

from callcenter.app import App, load_app
from callcenter.evals.backends import (
    ALL_POLICIES,
    LOCAL,
    TURN_DIFFICULTY,
    LabelledDifficultyRouter,
    base_policy,
    labelled_difficulty,
)
from callcenter.evals.fixtures import TemplateDatabase, apply_fixtures, template_database
from callcenter.evals.judge import Snapshot, Transcript, judge
from callcenter.evals.metrics import TrialResult
from callcenter.evals.progress import Progress
from callcenter.evals.scenario import DEFAULT_TIME, DEFAULT_TODAY, Scenario
from callcenter.evals.user_sim import make_user
from callcenter.orchestrator import Orchestrator
from callcenter.providers.budget import Budget, BudgetedProvider
from callcenter.routing.router import Router
from callcenter.settings import Settings
from callcenter.specialists.seam import (
    FlowBackend,
    OnDelta,
    SpecialistBackend,
    SpecialistResult,
    SpecialistTurn,
)
from callcenter.specialists.tier_policy import get_policy, policy_from_settings
from callcenter.store.conversations import ConversationStore
from callcenter.store.db import create_pool

log = structlog.get_logger(__name__)

BUSINESS_TZ_NAME = "America/New_York"


class EvalError(Exception):
    pass


@dataclass
class EvalConfig:
    policies: list[str] = field(default_factory=lambda: ["routed"])
    trials: int = 1
    concurrency: int = 4
    seed: int = 0
    latency_scale: float = 1.0
    live: bool = False
    providers: tuple[str, ...] = ("anthropic",)
    today: date = DEFAULT_TODAY
    progress: bool = True
    difficulty_source: str = "auto"  # auto | labels | model | none
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # policy -> RoutingPolicy fields
    max_usd: Decimal | None = None  # spending cap on provider calls (required with live)


@dataclass
class EvalRun:
    config: EvalConfig
    scenarios: list[Scenario]
    results: dict[str, list[TrialResult]]
    started_at: str
    seconds: float
    mode: str
    budget: dict[str, Any] | None = None  # {max_usd, spent_usd, not_run} when a cap was set


class CountingBackend:
    """A trial's specialist backend, counting the turns a flow answered with no model call (outcome
    `flow`: tier 0 or flow-first), so the report can say per route how many turns cost nothing, and
    which agent answered each turn (whether it called a tool), for `--flow-reliability`."""

    def __init__(self, inner: SpecialistBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.flow_turns = 0
        self.agent_turns: list[tuple[str, bool]] = []

    async def run(self, turn: SpecialistTurn, on_delta: OnDelta | None = None) -> SpecialistResult:
        calls_before = len(turn.tools.calls)
        result = await self.inner.run(turn, on_delta)
        if result.outcome == "flow":
            self.flow_turns += 1
        self.agent_turns.append((turn.agent.name, len(turn.tools.calls) > calls_before))
        return result


class SuiteRunner:
    def __init__(self, settings: Settings, config: EvalConfig) -> None:
        self.settings = settings
        self.config = config
        self.app: App = load_app(settings.agents_module)
        self._stack = AsyncExitStack()
        self._fake_providers: dict[tuple[str, int], dict[str, Any]] = {}
        self._live_providers: dict[str, Any] | None = None
        self._catalog: Any = None
        self._shared: dict[bool, Any] = {}  # by whether the policy answers flow_first agents by their flows
        self._cache_plans: dict[bool, Any] = {}
        self.budget: Budget | None = Budget(config.max_usd) if config.max_usd is not None else None
        self.not_run = 0
        self.router: Router | None = None
        self.template: TemplateDatabase | None = None

    @property
    def mode(self) -> str:
        return "live" if self.config.live else "offline"

    async def __aenter__(self) -> SuiteRunner:
        from callcenter.runtime import build_local_router

        unknown = [p for p in self.config.policies if base_policy(p) not in ALL_POLICIES]
        if unknown:
            raise EvalError(f"unknown policy {unknown[0]!r}; choose from {', '.join(ALL_POLICIES)}")
        self.router = LabelledDifficultyRouter(
            build_local_router(self.settings, self.app), mode=self.config.difficulty_source
        )
        self.template = await self._stack.enter_async_context(template_database(self.settings, self.config.today))
        if any(p != LOCAL for p in self.config.policies):
            await self._start_models()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _start_models(self) -> None:
        from callcenter.providers.catalog import Catalog
        from callcenter.specialists.prompt_layout import SharedPrefix, cache_plan_for

        self._catalog = Catalog.load(self.settings.catalog_path)
        if self.settings.shared_prompt_prefix and self.app.shared_context:
            # A flow-first deployment's prompts carry only the tools of the agents models serve.
            for flows in {self._flows(p) for p in self.config.policies if p != LOCAL}:
                self._shared[flows] = SharedPrefix.from_app(self.app, flow_first=flows)
                self._cache_plans[flows] = cache_plan_for(
                    self.app, self._catalog, self.settings, self.config.today, flow_first=flows
                )
        if self.config.live:
            from callcenter.providers import build_providers

            if not self.settings.uses_models:
                raise EvalError("--live needs ANTHROPIC_API_KEY or OPENAI_API_KEY")
            if self.budget is None:
                raise EvalError("--live spends real money: give a cap with --max-usd (e.g. --max-usd 5)")
            self._live_providers = self._budgeted(
                # one set of live providers serves every policy: the plan of the full prefix
                build_providers(self.settings, self._catalog, cache_plan=self._cache_plans.get(False))
            )
            return
        from callcenter.fakellm import FakeLLMServer
        from callcenter.providers.anthropic_provider import AnthropicProvider
        from callcenter.providers.openai_provider import OpenAIProvider

        model_policies = [p for p in self.config.policies if p != LOCAL]
        for policy, trial in ((p, t) for p in model_policies for t in range(self.config.trials)):
            fake = await self._stack.enter_async_context(
                FakeLLMServer(
                    seed=self.config.seed + trial,
                    latency_scale=self.config.latency_scale,
                    pace=self.config.latency_scale,
                )
            )
            providers: dict[str, Any] = {}
            plan = self._cache_plans.get(self._flows(policy))
            if "anthropic" in self.config.providers:
                providers["anthropic"] = AnthropicProvider(
                    api_key="fake", base_url=fake.base_url, timeout_s=30, cache_plan=plan
                )
            if "openai" in self.config.providers:
                providers["openai"] = OpenAIProvider(
                    api_key="fake", base_url=fake.openai_base_url, timeout_s=30, cache_plan=plan
                )
            if not providers:
                raise EvalError("--providers must name anthropic and/or openai")
            for p in providers.values():
                closer = getattr(p, "aclose", None)
                if closer is not None:
                    self._stack.push_async_callback(closer)
            self._fake_providers[(policy, trial)] = self._budgeted(providers)

    def _flows(self, policy_name: str) -> bool:
        """Whether the policy answers the turns of `flow_first` agents by their flows."""
        return get_policy(base_policy(policy_name)).flow_first

    def _budgeted(self, providers: dict[str, Any]) -> dict[str, Any]:
        """The providers behind the run's spending cap, when there is one."""
        if self.budget is None:
            return providers
        return {name: BudgetedProvider(p, self.budget) for name, p in providers.items()}

    def _backend(self, policy_name: str, pool: asyncpg.Pool, trial: int) -> tuple[SpecialistBackend, Any]:
        if policy_name == LOCAL:
            return FlowBackend(), None
        from callcenter.providers.client import ModelClient
        from callcenter.providers.recorder import PostgresCallRecorder

        providers = self._live_providers if self.config.live else self._fake_providers[(policy_name, trial)]
        assert providers is not None
        client = ModelClient(
            self._catalog, providers, PostgresCallRecorder(pool), max_retries=self.settings.provider_max_retries
        )
        policy = policy_from_settings(
            self.settings,
            base_policy(policy_name),
            self.config.overrides.get(policy_name),
            tier0=self.app.flow_reliability.tier0,
        )
        if self.config.live:
            from callcenter.specialists.model_backend import ModelBackend

            return ModelBackend(client, policy, shared=self._shared.get(False)), client
        from callcenter.specialists.guided_backend import GuidedModelBackend

        shared = self._shared.get(policy.flow_first)
        return GuidedModelBackend(client, policy, difficulty_for=labelled_difficulty, shared=shared), client

    def _now(self, scenario: Scenario) -> datetime:
        from zoneinfo import ZoneInfo

        if scenario.now is not None:
            now = scenario.now
            return now if now.tzinfo else now.replace(tzinfo=ZoneInfo(BUSINESS_TZ_NAME))
        return datetime.combine(self.config.today, DEFAULT_TIME, tzinfo=ZoneInfo(BUSINESS_TZ_NAME))

    async def run_trial(self, scenario: Scenario, policy_name: str, trial: int) -> TrialResult:
        assert self.template is not None and self.router is not None
        result = TrialResult(scenario.id, scenario.route, policy_name, trial, False, "not run")
        refused_before = self.budget.refused if self.budget is not None else 0
        name, dsn = await self.template.clone()
        pool: asyncpg.Pool | None = None
        store: ConversationStore | None = None
        backend: CountingBackend | None = None
        try:
            pool = await create_pool(dsn, min_size=1, max_size=3)
            store = ConversationStore(pool)
            async with pool.acquire() as conn:
                await apply_fixtures(conn, scenario, self.config.today)
                before = await Snapshot.take(conn)
            inner, _client = self._backend(policy_name, pool, trial)
            backend = CountingBackend(inner)
            now = self._now(scenario)
            orch = Orchestrator(
                app=self.app,
                store=store,
                router=self.router,
                backend=backend,
                settings=self.settings,
                clock=lambda: now,
            )
            session = await orch.open_session(
                channel=scenario.channel, customer_id=scenario.customer, policy=policy_name
            )
            result.session_id = session.id
            user = make_user(scenario, llm=self._user_llm(), persona=self.app.user_persona)
            reply: str | None = None
            tools: list[str] = []
            while True:
                turn = await user.next_turn(reply)
                if turn is None:
                    break
                token = TURN_DIFFICULTY.set(turn.difficulty)
                try:
                    out = await orch.handle_turn(session.id, turn.text)
                finally:
                    TURN_DIFFICULTY.reset(token)
                reply = out.text
                result.replies.append(out.text)
                result.turn_latencies_ms.append(out.latency_ms)
                result.turns += 1
                result.escalated_turns += 1 if out.escalations else 0
                result.handoff = result.handoff or out.human_handoff
                tools.extend(out.tools)
            async with pool.acquire() as conn:
                verdict = await judge(
                    conn, scenario, Transcript(session.id, result.replies, tools), before, today=self.config.today
                )
                await self._collect_costs(conn, result)
                result.handoff = result.handoff or bool(
                    await conn.fetchval("SELECT count(*) FROM handoffs WHERE kind = 'human'")
                )
            result.passed, result.reason = verdict.ok, verdict.reason
            if self.budget is not None and self.budget.refused > refused_before:
                result.passed, result.reason = False, "stopped: budget cap reached during the conversation"
        except Exception as exc:  # a crashing scenario is a failed scenario, with the reason
            log.exception("eval.trial_error", scenario=scenario.id, policy=policy_name)
            result.passed, result.reason = False, f"error: {type(exc).__name__}: {exc}"[:300]
        finally:
            if backend is not None:  # the turns flows answered count even if a later turn failed
                result.flow_turns = backend.flow_turns
                result.agent_turns = backend.agent_turns
            if store is not None:
                await store.close()  # its queued message notifications, sent before the pool closes
            if pool is not None:
                await pool.close()
            self.template.drop_copy(name)
        return result

    def _user_llm(self) -> Any:
        if not self.config.live or self._live_providers is None:
            return None
        from callcenter.providers.client import ModelClient

        return ModelClient(self._catalog, self._live_providers, None)

    async def _collect_costs(self, conn: asyncpg.Connection, result: TrialResult) -> None:
        rows = await conn.fetch(
            """SELECT tier, count(*) AS n, COALESCE(sum(cost_usd), 0) AS cost,
                      COALESCE(sum(frontier_cost_usd), 0) AS frontier,
                      COALESCE(sum(input_tokens), 0) AS input, COALESCE(sum(output_tokens), 0) AS output,
                      COALESCE(sum(cache_read_tokens), 0) AS read, COALESCE(sum(cache_write_tokens), 0) AS write
               FROM model_calls GROUP BY tier"""
        )
        result.tier_calls = {int(r["tier"]): int(r["n"]) for r in rows}
        result.tier_usage = {
            int(r["tier"]): {
                "cost_usd": Decimal(r["cost"]),
                "input_tokens": Decimal(r["input"]),
                "output_tokens": Decimal(r["output"]),
                "cache_read_tokens": Decimal(r["read"]),
                "cache_write_tokens": Decimal(r["write"]),
                "cache_write_cost_usd": Decimal(0),
                "rerun_cost_usd": Decimal(0),
            }
            for r in rows
        }
        for tier, spent in (await self._write_costs(conn)).items():
            result.tier_usage[tier]["cache_write_cost_usd"] = spent
        for r in await conn.fetch(
            """SELECT m.tier, sum(m.cost_usd) AS cost FROM model_calls m
               WHERE EXISTS (SELECT 1 FROM model_calls e WHERE e.escalation_of = m.id) GROUP BY m.tier"""
        ):
            # A call some later call re-ran one tier up (it hedged, refused or got the step
            # wrong): its cost bought nothing but the knowledge that the tier was too weak.
            result.tier_usage[int(r["tier"])]["rerun_cost_usd"] = Decimal(r["cost"])
        result.cost_usd = sum((Decimal(r["cost"]) for r in rows), Decimal(0))
        result.frontier_cost_usd = sum((Decimal(r["frontier"]) for r in rows), Decimal(0))

    async def _write_costs(self, conn: asyncpg.Connection) -> dict[int, Decimal]:
        """Per tier, what the trial's prompt-cache writes cost (each call's model and day priced as
        in its cost_usd): mostly each prefix's first write, which a policy pays once per cache
        lifetime however many calls then read it, so it weighs more in a short eval than in service."""
        if self._catalog is None:
            return {}
        out: dict[int, Decimal] = {}
        for r in await conn.fetch(
            """SELECT tier, model, created_at::date AS day, sum(cache_write_tokens) AS write
               FROM model_calls WHERE cache_write_tokens > 0 GROUP BY 1, 2, 3"""
        ):
            try:
                price = self._catalog.get(r["model"]).prices_on(r["day"]).cache_write_5m
            except KeyError:
                continue
            out[int(r["tier"])] = out.get(int(r["tier"]), Decimal(0)) + Decimal(r["write"]) * price / 1_000_000
        return out

    async def run(
        self, scenarios: Sequence[Scenario], on_result: Callable[[TrialResult], None] | None = None
    ) -> dict[str, list[TrialResult]]:
        jobs = [(p, s, t) for p in self.config.policies for s in scenarios for t in range(self.config.trials)]
        progress = Progress(len(jobs), enabled=self.config.progress)
        sem = asyncio.Semaphore(max(1, self.config.concurrency))
        results: dict[str, list[TrialResult]] = {p: [] for p in self.config.policies}

        async def one(policy: str, scenario: Scenario, trial: int) -> None:
            async with sem:
                if self.budget is not None and self.budget.exhausted:
                    self.not_run += 1  # stop before overspending: the rest is not started
                    res = TrialResult(scenario.id, scenario.route, policy, trial, False, "not run: budget cap reached")
                else:
                    res = await self.run_trial(scenario, policy, trial)
            results[policy].append(res)
            progress.update(res.passed)
            if on_result is not None:
                on_result(res)

        await asyncio.gather(*(one(p, s, t) for p, s, t in jobs))
        order = {s.id: i for i, s in enumerate(scenarios)}
        for trials in results.values():
            trials.sort(key=lambda r: (order[r.scenario_id], r.trial))
        return results


async def run_eval(settings: Settings, scenarios: Sequence[Scenario], config: EvalConfig) -> EvalRun:
    started = time.perf_counter()
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    async with SuiteRunner(settings, config) as runner:
        results = await runner.run(scenarios)
        mode = runner.mode
        budget = None
        if runner.budget is not None:
            budget = {
                "max_usd": float(runner.budget.max_usd),
                "spent_usd": float(runner.budget.spent_usd),
                "calls_refused": runner.budget.refused,
                "not_run": runner.not_run,
            }
    return EvalRun(config, list(scenarios), results, stamp, time.perf_counter() - started, mode, budget)

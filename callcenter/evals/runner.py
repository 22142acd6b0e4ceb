"""Run a suite: every scenario × policy × trial on a fresh copy of the fixtures, in parallel.

The fixtures are built once per run as a template database (migrated, seeded with a fixed
`today`), and each scenario run gets `CREATE DATABASE … TEMPLATE` — a file-level copy that
takes milliseconds — so runs never see each other's writes and can go in parallel. The
orchestrator's clock is fixed too, so "tomorrow at 10" means the same slot in every run.

Offline, model policies talk to an in-process fake provider (one per trial, seeded
differently, so trials are independent draws) through the real SDK clients; with `--live`
and keys they use the real providers and the real tool-use backend.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

import asyncpg
import structlog

from callcenter.app import App, load_app
from callcenter.evals.judge import Snapshot, Transcript, judge
from callcenter.evals.metrics import TrialResult
from callcenter.evals.scenario import DEFAULT_TIME, DEFAULT_TODAY, Scenario, placeholders, substitute
from callcenter.evals.user_sim import make_user
from callcenter.orchestrator import Orchestrator
from callcenter.routing.router import Router
from callcenter.settings import Settings
from callcenter.specialists.seam import FlowBackend, SpecialistBackend, SpecialistTurn
from callcenter.specialists.tier_policy import POLICIES, RoutingPolicy, get_policy
from callcenter.store.conversations import ConversationStore
from callcenter.store.db import connect, create_pool, drop_database, resolve_dsn, with_database
from callcenter.store.migrate import migrate
from callcenter.types import RouteDecision

log = structlog.get_logger(__name__)

LOCAL = "local"
MODEL_POLICIES = tuple(POLICIES)
ALL_POLICIES = (LOCAL, *MODEL_POLICIES)
BUSINESS_TZ_NAME = "America/New_York"

# The labelled difficulty of the turn being handled, per scenario task (contextvars follow asyncio tasks).
_TURN_DIFFICULTY: contextvars.ContextVar[float | None] = contextvars.ContextVar("eval_turn_difficulty", default=None)


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


@dataclass
class EvalRun:
    config: EvalConfig
    scenarios: list[Scenario]
    results: dict[str, list[TrialResult]]
    started_at: str
    seconds: float
    mode: str


def base_policy(name: str) -> str:
    """`routed#t0.5-e1` -> `routed`: calibration runs variants of a policy side by side."""
    return name.split("#", 1)[0]


def policy_for(name: str, settings: Settings, overrides: dict[str, Any] | None = None) -> RoutingPolicy:
    """The routing policy under test: the routed one takes its thresholds from settings (what
    `calibrate` writes), then any explicit overrides; the single-tier baselines are fixed."""
    if name != "routed":
        return get_policy(name, **(overrides or {}))
    tuned: dict[str, Any] = {
        "difficulty_threshold": settings.difficulty_threshold,
        "verifier_min_confidence": settings.verifier_min_confidence,
        "max_escalations": settings.max_escalations_per_turn,
    }
    tuned.update(overrides or {})
    return get_policy(name, **tuned)


class LabelledDifficultyRouter:
    """The product's router, with each turn's difficulty taken from the scenario's label when
    the router predicts none (no difficulty model configured) — or always, with `force`.

    The label is also what the fake provider uses as the turn's true difficulty, so this is
    the routed policy with a perfect difficulty predictor; `--difficulty model` measures the
    trained predictor instead, `none` routes without difficulty.
    """

    def __init__(self, inner: Router, *, mode: str = "auto") -> None:
        self.inner = inner
        self.mode = mode

    async def route(self, text: str, history: Sequence[tuple[str, str]] = ()) -> RouteDecision:
        decision = await self.inner.route(text, history)
        label = _TURN_DIFFICULTY.get()
        if self.mode == "none":
            return replace(decision, difficulty=None)
        if self.mode == "labels" or (self.mode == "auto" and decision.difficulty is None):
            return replace(decision, difficulty=label)
        return decision


def labelled_difficulty(turn: SpecialistTurn) -> float | None:
    return _TURN_DIFFICULTY.get()


# --------------------------------------------------------------------------- databases


class TemplateDatabase:
    """A migrated, seeded database that every scenario run is copied from."""

    def __init__(self, server_dsn: str, settings: Settings, today: date) -> None:
        self.server_dsn = server_dsn
        self.settings = settings
        self.today = today
        self.name = f"cc_eval_tmpl_{uuid.uuid4().hex[:10]}"
        self._lock = asyncio.Lock()
        self._drops: set[asyncio.Task[None]] = set()
        self._drop_slots = asyncio.Semaphore(16)

    async def create(self) -> None:
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        conn = await connect(with_database(self.server_dsn, self.name))
        try:
            await migrate(conn)
            seed = importlib.import_module(self.settings.tools_module + ".seed").seed
            await seed(conn, today=self.today)
        finally:
            await conn.close()

    async def clone(self) -> tuple[str, str]:
        """A fresh copy: (database name, DSN). Copies are serialised: PostgreSQL refuses two
        copies of one template at the same instant."""
        name = f"cc_eval_{uuid.uuid4().hex[:12]}"
        async with self._lock:
            conn = await asyncpg.connect(self.server_dsn)
            try:
                await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
            finally:
                await conn.close()
        return name, with_database(self.server_dsn, name)

    def drop_copy(self, name: str) -> None:
        """Drop a copy in the background: DROP DATABASE waits for a checkpoint (seconds at
        times), and concurrent drops share one, so the run does not wait for each."""

        async def drop() -> None:
            async with self._drop_slots:
                try:
                    await drop_database(self.server_dsn, name)
                except Exception:  # noqa: BLE001 - a leftover copy must not fail the eval
                    log.warning("eval.drop_failed", database=name)

        task = asyncio.create_task(drop())
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def drop(self) -> None:
        if self._drops:
            await asyncio.gather(*list(self._drops))
        await drop_database(self.server_dsn, self.name)


@asynccontextmanager
async def template_database(settings: Settings, today: date) -> AsyncIterator[TemplateDatabase]:
    tmpl = TemplateDatabase(resolve_dsn(settings), settings, today)
    await tmpl.create()
    try:
        yield tmpl
    finally:
        await tmpl.drop()


async def apply_fixtures(conn: asyncpg.Connection, scenario: Scenario, today: date) -> None:
    """Scenario rows (JSON-typed through json_populate_record, so dates and numbers just work)
    and raw SQL, with placeholders substituted."""
    values = placeholders(today, scenario.customer)
    for table, rows in scenario.fixtures.items():
        for row in rows:
            row = substitute(row, values)
            cols = ", ".join(f'"{c}"' for c in row)
            await conn.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM json_populate_record(NULL::{table}, $1::text::json)",
                json.dumps(row, default=str),
            )
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1,"
            " false)"
        )
    for sql in scenario.fixtures_sql:
        await conn.execute(str(substitute(sql, values)))


# --------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr: no dependency, quiet when not a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self._last_decile = -1

    def update(self, passed: bool) -> None:
        self.done += 1
        self.failed += 0 if passed else 1
        if not self.enabled or self.total == 0:
            return
        decile = self.done * 10 // self.total
        if not self.tty and decile == self._last_decile and self.done != self.total:
            return
        self._last_decile = decile
        width = 30
        filled = width * self.done // self.total
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"failed {self.failed}  {time.perf_counter() - self.started:5.1f}s"
        )
        end = "\n" if self.done == self.total or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + line + end)
        self.stream.flush()


# --------------------------------------------------------------------------- the run


class SuiteRunner:
    def __init__(self, settings: Settings, config: EvalConfig) -> None:
        self.settings = settings
        self.config = config
        self.app: App = load_app(settings.agents_module)
        self._stack = AsyncExitStack()
        self._fake_providers: dict[int, dict[str, Any]] = {}
        self._live_providers: dict[str, Any] | None = None
        self._catalog: Any = None
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

        self._catalog = Catalog.load(self.settings.catalog_path)
        if self.config.live:
            from callcenter.providers import build_providers

            if not self.settings.uses_models:
                raise EvalError("--live needs ANTHROPIC_API_KEY or OPENAI_API_KEY")
            self._live_providers = build_providers(self.settings, self._catalog)
            return
        from callcenter.fakellm import FakeLLMServer
        from callcenter.providers.anthropic_provider import AnthropicProvider
        from callcenter.providers.openai_provider import OpenAIProvider

        for trial in range(self.config.trials):
            fake = await self._stack.enter_async_context(
                FakeLLMServer(seed=self.config.seed + trial, latency_scale=self.config.latency_scale)
            )
            providers: dict[str, Any] = {}
            if "anthropic" in self.config.providers:
                providers["anthropic"] = AnthropicProvider(api_key="fake", base_url=fake.base_url, timeout_s=30)
            if "openai" in self.config.providers:
                providers["openai"] = OpenAIProvider(api_key="fake", base_url=fake.openai_base_url, timeout_s=30)
            if not providers:
                raise EvalError("--providers must name anthropic and/or openai")
            for p in providers.values():
                closer = getattr(p, "aclose", None)
                if closer is not None:
                    self._stack.push_async_callback(closer)
            self._fake_providers[trial] = providers

    def _backend(self, policy_name: str, pool: asyncpg.Pool, trial: int) -> tuple[SpecialistBackend, Any]:
        if policy_name == LOCAL:
            return FlowBackend(), None
        from callcenter.providers.client import ModelClient
        from callcenter.providers.recorder import PostgresCallRecorder

        providers = self._live_providers if self.config.live else self._fake_providers[trial]
        assert providers is not None
        client = ModelClient(
            self._catalog, providers, PostgresCallRecorder(pool), max_retries=self.settings.provider_max_retries
        )
        policy = policy_for(base_policy(policy_name), self.settings, self.config.overrides.get(policy_name))
        if self.config.live:
            from callcenter.specialists.model_backend import ModelBackend

            return ModelBackend(client, policy), client
        from callcenter.specialists.guided_backend import GuidedModelBackend

        return GuidedModelBackend(client, policy, difficulty_for=labelled_difficulty), client

    def _now(self, scenario: Scenario) -> datetime:
        from zoneinfo import ZoneInfo

        if scenario.now is not None:
            now = scenario.now
            return now if now.tzinfo else now.replace(tzinfo=ZoneInfo(BUSINESS_TZ_NAME))
        return datetime.combine(self.config.today, DEFAULT_TIME, tzinfo=ZoneInfo(BUSINESS_TZ_NAME))

    async def run_trial(self, scenario: Scenario, policy_name: str, trial: int) -> TrialResult:
        assert self.template is not None and self.router is not None
        result = TrialResult(scenario.id, scenario.route, policy_name, trial, False, "not run")
        name, dsn = await self.template.clone()
        pool: asyncpg.Pool | None = None
        try:
            pool = await create_pool(dsn, min_size=1, max_size=3)
            async with pool.acquire() as conn:
                await apply_fixtures(conn, scenario, self.config.today)
                before = await Snapshot.take(conn)
            backend, _client = self._backend(policy_name, pool, trial)
            now = self._now(scenario)
            orch = Orchestrator(
                app=self.app,
                store=ConversationStore(pool),
                router=self.router,
                backend=backend,
                settings=self.settings,
                clock=lambda: now,
            )
            session = await orch.open_session(
                channel=scenario.channel, customer_id=scenario.customer, policy=policy_name
            )
            result.session_id = session.id
            user = make_user(scenario, llm=self._user_llm())
            reply: str | None = None
            tools: list[str] = []
            while True:
                turn = await user.next_turn(reply)
                if turn is None:
                    break
                token = _TURN_DIFFICULTY.set(turn.difficulty)
                try:
                    out = await orch.handle_turn(session.id, turn.text)
                finally:
                    _TURN_DIFFICULTY.reset(token)
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
            result.passed, result.reason = verdict.passed, verdict.reason
        except Exception as exc:  # a crashing scenario is a failed scenario, with the reason
            log.exception("eval.trial_error", scenario=scenario.id, policy=policy_name)
            result.passed, result.reason = False, f"error: {type(exc).__name__}: {exc}"[:300]
        finally:
            if pool is not None:
                await pool.close()
            self.template.drop_copy(name)
        return result

    def _user_llm(self) -> Any:
        if not self.config.live or self._live_providers is None:
            return None
        from callcenter.providers.client import ModelClient

        return ModelClient(self._catalog, self._live_providers, None)

    @staticmethod
    async def _collect_costs(conn: asyncpg.Connection, result: TrialResult) -> None:
        rows = await conn.fetch(
            """SELECT tier, count(*) AS n, COALESCE(sum(cost_usd), 0) AS cost,
                      COALESCE(sum(frontier_cost_usd), 0) AS frontier
               FROM model_calls GROUP BY tier"""
        )
        result.tier_calls = {int(r["tier"]): int(r["n"]) for r in rows}
        result.cost_usd = sum((Decimal(r["cost"]) for r in rows), Decimal(0))
        result.frontier_cost_usd = sum((Decimal(r["frontier"]) for r in rows), Decimal(0))

    async def run(
        self, scenarios: Sequence[Scenario], on_result: Callable[[TrialResult], None] | None = None
    ) -> dict[str, list[TrialResult]]:
        jobs = [(p, s, t) for p in self.config.policies for s in scenarios for t in range(self.config.trials)]
        progress = Progress(len(jobs), enabled=self.config.progress)
        sem = asyncio.Semaphore(max(1, self.config.concurrency))
        results: dict[str, list[TrialResult]] = {p: [] for p in self.config.policies}

        async def one(policy: str, scenario: Scenario, trial: int) -> None:
            async with sem:
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
    return EvalRun(config, list(scenarios), results, stamp, time.perf_counter() - started, mode)

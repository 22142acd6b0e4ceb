"""ModelClient: tier selection, retries honouring retry-after, fallback, pricing, recording."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import asyncpg
import pytest

from callcenter.fakellm import Fail, FakeLLMServer, Reply
from callcenter.providers import AllProvidersFailed, CallContext, ModelClient, build_providers
from callcenter.providers.anthropic_provider import AnthropicProvider
from callcenter.providers.base import CallRecorder, ChatMessage, ModelCallRecord, ModelRequest, Provider, ProviderError
from callcenter.providers.catalog import Catalog
from callcenter.providers.client import retry_delay
from callcenter.providers.openai_provider import OpenAIProvider
from callcenter.providers.recorder import PostgresCallRecorder
from callcenter.settings import Settings
from callcenter.types import StepType, Tier

CATALOG = Catalog.load(None)
DAY = date(2026, 11, 1)


class MemoryRecorder:
    def __init__(self) -> None:
        self.rows: list[ModelCallRecord] = []

    async def record(self, call: ModelCallRecord) -> int:
        self.rows.append(call)
        return len(self.rows)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def providers(fake: FakeLLMServer) -> AsyncIterator[dict[str, Provider]]:
    a = AnthropicProvider(api_key="k", base_url=fake.base_url, timeout_s=5.0)
    o = OpenAIProvider(api_key="k", base_url=fake.openai_base_url, timeout_s=5.0)
    yield {"anthropic": a, "openai": o}
    await a.aclose()
    await o.aclose()


def req() -> ModelRequest:
    return ModelRequest(
        system="You are a booking agent.",
        messages=[ChatMessage("user", "Can someone fix my heater?")],
        step_type=StepType.TOOL_SELECTION,
        agent="booking",
    )


def client(
    providers: dict[str, Provider], recorder: CallRecorder | None = None, sleep: Sleeps | None = None
) -> ModelClient:
    return ModelClient(
        CATALOG,
        providers,
        recorder,
        max_retries=2,
        sleep=sleep or Sleeps(),
        today=lambda: DAY,
    )


def test_retry_delay_rules() -> None:
    assert retry_delay(ProviderError("x", retryable=False, status=400), 1) is None
    assert retry_delay(ProviderError("x", retryable=True, retry_after=3.0), 1) == 3.0
    assert retry_delay(ProviderError("x", retryable=True, retry_after=90.0), 1) is None  # go elsewhere
    assert [retry_delay(ProviderError("x", retryable=True), n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]


async def test_429_then_200_honours_retry_after(fake: FakeLLMServer, providers: dict[str, Provider]) -> None:
    fake.script(
        [
            Fail(status=429, retry_after=1.0),
            Reply(text="Thursday works.", usage={"input_tokens": 100, "output_tokens": 20}),
        ]
    )
    sleeps, rec = Sleeps(), MemoryRecorder()
    r = await client({"anthropic": providers["anthropic"]}, rec, sleeps).complete(
        req(), Tier.MID, context=CallContext(session_id=None, turn_id=None, escalation_of=None, escalation_reason=None)
    )
    assert r.text == "Thursday works." and r.model.id == "claude-sonnet-4-6"
    assert sleeps.delays == [1.0]
    assert [row.status for row in rec.rows] == ["error", "ok"]
    assert rec.rows[0].model == rec.rows[1].model == "claude-sonnet-4-6"
    assert "429" in (rec.rows[0].error or "")
    # 100*3 + 20*15 = 600 per million; frontier (opus) 100*5 + 20*25 = 1000 per million
    assert r.cost_usd == Decimal("0.0006") and r.frontier_cost_usd == Decimal("0.001")
    assert r.call_id == 2
    assert len(fake.requests) == 2


async def test_outage_falls_back_within_tier_then_tier_up(fake: FakeLLMServer, providers: dict[str, Provider]) -> None:
    # For a short prompt gpt-5-mini is the cheaper tier-1 model, so it is tried first.
    fake.script([Fail(status=529)] * 3, model="gpt-5-mini")
    fake.script([Fail(status=500)] * 3, model="claude-haiku-4-5")
    sleeps, rec = Sleeps(), MemoryRecorder()
    c = client(providers, rec, sleeps)
    r = await c.complete(req(), Tier.CHEAP)
    assert r.model.id == "gpt-5" and r.model.tier == Tier.MID
    assert [(row.model, row.status) for row in rec.rows] == [
        ("gpt-5-mini", "error"),
        ("gpt-5-mini", "error"),
        ("gpt-5-mini", "error"),
        ("claude-haiku-4-5", "error"),
        ("claude-haiku-4-5", "error"),
        ("claude-haiku-4-5", "error"),
        ("gpt-5", "ok"),
    ]
    assert sleeps.delays == [0.5, 1.0, 0.5, 1.0]  # exponential backoff without retry-after
    assert rec.rows[-1].tier == Tier.MID and rec.rows[-1].cost_usd > 0


async def test_fallback_to_other_model_of_same_tier(fake: FakeLLMServer, providers: dict[str, Provider]) -> None:
    fake.script([Fail(status=400, message="bad request")], model="gpt-5-mini")
    sleeps, rec = Sleeps(), MemoryRecorder()
    r = await client(providers, rec, sleeps).complete(req(), Tier.CHEAP)
    assert r.model.id == "claude-haiku-4-5"
    assert sleeps.delays == []  # a 400 is not retried on the same model
    assert [row.status for row in rec.rows] == ["error", "ok"]


async def test_long_retry_after_goes_elsewhere_instead_of_waiting(
    fake: FakeLLMServer, providers: dict[str, Provider]
) -> None:
    fake.script([Fail(status=429, retry_after=120.0)], model="gpt-5-mini")
    sleeps = Sleeps()
    r = await client(providers, None, sleeps).complete(req(), Tier.CHEAP)
    assert r.model.id == "claude-haiku-4-5" and sleeps.delays == []
    assert r.call_id is None  # no recorder


async def test_all_failed(fake: FakeLLMServer, providers: dict[str, Provider]) -> None:
    fake.script([Fail(status=401)] * 3)
    with pytest.raises(AllProvidersFailed) as info:
        await client({"anthropic": providers["anthropic"]}).complete(req(), Tier.CHEAP)
    assert [mid for mid, _ in info.value.errors] == ["claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-7"]
    with pytest.raises(AllProvidersFailed):
        await client({}).complete(req(), Tier.CHEAP)


async def test_streaming_through_client(fake: FakeLLMServer, providers: dict[str, Provider]) -> None:
    fake.script([Reply(text="Your heater is booked for Friday.")])
    got: list[str] = []

    async def on_delta(d: str) -> None:
        got.append(d)

    r = await client(providers).complete(req(), Tier.FRONTIER, on_delta=on_delta)
    assert "".join(got) == r.text == "Your heater is booked for Friday."
    assert r.model.id == "claude-opus-4-7" and r.cost_usd == r.frontier_cost_usd


async def test_recorder_rows_in_the_database(
    fake: FakeLLMServer, providers: dict[str, Provider], pool: asyncpg.Pool
) -> None:
    session_id = str(uuid.uuid4())
    await pool.execute("INSERT INTO sessions (id, channel) VALUES ($1, 'web')", uuid.UUID(session_id))
    recorder = PostgresCallRecorder(pool)
    c = client({"openai": providers["openai"]}, recorder, Sleeps())
    fake.script([Fail(status=429, retry_after=0.5)])
    fake.script([Reply(text="ok", usage={"input_tokens": 1_952, "output_tokens": 800, "cache_read_tokens": 18_048})])
    first = await c.complete(req(), Tier.MID, context=CallContext(session_id=session_id))
    fake.script([Reply(text="better", usage={"input_tokens": 1_000, "output_tokens": 100})])
    second = await c.complete(
        req(),
        Tier.FRONTIER,
        context=CallContext(session_id=session_id, escalation_of=first.call_id, escalation_reason="low_confidence"),
    )
    rows = await pool.fetch("SELECT * FROM model_calls WHERE session_id = $1 ORDER BY id", uuid.UUID(session_id))
    assert [r["status"] for r in rows] == ["error", "ok", "ok"]
    err, ok, esc = rows
    assert err["model"] == "gpt-5" and err["cost_usd"] == 0 and "429" in err["error"]
    assert ok["id"] == first.call_id and esc["id"] == second.call_id
    assert (ok["input_tokens"], ok["output_tokens"], ok["cache_read_tokens"], ok["cache_write_tokens"]) == (
        1_952,
        800,
        18_048,
        0,
    )
    assert ok["cost_usd"] == Decimal("0.012696") == first.cost_usd
    # gpt-5-pro has no caching: 20000*15 + 800*120 = 396000 per million
    assert ok["frontier_cost_usd"] == Decimal("0.396")
    assert ok["step_type"] == "tool_selection" and ok["agent"] == "booking" and ok["provider"] == "openai"
    assert ok["tier"] == 2 and ok["prices_read_on"] == date(2026, 11, 1) and ok["latency_ms"] > 0
    assert esc["escalation_of"] == ok["id"] and esc["escalation_reason"] == "low_confidence"
    assert esc["model"] == "gpt-5-pro" and esc["tier"] == 3
    total = await pool.fetchval("SELECT sum(cost_usd) FROM model_calls WHERE session_id = $1", uuid.UUID(session_id))
    assert total == first.cost_usd + second.cost_usd


def test_build_providers_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CALLCENTER_CATALOG_PATH"):
        monkeypatch.delenv(var, raising=False)
    assert build_providers(Settings(_env_file=None), CATALOG) == {}  # type: ignore[call-arg]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    built = build_providers(Settings(_env_file=None), CATALOG)  # type: ignore[call-arg]
    assert sorted(built) == ["anthropic", "openai"]
    local = Catalog.from_toml('[models."llama-3.1-8b"]\nenabled = true\n')
    assert "openai_compatible" in build_providers(Settings(_env_file=None), local)  # type: ignore[call-arg]


def test_same_tier_models_are_ordered_by_expected_cost() -> None:
    from datetime import date

    from callcenter.providers.base import ChatMessage, ModelRequest
    from callcenter.providers.catalog import Catalog
    from callcenter.providers.client import expected_cost_usd

    catalog = Catalog.load()
    haiku, sonnet = catalog.get("claude-haiku-4-5"), catalog.get("claude-sonnet-4-6")
    day = date(2026, 11, 28)
    short = ModelRequest(system="Be brief.", messages=[ChatMessage(role="user", text="hi")])
    long = ModelRequest(system="x" * 4 * 5000, messages=[ChatMessage(role="user", text="hi")])
    # Below Haiku's 4,096-token cache floor a 5,000-token prefix is billed as input ($1/M);
    # on Sonnet (floor 1,024) it is a cache read ($0.30/M): the mid model is cheaper per call.
    assert expected_cost_usd(haiku, short, day) < expected_cost_usd(sonnet, short, day)
    assert expected_cost_usd(haiku, long, day) < expected_cost_usd(sonnet, long, day)
    mid = ModelRequest(system="x" * 4 * 3000, messages=[ChatMessage(role="user", text="hi")])
    assert expected_cost_usd(sonnet, mid, day) < expected_cost_usd(haiku, mid, day)

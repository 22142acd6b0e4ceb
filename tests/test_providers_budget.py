"""The spending cap, against the fake provider only (never a real one)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from seeded import with_trained_models

from callcenter.cli.main import main
from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.providers.anthropic_provider import AnthropicProvider
from callcenter.providers.base import ChatMessage, ModelRequest
from callcenter.providers.budget import Budget, BudgetedProvider, BudgetExceeded, worst_case_usd
from callcenter.providers.catalog import Catalog
from callcenter.providers.cost import cost_usd

CATALOG = Catalog.load(None)
OPUS = CATALOG.get("claude-opus-4-7")
SUITE = Path(__file__).resolve().parents[1] / "evals"


def request(text: str) -> ModelRequest:
    return ModelRequest(system="You are a billing agent. " * 20, messages=[ChatMessage("user", text)], max_tokens=300)


async def test_calls_stop_before_the_cap_is_passed(fake: FakeLLMServer) -> None:
    inner = AnthropicProvider(api_key="test", base_url=fake.base_url, timeout_s=5)
    budget = Budget(Decimal("0.05"))
    provider = BudgetedProvider(inner, budget)
    worst = worst_case_usd(OPUS, request("what do I owe?"))
    actual = Decimal(0)
    sent = 0
    try:
        for i in range(200):
            fake.script([Reply(text="Your balance is due. " * 30)])  # a long answer: real spend per call
            try:
                response = await provider.complete(OPUS, request(f"what do I owe? ({i})"))
            except BudgetExceeded as exc:
                assert "--max-usd" in str(exc)
                break
            sent += 1
            actual += cost_usd(response.usage, OPUS.prices_on(date.today()))
    finally:
        await inner.aclose()
    assert budget.exhausted and sent >= 1
    assert len(fake.requests) == sent  # the refused call never reached the provider
    assert budget.spent_usd == actual <= budget.max_usd
    assert budget.max_usd - budget.spent_usd < worst  # it stopped only when the next worst case did not fit
    assert budget.reserved_usd == 0


async def test_a_failed_call_releases_its_reservation(fake: FakeLLMServer) -> None:
    from callcenter.fakellm import Fail
    from callcenter.providers.base import ProviderError

    inner = AnthropicProvider(api_key="test", base_url=fake.base_url, timeout_s=5)
    budget = Budget(Decimal("1"))
    fake.script([Fail(status=500)])
    with pytest.raises(ProviderError):
        await BudgetedProvider(inner, budget).complete(OPUS, request("hi"))
    await inner.aclose()
    assert budget.spent_usd == budget.reserved_usd == 0


@pytest.fixture
def live_env(server_dsn: str, tmp_path: Path, trained_models: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DATABASE_URL", server_dsn)
    monkeypatch.setenv("CALLCENTER_DATA_DIR", str(with_trained_models(tmp_path / "data", trained_models)))
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "callcenter.toml"))
    monkeypatch.setenv("CALLCENTER_BACKEND", "auto")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "fake-key-for-the-fake-provider")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    yield tmp_path


def test_live_without_a_cap_is_refused(
    live_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # nothing may be called anyway
    code = main(["eval", str(SUITE), "--only", "pay-exact-amount", "--live", "--no-progress"])
    assert code == 2
    assert "--max-usd" in capsys.readouterr().err


@contextmanager
def fake_in_a_thread() -> Iterator[FakeLLMServer]:
    """The fake provider on its own event loop in a thread, so the CLI can run in the main
    thread (it installs signal handlers) and call it over loopback."""
    loop = asyncio.new_event_loop()
    server = FakeLLMServer(seed=0)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=30)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def test_live_eval_against_the_fake_stops_at_the_cap(live_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_in_a_thread() as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        # one worst-case Opus call reserves ~$0.09 (1,024 output tokens, the prompt priced as a cache write)
        args = [
            "eval",
            str(SUITE),
            "--live",
            "--max-usd",
            "0.25",
            "--policy",
            "frontier-only",
            "--no-progress",
            "--concurrency",
            "1",
            "--report",
            str(live_env / "out"),
            "--tag",
            "billing",
        ]
        code = main(args)
        calls = len(server.requests)
    report = json.loads((live_env / "out" / "report.json").read_text())
    budget = report["budget"]
    assert 0 < budget["spent_usd"] <= 0.25 and budget["calls_refused"] >= 1 and budget["not_run"] >= 1
    assert calls >= 1
    assert report["mode"] == "live" and report["cost_source"].startswith("Measured")
    reasons = {s["reason"] for s in report["policies"]["frontier-only"]["scenarios"]}
    assert "not run: budget cap reached" in reasons
    assert code in (0, 1)

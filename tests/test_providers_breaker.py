"""Circuit breakers and the turn deadline: a hung provider costs one timeout, then turns move on.

The unit tests drive the breaker with a hand-held clock; the end-to-end test stops a real
`callcenter fake-llm` process with SIGSTOP (its socket stays open and silent, as a hung
provider's does) and talks to it through the official Anthropic SDK.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

from callcenter.providers.breaker import CircuitBreaker, Permit
from callcenter.runtime import Runtime


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_timeout_opens_at_once_other_failures_after_the_threshold() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=3, cooldown_s=10, clock=clock)
    for _ in range(2):
        breaker.failure(breaker.acquire() or Permit(), timeout=False)
    assert breaker.state == "closed"
    breaker.failure(breaker.acquire() or Permit(), timeout=False)
    assert breaker.state == "open" and breaker.acquire() is None
    hung = CircuitBreaker("q", failures=3, cooldown_s=10, clock=clock)
    hung.failure(hung.acquire() or Permit(), timeout=True)
    assert hung.state == "open"


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker("p", failures=2, clock=Clock())
    breaker.failure(Permit(), timeout=False)
    breaker.success(Permit())
    breaker.failure(Permit(), timeout=False)
    assert breaker.state == "closed"


def test_half_open_lets_one_short_probe_through_and_its_result_decides() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=1, cooldown_s=5, probe_timeout_s=1.5, clock=clock)
    breaker.failure(Permit(), timeout=True)
    clock.now = 4.9
    assert breaker.acquire() is None
    clock.now = 5.0
    probe = breaker.acquire()
    assert probe == Permit(probe=True, timeout_s=1.5)
    assert breaker.acquire() is None  # one probe at a time; the rest skip the provider
    breaker.failure(probe, timeout=True)
    assert breaker.state == "open" and breaker.acquire() is None
    clock.now = 10.0
    probe = breaker.acquire()
    assert probe is not None and probe.probe
    breaker.success(probe)
    assert breaker.state == "closed" and breaker.acquire() == Permit()


def test_an_unused_probe_is_given_back() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=1, cooldown_s=1, clock=clock)
    breaker.failure(Permit(), timeout=True)
    clock.now = 2.0
    probe = breaker.acquire()
    assert probe is not None
    breaker.release(probe)
    assert breaker.acquire() is not None  # the next call may probe


@pytest.fixture
def fake_llm_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "callcenter", "fake-llm", "--port", "0", "--latency-scale", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "http://127.0.0.1:" in line, line
    base_url = line.strip().rsplit(" ", 1)[-1]
    try:
        yield proc, base_url
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=10)


async def test_a_hung_provider_costs_one_deadline_then_turns_answer_fast_until_it_is_back(
    runtime: Runtime, fake_llm_process: tuple[subprocess.Popen[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from callcenter.providers.anthropic_provider import AnthropicProvider
    from callcenter.providers.catalog import Catalog
    from callcenter.providers.client import ModelClient
    from callcenter.providers.recorder import PostgresCallRecorder
    from callcenter.specialists.model_backend import ModelBackend
    from callcenter.specialists.tier_policy import get_policy

    proc, base_url = fake_llm_process
    deadline_s = 3.0
    monkeypatch.setattr(runtime.settings, "turn_deadline_s", deadline_s)
    client = ModelClient(
        Catalog.load(),
        {"anthropic": AnthropicProvider(api_key="fake", base_url=base_url, timeout_s=30.0)},
        PostgresCallRecorder(runtime.pool),
        max_retries=2,
        breaker_factory=lambda name: CircuitBreaker(name, failures=3, cooldown_s=2.0, probe_timeout_s=1.0),
    )
    orch = runtime.orchestrator
    original = orch.backend
    orch.backend = ModelBackend(client, get_policy("routed"))
    try:
        session = (await orch.open_session(channel="test", customer_id=None)).id
        os.kill(proc.pid, signal.SIGSTOP)
        durations = []
        for text in ("what are your office hours?", "is there a package room?", "can I have a cat?"):
            started = time.monotonic()
            result = await orch.handle_turn(session, text)
            durations.append(time.monotonic() - started)
            assert result.text  # the deterministic flow answers
        assert durations[0] <= deadline_s + 1.5, durations
        assert all(d <= 5.0 for d in durations[1:]), durations
        assert client.breaker("anthropic").is_open

        os.kill(proc.pid, signal.SIGCONT)
        await asyncio.sleep(2.2)  # past the cooldown: the next turn probes, the provider answers
        await orch.handle_turn(session, "where do I park?")
        assert client.breaker("anthropic").state == "closed"
        statuses = [
            r["status"]
            for r in await runtime.pool.fetch(
                "SELECT status FROM model_calls WHERE session_id=$1 ORDER BY id", uuid.UUID(session)
            )
        ]
        assert statuses[0] == "error" and statuses[-1] == "ok", statuses
        assert statuses.count("error") <= 2, statuses  # one timeout (+ at most one failed probe), not 3 x 3
    finally:
        orch.backend = original


async def test_a_reply_still_streaming_is_not_taken_for_a_hung_provider() -> None:
    """A long reply streams for longer than `hang_s` (an Opus reply of 250 tokens takes ~6 s at its modelled
    50 tokens/s, the default hang_s is 4 s): while its tokens arrive the provider is answering, so the call
    is neither cut off nor the breaker opened; a provider silent for `hang_s` is still a hang."""
    from callcenter.fakellm import FakeLLMServer, Reply
    from callcenter.providers.anthropic_provider import AnthropicProvider
    from callcenter.providers.base import ChatMessage, ModelRequest
    from callcenter.providers.catalog import Catalog
    from callcenter.providers.client import AllProvidersFailed, ModelClient
    from callcenter.types import Tier

    reply = "Thanks for waiting. " + "The office keeps the list of open spaces. " * 12  # ~130 tokens, ~0.8 s
    async with FakeLLMServer(seed=0, latency_scale=0.0, pace=1.0) as fake:
        provider = AnthropicProvider(api_key="fake", base_url=fake.base_url)
        client = ModelClient(
            Catalog.load(),
            {"anthropic": provider},
            breaker_factory=lambda name: CircuitBreaker(name, failures=1, cooldown_s=30.0, hang_s=0.5),
        )
        request = ModelRequest(system="Be brief.", messages=[ChatMessage(role="user", text="where can I park?")])
        pieces: list[str] = []

        async def on_delta(piece: str) -> None:
            pieces.append(piece)

        try:
            fake.script([Reply(text=reply)], model="claude-haiku-4-5")
            started = time.monotonic()
            response = await client.complete(request, Tier.CHEAP, on_delta=on_delta)
            assert time.monotonic() - started > 0.5 + 0.35  # it streamed for longer than hang_s
            assert response.text == reply == "".join(pieces)
            assert client.breaker("anthropic").state == "closed"

            fake.script([Reply(text="Sorry.", ttft_s=1.5)], model="claude-haiku-4-5")  # silent past hang_s
            with pytest.raises(AllProvidersFailed, match="answered nothing"):
                await client.complete(request, Tier.CHEAP, on_delta=on_delta)
        finally:
            await client.aclose()

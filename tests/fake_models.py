"""The product on models for one test: the orchestrator's backend swapped for the model backend,
talking through the real Anthropic SDK to a fake provider server on loopback, and swapped back after.

Tests that script what a model says (a leak, a non-answer, a false claim mid-stream) share this set-up,
so each says only its script and what must (not) reach the customer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from callcenter.fakellm import FakeLLMServer
from callcenter.providers.anthropic_provider import AnthropicProvider
from callcenter.providers.catalog import Catalog
from callcenter.providers.client import ModelClient
from callcenter.providers.recorder import PostgresCallRecorder
from callcenter.runtime import Runtime
from callcenter.specialists.model_backend import ModelBackend
from callcenter.specialists.tier_policy import get_policy


@asynccontextmanager
async def on_fake_models(
    runtime: Runtime, fake: FakeLLMServer, *, policy: str = "routed", max_retries: int = 0
) -> AsyncIterator[ModelClient]:
    """`runtime` answering on the models `fake` serves under `policy`; the offline backend is restored after."""
    original = runtime.orchestrator.backend
    client = ModelClient(
        Catalog.load(),
        {"anthropic": AnthropicProvider(api_key="fake", base_url=fake.base_url)},
        PostgresCallRecorder(runtime.pool),
        max_retries=max_retries,
    )
    runtime.orchestrator.backend = ModelBackend(client, get_policy(policy))
    try:
        yield client
    finally:
        runtime.orchestrator.backend = original
        await client.aclose()

"""A conversation's next turn reuses the provider connection its last turn opened.

The SDKs' HTTP clients close an idle connection after 5 s; a customer's pause between turns is
longer, so each turn paid a new TCP and TLS handshake before its model request could leave
(providers/keepalive.py). Through the official SDKs, to the fake provider behind a proxy that
counts the connections opened (and makes each cost a handshake's 60 ms, as bench/streaming_bench.py does).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.streaming_bench import Handshake
from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.providers.anthropic_provider import AnthropicProvider
from callcenter.providers.base import ChatMessage, ModelRequest, Provider
from callcenter.providers.catalog import Catalog
from callcenter.providers.keepalive import KEEPALIVE_S
from callcenter.providers.openai_provider import OpenAIProvider

PAUSE_S = 5.5  # past the SDKs' 5 s keep-alive


@pytest.mark.parametrize("wire", ["anthropic", "openai"])
async def test_a_turn_after_a_customers_pause_reuses_the_connection(wire: str) -> None:
    catalog = Catalog.load()
    model = next(m for m in catalog.models if m.provider == wire and m.tier == 1)
    request = ModelRequest(system="Be brief.", messages=[ChatMessage(role="user", text="where can I park?")])
    async with FakeLLMServer(seed=0, latency_scale=0.0) as fake:
        proxy = Handshake(fake.base_url, 0.06)
        async with proxy as url:
            provider: Provider = (
                AnthropicProvider(api_key="fake", base_url=url)
                if wire == "anthropic"
                else OpenAIProvider(api_key="fake", base_url=url + "/v1")
            )
            took = []
            try:
                for _ in range(3):
                    fake.script([Reply(text="The office has the list.")], model=model.model)
                    started = time.perf_counter()
                    response = await provider.complete(model, request)
                    took.append(time.perf_counter() - started)
                    assert response.text == "The office has the list."
                    await asyncio.sleep(PAUSE_S)
            finally:
                await provider.aclose()
    assert proxy.opened == 1, proxy.opened  # one handshake for the conversation, not one per turn
    assert max(took[1:]) < took[0], took  # the later turns did not pay it
    assert KEEPALIVE_S > PAUSE_S

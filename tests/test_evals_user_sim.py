"""The LLM-played user, driven through the provider layer against the fake provider.

With real keys the same code runs on a real model (`callcenter eval --live`); here the
fake's scripted replies stand in for the model so the wiring is checked offline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.evals.scenario import load_suite
from callcenter.evals.user_sim import STOP_TOKEN, LLMUser, RuleBasedUser, make_user
from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.providers.catalog import Catalog
from callcenter.providers.client import ModelClient
from callcenter.providers.openai_provider import OpenAIProvider

SUITE = Path(__file__).resolve().parents[1] / "evals"


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return load_suite([SUITE], only=["sim-book-plumbing"])[0]


async def test_llm_user_plays_the_customer_until_it_stops(scenario) -> None:  # type: ignore[no-untyped-def]
    async with FakeLLMServer(seed=0, latency_scale=0.0) as fake:
        client = ModelClient(Catalog.load(), {"openai": OpenAIProvider(api_key="fake", base_url=fake.openai_base_url)})
        user = make_user(scenario, llm=client)
        assert isinstance(user, LLMUser)
        first = await user.next_turn(None)
        assert first is not None and first.text == "My bathroom sink is leaking"  # the scenario's opening
        fake.script([Reply(text="The first one, please."), Reply(text=STOP_TOKEN)])
        second = await user.next_turn("Which one works: 1, 2 or 3?")
        assert second is not None and second.text == "The first one, please."
        assert await user.next_turn("You're booked: a plumbing visit on Mon Nov 30, 8:00 AM.") is None
        body = fake.requests[0].body
        system = body["messages"][0]["content"]
        assert "Get a plumber to fix the leaking bathroom sink" in system and STOP_TOKEN in system
        # Roles are mirrored: the agent's words reach the simulator as the user's.
        assert body["messages"][-1] == {"role": "user", "content": "Which one works: 1, 2 or 3?"}
        roles = [m["role"] for m in fake.requests[1].body["messages"][1:]]
        assert roles == ["user", "assistant", "user", "assistant", "user"]  # starts with "user", as Anthropic requires
        assert fake.requests[0].model == "gpt-5"  # a mid-tier model plays the user


async def test_without_a_client_the_rule_based_user_answers_from_known_facts(scenario) -> None:  # type: ignore[no-untyped-def]
    user = make_user(scenario)
    assert isinstance(user, RuleBasedUser)
    assert (await user.next_turn(None)).text == "My bathroom sink is leaking"  # type: ignore[union-attr]
    reply = await user.next_turn("Here are the soonest openings. Which one works: 1, 2 or 3?")
    assert reply is not None and reply.text == "The first one"
    assert await user.next_turn("You're booked: a plumbing visit.") is None

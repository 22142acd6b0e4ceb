"""The laptop demo's open doors stay on the laptop (NOTES/redteam.md F11).

With no settings (embedded database, loopback bind) demo mode switches itself on. A loopback
bind is also what a reverse proxy on the same host uses, so the attacker's requests arrive
from 127.0.0.1 too, with the proxy's headers, or (DNS rebinding) with a foreign Host. Those
get the deployment's answers: no customer picker, no unsigned voice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.web.server import create_app

PROXIED = [
    {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "Host": "callcenter.example.com"},
    {"X-Forwarded-For": "203.0.113.9"},
    {"Forwarded": "for=203.0.113.9;proto=https"},
    {"X-Real-IP": "203.0.113.9"},
    {"X-Forwarded-Host": "callcenter.example.com"},
    {"Host": "callcenter.example.com"},
    {"Host": "evil.example:18731"},  # DNS rebinding: a page on evil.example resolved to 127.0.0.1
]
CALL = {"CallSid": "CA" + "0" * 32, "From": "+16175550142", "To": "+18005550101"}


def _automatic(test_settings: Settings) -> Settings:
    """What a fresh laptop has: no DATABASE_URL, no demo setting, the loopback default bind."""
    settings = test_settings.model_copy(update={"demo_mode": None, "database_url": None, "host": "127.0.0.1"})
    assert settings.demo and settings.demo_mode is None
    return settings


@pytest.fixture(scope="module")
async def laptop(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    rt: Runtime = await build_runtime(_automatic(test_settings), dsn=seeded_dsn)
    try:
        async with TestClient(TestServer(create_app(rt))) as c:
            yield c
    finally:
        await rt.close()


async def test_the_picker_and_unsigned_voice_work_on_the_laptop_itself(laptop: TestClient) -> None:  # type: ignore[type-arg]
    for host in (None, "localhost:8080", "127.0.0.1:8080", "[::1]:8080"):
        demo = await laptop.get("/v1/demo/residents", headers={"Host": host} if host else {})
        assert demo.status == 200, host
        assert (await demo.json())["residents"][0]["token"]
    incoming = await laptop.post("/v1/voice/incoming", data=CALL)
    assert incoming.status == 200 and "<Response>" in await incoming.text()


@pytest.mark.parametrize("headers", PROXIED)
async def test_a_proxied_or_rebound_request_gets_no_tokens_and_no_unsigned_voice(
    laptop: TestClient,  # type: ignore[type-arg]
    headers: dict[str, str],
) -> None:
    demo = await laptop.get("/v1/demo/residents", headers=headers)
    assert demo.status == 404
    assert "token" not in await demo.text()
    incoming = await laptop.post("/v1/voice/incoming", data=CALL, headers=headers)
    assert incoming.status == 403
    assert "TWILIO_AUTH_TOKEN" in await incoming.text()
    relay = await laptop.get("/v1/voice/relay", headers=headers)
    assert relay.status == 403


def test_demo_mode_asked_for_explicitly_is_not_second_guessed(test_settings: Settings) -> None:
    from callcenter.web.demo_guard import demo_refusal

    explicit = test_settings.model_copy(update={"demo_mode": True})
    assert demo_refusal(explicit, {"X-Forwarded-For": "203.0.113.9"}, "demo.example.com") is None
    automatic = _automatic(test_settings)
    assert demo_refusal(automatic, {"X-Forwarded-For": "203.0.113.9"}, "127.0.0.1:8080")
    supervised = test_settings.model_copy(update={"demo_mode": None, "demo_automatic": True})  # a worker
    assert supervised.demo and demo_refusal(supervised, {"X-Real-IP": "203.0.113.9"}, "127.0.0.1:8080")

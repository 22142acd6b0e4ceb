"""Anonymous chats may alert only so many people (NOTES/redteam.md F5).

The attacker's loop: open a chat, say nothing but "I smell gas in my apartment 3C", repeat;
each opened an urgent handoff and ticket ahead of every real resident (20 a minute from one
address). Any Spanish sentence likewise reached the Spanish queue. Now each address gets
CALLCENTER_ANONYMOUS_HANDOFFS_PER_ADDRESS_PER_HOUR and all anonymous chats together
CALLCENTER_ANONYMOUS_HANDOFFS_PER_HOUR; past them an emergency still gets its safety steps and
the emergency line, only not the claim that someone was alerted. Signed-in customers are not
counted.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.web.auth import issue_token
from callcenter.web.server import create_app

LINE = "555-0100"
GAS = "I smell gas in my apartment 3C"
PER_ADDRESS, TOTAL = 3, 5


@pytest.fixture(scope="module")
async def server(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[tuple[TestClient, Runtime]]:  # type: ignore[type-arg]
    rt = await build_runtime(test_settings, dsn=seeded_dsn)
    earlier = await rt.pool.fetchval(  # other tests' anonymous handoffs in this database count too
        """SELECT count(*) FROM handoffs h JOIN sessions s ON s.id = h.session_id
           WHERE h.kind = 'human' AND s.customer_id IS NULL AND h.created_at > now() - interval '1 hour'"""
    )
    await rt.close()
    settings = test_settings.model_copy(
        update={
            "anonymous_handoffs_per_address_per_hour": PER_ADDRESS,
            "anonymous_handoffs_per_hour": earlier + TOTAL,
            "trusted_proxies": "127.0.0.1",  # the test's "addresses" arrive as X-Forwarded-For
        }
    )
    rt = await build_runtime(settings, dsn=seeded_dsn)
    try:
        async with TestClient(TestServer(create_app(rt))) as c:
            yield c, rt
    finally:
        await rt.close()


async def _one_chat(
    client: TestClient, address: str, text: str, token: str | None = None
) -> tuple[dict[str, Any], str]:  # type: ignore[type-arg]
    async with client.ws_connect("/v1/chat", headers={"X-Forwarded-For": address}) as ws:
        await ws.send_json({"type": "hello", **({"token": token} if token else {})})
        session = await ws.receive_json(timeout=30)
        await ws.send_json({"type": "message", "text": text})
        while True:
            frame: dict[str, Any] = await ws.receive_json(timeout=60)
            if frame["type"] != "delta":
                return frame, session["session_id"]


async def _human_handoffs(rt: Runtime, sid: str) -> int:
    n: int = await rt.pool.fetchval(
        "SELECT count(*) FROM handoffs WHERE session_id=$1 AND kind='human'", uuid.UUID(sid)
    )
    return n


async def test_one_address_alerts_a_few_people_then_gets_safety_steps_only(
    server: tuple[TestClient, Runtime],  # type: ignore[type-arg]
) -> None:
    client, rt = server
    attacker = "203.0.113.9"
    for _ in range(PER_ADDRESS):
        frame, sid = await _one_chat(client, attacker, GAS)
        assert frame["handoff"] is True and await _human_handoffs(rt, sid) == 1
    for text in (GAS, "there is smoke coming from my outlet", "Hola, necesito ayuda con mi renta por favor"):
        frame, sid = await _one_chat(client, attacker, text)
        assert frame["type"] == "message" and frame["handoff"] is False, frame
        assert await _human_handoffs(rt, sid) == 0
        assert LINE in frame["text"] and "joining" not in frame["text"], frame["text"]
    frame, _ = await _one_chat(client, attacker, GAS)
    assert "leave" in frame["text"].lower()  # the safety steps are never rationed

    # A signed-in resident from the same address is not anonymous: still handed over.
    token = issue_token(2, rt.settings.secret.get_secret_value(), ttl_seconds=600)
    frame, sid = await _one_chat(client, attacker, GAS, token=token)
    assert frame["handoff"] is True and await _human_handoffs(rt, sid) == 1


async def test_all_addresses_together_stay_within_the_total(server: tuple[TestClient, Runtime]) -> None:  # type: ignore[type-arg]
    client, rt = server
    handed = 0
    for i in range(4):  # four fresh addresses, after the first test's three anonymous handoffs
        frame, _ = await _one_chat(client, f"198.51.100.{i + 1}", GAS)
        handed += frame["handoff"] is True
        assert LINE in frame["text"]
    assert handed == TOTAL - PER_ADDRESS

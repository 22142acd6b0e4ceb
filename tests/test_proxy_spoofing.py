"""A client behind our own proxy types its own X-Forwarded-For (red team 3, R7), as an attacker does it.

Behind a reverse proxy every request arrives from the proxy's address, and the client's address is
in X-Forwarded-For. A proxy that adds its own line (HAProxy's `option forwardfor`) instead of
extending the client's leaves the client's typed line first; the server read only the first line,
so each request could pick a new address and dodge every per-address limit (sockets, hellos,
messages, anonymous handoffs). Now all lines are read as one list and the hop nearest to us wins.

A deployment that forgot CALLCENTER_TRUSTED_PROXIES stays safe: typed addresses are never believed,
every client of the proxy counts as the proxy's one address, and a `proxy.not_trusted` warning says
which setting is missing (once per process).

Real server in-process on 127.0.0.1, real websockets, the database's handoffs as the end state.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer

from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.web.server import create_app

Client = TestClient  # type: ignore[type-arg]
PER_ADDRESS = 2  # anonymous handoffs per address per hour
SOCKETS = 4  # chat sockets per address
CLIENT = "203.0.113.77"  # the attacker's real address, as our proxy writes it
GAS = "I smell gas in my apartment 3C"


def _forged(rng: random.Random) -> str:
    """What an attacker types as its own X-Forwarded-For line: any address, a list, loopback, junk."""
    one = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return rng.choice([one, f"{one}, 10.0.0.{rng.randint(1, 9)}", "127.0.0.1", "::1", f"{one},{one}", "unknown"])


def _through_proxy(forged: str, header: str = "X-Forwarded-For") -> list[tuple[str, str]]:
    """The request's headers after a proxy that adds its own line: the client's typed one stays first."""
    return [(header, forged), ("X-Forwarded-For", CLIENT)]


async def _server(seeded_dsn: str, settings: Settings) -> AsyncIterator[tuple[Client, Runtime]]:
    rt = await build_runtime(settings, dsn=seeded_dsn)
    try:
        async with TestClient(TestServer(create_app(rt), host="127.0.0.1")) as c:
            yield c, rt
    finally:
        await rt.close()


def _limits(test_settings: Settings, proxies: str) -> Settings:
    return test_settings.model_copy(
        update={
            "trusted_proxies": proxies,
            "anonymous_handoffs_per_address_per_hour": PER_ADDRESS,
            "max_connections_per_address": SOCKETS,
        }
    )


@pytest.fixture
async def behind_proxy(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[tuple[Client, Runtime]]:
    """A deployment that lists its proxy (127.0.0.1) in CALLCENTER_TRUSTED_PROXIES."""
    async for served in _server(seeded_dsn, _limits(test_settings, "127.0.0.1")):
        yield served


@pytest.fixture
async def forgot_proxy(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[tuple[Client, Runtime]]:
    """The same deployment with CALLCENTER_TRUSTED_PROXIES left empty."""
    async for served in _server(seeded_dsn, _limits(test_settings, "")):
        yield served


async def _gas_chat(client: Client, headers: list[tuple[str, str]]) -> tuple[dict[str, Any], str]:
    async with client.ws_connect("/v1/chat", headers=headers) as ws:
        await ws.send_json({"type": "hello"})
        session = await ws.receive_json(timeout=30)
        await ws.send_json({"type": "message", "text": GAS})
        while (frame := await ws.receive_json(timeout=60))["type"] == "delta":
            pass
        return frame, str(session["session_id"])


async def _handoffs(rt: Runtime, sessions: list[str]) -> int:
    n: int = await rt.pool.fetchval(
        "SELECT count(*) FROM handoffs WHERE kind = 'human' AND session_id = ANY($1::uuid[])",
        [uuid.UUID(s) for s in sessions],
    )
    return n


async def _sockets_opened(client: Client, headers: list[list[tuple[str, str]]]) -> tuple[int, list[int]]:
    """Open one chat socket per header list, all held at once: (opened, refused statuses)."""
    opened: list[aiohttp.ClientWebSocketResponse] = []
    refused: list[int] = []
    try:
        for h in headers:
            try:
                opened.append(await client.ws_connect("/v1/chat", headers=h))
            except aiohttp.WSServerHandshakeError as exc:
                refused.append(exc.status)
        return len(opened), refused
    finally:
        for ws in opened:
            await ws.close()


async def test_a_typed_forwarded_line_does_not_buy_a_new_address(behind_proxy: tuple[Client, Runtime]) -> None:
    client, rt = behind_proxy
    rng = random.Random(77)
    sessions, alerted = [], 0
    for header in ("X-Forwarded-For", "x-forwarded-for", "X-FORWARDED-FOR", "X-Forwarded-For"):
        frame, sid = await _gas_chat(client, _through_proxy(_forged(rng), header))
        assert frame["type"] == "message" and "555-0100" in frame["text"], frame
        sessions.append(sid)
        alerted += frame["handoff"] is True
    # before: 4 people alerted (each chat a "new address"); after: the real address's budget, 2
    assert alerted == PER_ADDRESS and await _handoffs(rt, sessions) == PER_ADDRESS

    opened, refused = await _sockets_opened(client, [_through_proxy(_forged(rng)) for _ in range(SOCKETS + 3)])
    assert (opened, refused) == (SOCKETS, [429] * 3)  # before: all 7 opened


async def test_the_proxys_address_is_believed_when_the_client_typed_nothing(
    behind_proxy: tuple[Client, Runtime],
) -> None:
    """Two real clients behind the proxy each get their own budget (the limits are not the proxy's)."""
    client, _ = behind_proxy
    each = [[("X-Forwarded-For", f"198.51.100.{i % 2 + 1}")] for i in range(2 * SOCKETS)]
    assert await _sockets_opened(client, each) == (2 * SOCKETS, [])


async def test_a_deployment_that_forgot_its_proxy_is_limited_not_open(forgot_proxy: tuple[Client, Runtime]) -> None:
    client, rt = forgot_proxy
    rng = random.Random(78)
    with structlog.testing.capture_logs() as logs:
        sessions, alerted = [], 0
        for _ in range(PER_ADDRESS + 2):
            frame, sid = await _gas_chat(client, [("X-Forwarded-For", _forged(rng))])
            sessions.append(sid)
            alerted += frame["handoff"] is True
        typed = [[("X-Forwarded-For", _forged(rng))] for _ in range(SOCKETS + 2)]
        opened, refused = await _sockets_opened(client, typed)
    assert alerted == PER_ADDRESS and await _handoffs(rt, sessions) == PER_ADDRESS  # all one address: 127.0.0.1
    assert (opened, refused) == (SOCKETS, [429] * 2)
    warned = [e for e in logs if e["event"] == "proxy.not_trusted"]
    assert len(warned) == 1 and "CALLCENTER_TRUSTED_PROXIES" in warned[0]["message"], warned


async def test_an_ipv6_client_cannot_take_a_new_address_per_socket(behind_proxy: tuple[Client, Runtime]) -> None:
    """Red team 3, R12: one home gets a /64 (2^64 addresses); counted per address, each socket, hello and
    anonymous handoff came from a "new" client. Now CALLCENTER_IPV6_PREFIX_LENGTH (64) is one client."""
    client, rt = behind_proxy
    rng = random.Random(79)

    def one_home() -> str:  # any address in 2001:db8:7:9::/64, in any spelling
        low = [rng.randint(0, 0xFFFF) for _ in range(4)]
        full = "2001:db8:7:9:" + ":".join(f"{x:x}" for x in low)
        return rng.choice([full, full.upper(), f"[{full}]"])

    sessions, alerted = [], 0
    for _ in range(PER_ADDRESS + 2):
        frame, sid = await _gas_chat(client, [("X-Forwarded-For", one_home())])
        sessions.append(sid)
        alerted += frame["handoff"] is True
    # before: 4 alerted, 7 sockets opened; after: the /64's budget
    assert alerted == PER_ADDRESS and await _handoffs(rt, sessions) == PER_ADDRESS
    opened, refused = await _sockets_opened(client, [[("X-Forwarded-For", one_home())] for _ in range(SOCKETS + 3)])
    assert (opened, refused) == (SOCKETS, [429] * 3)
    neighbours = [[("X-Forwarded-For", f"2001:db8:7:{i + 10:x}::1")] for i in range(SOCKETS)]
    assert await _sockets_opened(client, neighbours) == (SOCKETS, [])  # other /64s: other homes

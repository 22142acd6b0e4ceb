"""The laptop demo's open doors stay on the laptop (NOTES/redteam.md F11).

With no settings (embedded database, loopback bind) demo mode switches itself on. A loopback
bind is also what a reverse proxy on the same host uses, so the attacker's requests arrive
from 127.0.0.1 too, with the proxy's headers, or (DNS rebinding) with a foreign Host. Those
get the deployment's answers: no customer picker, no unsigned voice.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.web.auth import issue_token
from callcenter.web.operator_auth import issue_operator_token
from callcenter.web.server import create_app
from tests.desk_helpers import new_operator

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


NEW_PROXY_HEADERS = (
    "Via",
    "True-Client-IP",
    "CF-Connecting-IP",
    "X-Client-IP",
    "X-Original-Forwarded-For",
    "X-Forwarded-Port",
    "X-Forwarded-Server",
    "Fastly-Client-IP",
    "X-Cluster-Client-IP",
)


def _spellings(rng: random.Random, name: str) -> list[str]:
    """The header name as proxies and attackers write it: lower, upper, as listed, random case."""
    mixed = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)
    return sorted({name.lower(), name.upper(), name, mixed})


def _variants() -> list[list[tuple[str, str]]]:
    """Header lists: every proxy header in every spelling, with empty, ordinary and repeated values."""
    rng = random.Random(7)
    values = ["", "1.1 nginx", "203.0.113.9", "127.0.0.1", " "]
    out: list[list[tuple[str, str]]] = []
    for name in NEW_PROXY_HEADERS + ("Forwarded", "X-Forwarded-For", "X-Real-IP"):
        for spelled in _spellings(rng, name):
            out.append([(spelled, rng.choice(values))])
        out.append([(name, "203.0.113.9"), (name.lower(), "198.51.100.7")])  # the header twice
    return out


async def _raw_get(port: int, path: str, lines: list[str], version: str = "1.1") -> tuple[int, str]:
    """A GET written by hand (headers aiohttp's client would add or fold are exactly as given)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"GET {path} HTTP/{version}\r\n" + "".join(f"{h}\r\n" for h in lines) + "Connection: close\r\n\r\n"
        writer.write(head.encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    head, _, body = data.decode("latin-1").partition("\r\n\r\n")
    return int(head.split(" ", 2)[1]), body


async def test_every_proxy_header_spelling_closes_the_demo_picker(laptop: TestClient) -> None:  # type: ignore[type-arg]
    port = laptop.server.port
    assert port is not None
    for headers in _variants():
        lines = [f"Host: 127.0.0.1:{port}"] + [f"{h}: {v}" for h, v in headers]
        status, body = await _raw_get(port, "/v1/demo/residents", lines)
        assert status == 404 and "token" not in body, headers
    status, body = await _raw_get(port, "/v1/demo/residents", [], version="1.0")  # HTTP/1.0, no Host at all
    assert status == 404 and "token" not in body
    status, _ = await _raw_get(port, "/v1/demo/residents", [f"Host: 127.0.0.1:{port}"])  # the laptop itself
    assert status == 200


async def test_metrics_are_private_by_default(laptop: TestClient, runtime: Runtime) -> None:  # type: ignore[type-arg]
    port = laptop.server.port
    assert port is not None
    here = [f"Host: 127.0.0.1:{port}"]
    status, body = await _raw_get(port, "/metrics", here)
    assert status == 200 and "callcenter_turns" in body  # Prometheus on this machine
    for headers in _variants():
        status, body = await _raw_get(port, "/metrics", here + [f"{h}: {v}" for h, v in headers])
        assert status == 403 and "callcenter_turns" not in body and "CALLCENTER_METRICS_PUBLIC" in body, headers
    status, body = await _raw_get(port, "/metrics", [], version="1.0")  # no Host: an HTTP/1.0 proxy
    assert status == 403 and "callcenter_turns" not in body
    secret = runtime.settings.secret.get_secret_value()
    _, token = await new_operator(runtime.pool, secret)
    through = here + ["Via: 1.1 nginx", "X-Forwarded-For: 203.0.113.9"]
    status, body = await _raw_get(port, "/metrics", through + [f"Authorization: Bearer {token}"])
    assert status == 200 and "callcenter_turns" in body  # a scrape with an operator token, from anywhere
    expired = issue_operator_token(1, secret, ttl_seconds=0)
    customer = issue_token(1, secret, ttl_seconds=60)
    for bad in (f"Bearer {expired}", "Bearer op1.1.99999999999.forged", f"Bearer {customer}"):
        status, body = await _raw_get(port, "/metrics", through + [f"Authorization: {bad}"])
        assert status == 403 and "callcenter_turns" not in body, bad


async def test_metrics_can_be_made_public(seeded_dsn: str, test_settings: Settings) -> None:
    rt: Runtime = await build_runtime(test_settings.model_copy(update={"metrics_public": True}), dsn=seeded_dsn)
    try:
        async with TestClient(TestServer(create_app(rt))) as c:
            resp = await c.get("/metrics", headers={"Via": "1.1 nginx", "Host": "metrics.example.com"})
            assert resp.status == 200 and "callcenter_turns" in await resp.text()
    finally:
        await rt.close()


async def test_nginx_default_proxy_pass_is_not_this_machine(laptop: TestClient) -> None:  # type: ignore[type-arg]
    """nginx's `proxy_pass http://127.0.0.1:PORT;` untold: HTTP/1.0, `Host: 127.0.0.1:PORT`, no proxy header
    (red team 3, R7: the picker's tokens and /metrics answered it as the laptop itself)."""
    port = laptop.server.port
    assert port is not None
    nginx = [f"Host: 127.0.0.1:{port}"]
    status, body = await _raw_get(port, "/v1/demo/residents", nginx, version="1.0")
    assert status == 404 and "token" not in body
    status, body = await _raw_get(port, "/metrics", nginx, version="1.0")
    assert status == 403 and "callcenter_turns" not in body
    status, body = await _raw_get(port, "/metrics", nginx)  # HTTP/1.1 from this machine: Prometheus, curl
    assert status == 200 and "callcenter_turns" in body

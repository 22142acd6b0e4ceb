"""A deployment (DATABASE_URL set, no --demo) is safe by default, as an operator and an attacker meet it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.channels.voice_protocol import body_sha256, twilio_signature
from callcenter.runtime import Runtime
from callcenter.settings import BUILTIN_SECRET, Settings, predictable
from callcenter.web.server import create_app

STRONG = "kV3-q9Zr_T7mWx2pL8cN4bHy6Jd0fGs5aE1u"  # random-looking: serve refuses "k" * 40 (red-team F16)
TRANSCRIPTS = "/v1/voice/transcripts"


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    full.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/unused")
    return subprocess.run(
        [sys.executable, "-m", "callcenter", "serve", "--port", "0", *args],
        env={**full, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    "secret",
    [None, BUILTIN_SECRET, "short-but-not-builtin", "a" * 32, "password" * 4],  # the last two: red-team F16
)
def test_serve_refuses_a_weak_secret_in_one_line(tmp_path: Path, secret: str | None) -> None:
    env = {} if secret is None else {"CALLCENTER_SECRET": secret}
    done = _serve(tmp_path, **env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "CALLCENTER_SECRET" in lines[0], done.stderr
    assert "Starting" not in done.stdout  # refused before touching the database


def _weak_secrets(rng: random.Random) -> list[str]:
    """What a hurried admin types when told "32 bytes": one key held down, a word or a keyboard row
    repeated, the alphabet, counting, a word padded with one character; random variations of each."""
    words = ["password", "secret", "changeme", "letmein", "callcenter", "admin123", "qwertyuiop", "p@ssw0rd!"]
    out = ["a" * 32, "password" * 4, "passwordpasswordpasswordpassword1", "abcdefghijklmnopqrstuvwxyz012345"]
    out += ["0123456789" * 4, "9876543210" * 4, "zyxwvutsrqponmlkjihgfedcba987654", "x" * 31 + "y"]
    for _ in range(40):
        word = rng.choice(words)
        length = rng.randint(32, 64)
        out.append((word * 20)[:length])
        out.append(word + rng.choice("x0-_ .") * (length - len(word)))
        out.append(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") * length)
        start = rng.randint(ord("0"), ord("z") - 32)
        out.append("".join(chr(start + i) for i in range(length if start + length <= 126 else 32)))
    return out


def test_predictable_secrets_are_refused_in_one_line_and_random_ones_pass() -> None:
    """Red-team F16: `aaaa…` and `passwordpassword…` (32 bytes) started a deployment; one customer's
    own token then lets anyone test such guesses offline and mint every token."""
    base = {"_env_file": None, "database_url": "postgresql://x/y"}
    for weak in _weak_secrets(random.Random(16)):
        problem = Settings(**base, secret=weak).secret_problem()  # type: ignore[arg-type]
        assert problem is not None and "CALLCENTER_SECRET" in problem and "\n" not in problem, weak
    for _ in range(3000):  # what the docs and common tools generate: never refused
        for good in (
            secrets.token_urlsafe(32),
            secrets.token_hex(16),
            secrets.token_hex(32),
            secrets.token_urlsafe(24),
        ):
            assert predictable(good.encode()) is None, good
    assert Settings(**base, secret=STRONG).secret_problem() is None  # type: ignore[arg-type]


def test_demo_mode_follows_the_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CALLCENTER_DEMO_MODE", raising=False)
    base = {"_env_file": None, "secret": STRONG}
    dsn = {"DATABASE_URL": "postgresql://x/y"}
    assert Settings(**base, host="127.0.0.1").demo  # type: ignore[arg-type]
    assert not Settings(**base, host="0.0.0.0").demo  # type: ignore[arg-type]
    assert not Settings(**base, **dsn, host="127.0.0.1").demo  # type: ignore[arg-type]
    assert Settings(**base, **dsn, demo_mode=True).demo  # type: ignore[arg-type]
    monkeypatch.setenv("CALLCENTER_DEMO_MODE", "true")
    assert Settings(**base, **dsn).demo  # type: ignore[arg-type]
    assert Settings(**base).secret_problem() is None  # type: ignore[arg-type]


@pytest.fixture(scope="module")
async def public(runtime: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The product as deployed: same database and router, demo off, a strong secret."""
    settings = runtime.settings.model_copy(update={"demo_mode": False, "secret": STRONG})
    deployed = dataclasses.replace(runtime, settings=settings)
    async with TestClient(TestServer(create_app(deployed))) as c:
        yield c


async def test_demo_residents_is_not_found(public: TestClient) -> None:  # type: ignore[type-arg]
    resp = await public.get("/v1/demo/residents")
    assert resp.status == 404
    assert "token" not in await resp.text()


async def test_voice_routes_refuse_without_a_twilio_token(
    public: TestClient,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    call = {"call_id": "CA-open", "turns": [{"speaker": "customer", "text": "I smell gas"}]}
    resp = await public.post(TRANSCRIPTS, json=call)
    assert resp.status == 403 and "TWILIO_AUTH_TOKEN" in (await resp.json())["error"]["message"]
    resp = await public.get(
        "/v1/voice/relay",
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "x3JJHMbDL1EzLkh9GBhXDw==",
            "Sec-WebSocket-Version": "13",
        },
    )
    assert resp.status == 403


async def _stalled_body(first: bytes) -> AsyncIterator[bytes]:
    """A body that sends one chunk and then never finishes: a server that reads it would hang."""
    yield first
    await asyncio.sleep(3600)


async def test_unsigned_and_oversized_bodies_are_refused_unread(
    public: TestClient,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twilio-test-token")
    headers = {"Content-Type": "application/json", "Content-Length": str(8 * 1024 * 1024)}
    resp = await asyncio.wait_for(public.post(TRANSCRIPTS, data=_stalled_body(b"{" * 1024), headers=headers), 10)
    assert resp.status == 403
    forged = {**headers, "X-Twilio-Signature": "AAAA"}
    resp = await asyncio.wait_for(
        public.post(TRANSCRIPTS + "?bodySHA256=00", data=_stalled_body(b"{"), headers=forged), 10
    )
    assert resp.status == 403
    url = public.make_url(TRANSCRIPTS)
    query = "?bodySHA256=" + body_sha256(b"x")
    signed = twilio_signature("twilio-test-token", f"http://{url.host}:{url.port}{TRANSCRIPTS}{query}")
    big = {"Content-Type": "application/json", "Content-Length": str(64 * 1024 * 1024), "X-Twilio-Signature": signed}
    resp = await asyncio.wait_for(public.post(TRANSCRIPTS + query, data=_stalled_body(b"{"), headers=big), 10)
    assert resp.status == 413


async def test_forwarded_host_is_not_believed_from_strangers(
    public: TestClient,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twilio-test-token")
    raw = json.dumps({"call_id": "CA-fwd", "turns": [{"speaker": "customer", "text": "office hours?"}]}).encode()
    query = f"?bodySHA256={body_sha256(raw)}"
    # An attacker who learnt one signature for their own host replays it with a forged X-Forwarded-Host.
    signed = twilio_signature("twilio-test-token", f"https://attacker.example{TRANSCRIPTS}{query}")
    headers = {
        "Content-Type": "application/json",
        "X-Twilio-Signature": signed,
        "X-Forwarded-Host": "attacker.example",
        "X-Forwarded-Proto": "https",
    }
    resp = await public.post(TRANSCRIPTS + query, data=raw, headers=headers)
    assert resp.status == 403


async def test_health_never_echoes_database_errors(runtime: Runtime, dsn: str) -> None:
    broken = await asyncpg.create_pool(dsn.rsplit("/", 1)[0] + "/no_such_database_here", min_size=0)
    deployed = dataclasses.replace(runtime, pool=broken)
    async with TestClient(TestServer(create_app(deployed))) as c:
        alive = await c.get("/healthz")  # liveness never involves the database
        resp = await c.get("/readyz")
        body = await resp.text()
    await broken.close()
    assert alive.status == 200
    assert resp.status == 503 and json.loads(body)["database"] == "unreachable"
    assert "no_such_database_here" not in body and "postgres" not in body

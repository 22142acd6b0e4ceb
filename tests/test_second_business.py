"""Another business drops in with no engine change: a pharmacy (tests/pharmacy) over the web chat.

Two agents with their own verticals, two tools with their own claims, no emergency rules and
no human queue; the same server, router, orchestrator, verifier and store as the demo.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pharmacy.tools import SCHEMA

from callcenter.app import load_app
from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.store.db import connect
from callcenter.store.migrate import migrate
from callcenter.web.auth import issue_token
from callcenter.web.server import create_app


@pytest.fixture
async def pharmacy(fresh_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Runtime, int]]:
    conn = await connect(fresh_dsn)
    try:
        await migrate(conn)
        await conn.execute(SCHEMA)
        patient = await conn.fetchval(
            "INSERT INTO customers (full_name, email, building, unit) VALUES ('Pat Lee', 'pat@example.org', '-', '-')"
            " RETURNING id"
        )
    finally:
        await conn.close()
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        backend="local",
        secret="test-secret",
        agents_module="pharmacy",
        tools_module="pharmacy.tools",
    )
    runtime = await build_runtime(settings, dsn=fresh_dsn)
    try:
        yield runtime, int(patient)
    finally:
        await runtime.close()


async def _say(ws: aiohttp.ClientWebSocketResponse, text: str) -> dict[str, Any]:
    await ws.send_json({"type": "message", "text": text})
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=30)
        if frame["type"] != "delta":
            return frame


def test_the_business_declares_its_own_verticals_and_claims() -> None:
    app = load_app("pharmacy")
    assert app.verticals == ("refills", "questions")
    assert app.claims == {"refilled": ("refill_prescription",)}
    assert app.emergency_vertical is None and app.human_handoff_tool is None


async def test_a_patient_refills_and_asks_the_hours_end_to_end(pharmacy: tuple[Runtime, int]) -> None:
    runtime, patient = pharmacy
    token = issue_token(patient, runtime.settings.secret.get_secret_value(), ttl_seconds=600)
    async with TestClient(TestServer(create_app(runtime))) as client, client.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "hello", "token": token})
        session = await ws.receive_json(timeout=30)
        assert session["type"] == "session" and session["customer"] == "Pat Lee"

        refill = await _say(ws, "please refill my prescription 20482")
        assert refill["type"] == "message" and refill["agent"] == "refills", refill
        assert "refilled prescription 20482" in refill["text"] and refill["handoff"] is False

        hours = await _say(ws, "what time are you open on saturday?")
        assert hours["agent"] == "questions" and "9:00 AM to 1:00 PM" in hours["text"], hours

        refused = await _say(ws, "can you refill my prescription 30001")
        assert refused["agent"] == "refills" and "no refills left" in refused["text"], refused

    sid = uuid.UUID(session["session_id"])
    rows = await runtime.pool.fetch("SELECT customer_id, rx_number FROM pharmacy_refills")
    assert [(r["customer_id"], r["rx_number"]) for r in rows] == [(patient, 20482)]
    calls = await runtime.pool.fetch("SELECT tool, error FROM tool_calls WHERE session_id=$1 ORDER BY id", sid)
    assert [c["tool"] for c in calls] == ["refill_prescription", "opening_hours", "refill_prescription"]
    assert calls[-1]["error"] is not None
    turns = await runtime.pool.fetch("SELECT vertical, outcome FROM turns WHERE session_id=$1 ORDER BY id", sid)
    assert [t["vertical"] for t in turns] == ["refills", "questions", "refills"]
    assert all(t["outcome"] != "verifier_handoff" for t in turns)

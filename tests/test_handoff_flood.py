"""One signed-in resident cannot bury another resident's emergency (red-team R3).

The attacker's loop: with one resident's token, open a new chat again and again (many sockets at
once) and say "I smell gas"; each opened an urgent handoff and ticket, 210 in 17 s, and the desk's
queue frame (cut at CALLCENTER_DESK_QUEUE_LIMIT) no longer showed a real gas leak reported after
it. Now a resident has at most CALLCENTER_OPEN_HANDOFFS_PER_CUSTOMER open handoffs across all
their conversations (later ones update the open one), the queue shows one row per resident, and
urgent rows are never cut. The safety answer is given every time.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.evals.paraphrase import load_spec, roughen
from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.web.server import create_app
from tests.desk_helpers import customer_token, desk_hello, entry_for, operator_token, recv_until, wait_in_queue

LINE = "555-0100"
SPEC = load_spec(Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml")
EMERGENCIES = [
    "I smell gas in my apartment",
    "there is a strong gas smell in the kitchen",
    "smoke is coming out of the outlet in my bedroom",
    "water is pouring through my ceiling",
    "there is smoke in the hallway",
    "gas leak in unit 4B please help",
    "my carbon monoxide alarm is going off",
    "there is a fire in the kitchen",
]
SPANISH = ["huele a gas en mi apartamento", "hay humo en el pasillo", "HUELE A GAS EN LA COCINA"]
VICTIM = "I smell gas in my kitchen, it's really strong"


def flood_texts(n: int, seed: int) -> list[str]:
    """n emergency reports: the English frames roughened (slips, courtesy, case), a Spanish one in every
    fifth, deterministic."""
    rng = random.Random(seed)
    texts = [roughen(rng.choice(EMERGENCIES), SPEC, "en", rng)[0] for _ in range(n)]
    return [SPANISH[i % 3] if i % 5 == 4 else t.upper() if i % 7 == 0 else t for i, t in enumerate(texts)]


async def fresh_resident(pool: asyncpg.Pool, name: str) -> int:
    """A resident of their own: no other test's open handoff counts against (or for) them."""
    cid: int = await pool.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ($1, $2, 'Maple Court', '3C') RETURNING id",
        name,
        f"{uuid.uuid4().hex[:10]}@example.com",
    )
    return cid


async def serve(seeded_dsn: str, settings: Settings) -> AsyncIterator[tuple[TestClient, Runtime]]:  # type: ignore[type-arg]
    rt = await build_runtime(settings, dsn=seeded_dsn)
    try:
        async with TestClient(TestServer(create_app(rt))) as c:
            yield c, rt
    finally:
        await rt.close()


@pytest.fixture(scope="module")
async def budgeted(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[tuple[TestClient, Runtime]]:  # type: ignore[type-arg]
    """The shipped budget (one open handoff per resident) and the shipped 200-entry queue frame."""
    defaults = Settings.model_fields
    settings = test_settings.model_copy(
        update={
            "open_handoffs_per_customer": defaults["open_handoffs_per_customer"].default,
            "desk_queue_limit": defaults["desk_queue_limit"].default,
        }
    )
    async for served in serve(seeded_dsn, settings):
        yield served


async def report(client: TestClient, token: str, text: str) -> tuple[dict[str, Any], str]:  # type: ignore[type-arg]
    """A new chat: sign in, say `text`; the final reply frame and the session id."""
    async with client.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "hello", "token": token})
        session = await ws.receive_json(timeout=30)
        assert session["type"] == "session", session
        await ws.send_json({"type": "message", "text": text})
        while True:
            frame: dict[str, Any] = await ws.receive_json(timeout=90)
            if frame["type"] != "delta":
                return frame, str(session["session_id"])


async def flood(client: TestClient, token: str, texts: list[str], sockets: int) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[type-arg]
    """The attacker: `sockets` chats open at once, each a new session reporting an emergency; (text, reply)."""
    gate = asyncio.Semaphore(sockets)

    async def one(text: str) -> tuple[str, dict[str, Any]]:
        async with gate:
            frame, _ = await report(client, token, text)
            return text, frame

    return list(await asyncio.gather(*(one(t) for t in texts)))


def assert_safety_answer(frame: dict[str, Any], said: str = VICTIM) -> None:
    assert frame["type"] == "message", (said, frame)
    assert LINE in frame["text"] or "911" in frame["text"], (said, frame["text"])


async def open_handoffs(pool: asyncpg.Pool, customer_id: int) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            """SELECT h.id, h.priority, h.queue, h.summary, h.context, t.body
               FROM handoffs h JOIN sessions s ON s.id = h.session_id
               LEFT JOIN tickets t ON t.id = (h.context->>'ticket_id')::bigint
               WHERE s.customer_id = $1 AND h.kind = 'human' AND h.status IN ('waiting', 'held')""",
            customer_id,
        )
    )


async def test_a_flooding_resident_keeps_one_handoff_and_a_later_gas_leak_reaches_the_desk(
    budgeted: tuple[TestClient, Runtime],  # type: ignore[type-arg]
) -> None:
    client, rt = budgeted
    secret = rt.settings.secret.get_secret_value()
    attacker = await fresh_resident(rt.pool, "Flood Attacker")
    victim = await fresh_resident(rt.pool, "Real Victim")
    token = customer_token(secret, attacker)
    texts = flood_texts(48, seed=3)
    frames = await flood(client, token, texts, sockets=16)
    for said, frame in frames:  # the safety steps are never rationed
        assert_safety_answer(frame, said)
    opened = await open_handoffs(rt.pool, attacker)
    assert len(opened) == 1, [(r["id"], r["priority"]) for r in opened]
    (held,) = opened
    assert held["priority"] == "urgent" and held["queue"] == "emergency"
    assert len(held["context"].get("also_sessions", [])) >= 10  # the later chats were folded into it
    assert held["body"].count("Again:") >= 10
    tickets = await rt.pool.fetchval("SELECT count(*) FROM tickets WHERE customer_id = $1", attacker)
    assert tickets == 1

    async with client.ws_connect("/v1/desk") as desk:
        hello = await desk_hello(desk, await operator_token(rt))
        frame, victim_sid = await report(client, customer_token(secret, victim), VICTIM)
        assert_safety_answer(frame)
        assert frame["handoff"] is True
        entry = entry_for(hello["queue"], victim_sid) or await wait_in_queue(desk, victim_sid)
        assert entry["priority"] == "urgent" and entry["customer"] == "Real Victim"
        await desk.send_json({"type": "queue"})
        queue = (await recv_until(desk, "queue"))["queue"]
    rows = [row for row in queue if row["customer"] in ("Flood Attacker", "Real Victim")]
    assert sorted(row["customer"] for row in rows) == ["Flood Attacker", "Real Victim"], rows
    assert all(row["waiting"] == 1 and row["others"] == [] for row in rows)

    # The attacker asking "is anyone coming?" in a folded chat hears about the open handoff.
    frame, _ = await report(client, token, "is anyone coming? did someone get my message")
    assert frame["type"] == "message"
    assert len(await open_handoffs(rt.pool, attacker)) == 1


@pytest.fixture(scope="module")
async def lenient(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[tuple[TestClient, Runtime]]:  # type: ignore[type-arg]
    """A deployment that lets residents open many handoffs, with a small queue frame: the desk alone must
    still keep every urgent resident visible."""
    settings = test_settings.model_copy(update={"open_handoffs_per_customer": 1_000, "desk_queue_limit": 5})
    async for served in serve(seeded_dsn, settings):
        yield served


async def backlog(pool: asyncpg.Pool, n: int, priority: str) -> None:
    """n waiting handoffs of n anonymous conversations, as an earlier busy hour would have left them."""
    for _ in range(n):
        sid = uuid.uuid4()
        await pool.execute("INSERT INTO sessions (id, channel) VALUES ($1, 'chat')", sid)
        await pool.execute(
            """INSERT INTO handoffs (session_id, from_agent, to_agent, kind, priority, queue, summary, created_at)
               VALUES ($1, 'router', 'human:general', 'human', $2, 'general', 'backlog', now() - interval '1 hour')""",
            sid,
            priority,
        )


async def test_the_desk_shows_one_row_per_resident_and_never_cuts_an_urgent_one(
    lenient: tuple[TestClient, Runtime],  # type: ignore[type-arg]
) -> None:
    client, rt = lenient
    secret = rt.settings.secret.get_secret_value()
    attacker = await fresh_resident(rt.pool, "Lenient Flooder")
    victim = await fresh_resident(rt.pool, "Lenient Victim")
    await backlog(rt.pool, 8, "normal")  # more normal rows than the frame holds
    frames = await flood(client, customer_token(secret, attacker), flood_texts(30, seed=11), sockets=10)
    for said, frame in frames:
        assert_safety_answer(frame, said)
    assert len(await open_handoffs(rt.pool, attacker)) >= 20  # this deployment lets them all through
    await backlog(rt.pool, 7, "urgent")  # and more urgent conversations than the frame's limit
    frame, victim_sid = await report(client, customer_token(secret, victim), VICTIM)
    assert_safety_answer(frame)

    headers = {"Authorization": f"Bearer {await operator_token(rt)}"}
    listed = await client.get("/v1/desk/handoffs", headers=headers)
    queue: list[dict[str, Any]] = (await listed.json())["queue"]
    async with client.ws_connect("/v1/desk") as desk:
        frame_queue = (await desk_hello(desk, await operator_token(rt)))["queue"]
    for shown in (queue, frame_queue):
        victim_row = next(row for row in shown if row["session_id"] == victim_sid)
        assert victim_row["priority"] == "urgent"
        flooder_rows = [row for row in shown if row["customer"] == "Lenient Flooder"]
        assert len(flooder_rows) == 1 and flooder_rows[0]["waiting"] >= 20
        assert 1 <= len(flooder_rows[0]["others"]) <= 20
        ranks = [("urgent", "high", "normal", "low").index(row["priority"]) for row in shown]
        assert ranks == sorted(ranks)  # urgent first
        urgent = [row for row in shown if row["priority"] == "urgent"]
        assert len(urgent) >= 9 and len(shown) == max(5, len(urgent))  # urgent never cut, the rest up to 5
        waits = [row["waiting_s"] for row in urgent]
        assert waits == sorted(waits, reverse=True)  # longest waiting first among the urgent

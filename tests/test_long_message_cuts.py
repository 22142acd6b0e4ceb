"""A long message made of one request repeated with "and" (red team 3, R9), sent as an attacker would.

"cancel appointment #7 and reschedule #8" pasted 250 times (10,000 characters, within every rate
limit) had the follow-up splitter try each of its ~50 "and"s as a cut, routing and reading both sides
every time on the event loop: ~2.4 s of the server's event-loop CPU for one turn (another resident
waited all of it), against ~0.07 s for the same length of "a a a …". Now at most
CALLCENTER_SPLIT_MAX_CUTS cuts are tried and long sides are read in a worker thread.

Measured from the outside: the websocket turn's CPU on the server's event-loop thread (the in-process
server shares this test's thread; CPU time, not wall time, so the machine's load does not move it),
and the database's end state (the message stored whole, answered, one turn).
"""

from __future__ import annotations

import random
import time
import uuid

from aiohttp.test_utils import TestClient

from callcenter.runtime import Runtime
from callcenter.web.auth import issue_token
from tests.conftest import TEST_SECRET

Client = TestClient  # type: ignore[type-arg]

REQUESTS = [
    "cancel appointment #7",
    "reschedule #8",
    "pay my rent",
    "book a repair for my sink",
    "what is my balance",
    "fix the heater",
    "tell me the office hours",
    "move my visit to friday",
    "cancela mi cita",
]
JOINERS = [" and ", " and also ", ", then ", " plus ", " and then ", "; also ", " as well as "]


def _joined(rng: random.Random, chars: int = 10_000) -> str:
    """Short requests joined by joining words until `chars` long: every join is a cut to try."""
    parts: list[str] = []
    while sum(len(p) for p in parts) < chars:
        parts += [rng.choice(REQUESTS), rng.choice(JOINERS)]
    return "".join(parts)[:chars]


async def _turn_cpu(client: Client, customer: int, text: str) -> tuple[float, str, dict[str, object]]:
    """(event-loop CPU seconds the turn took, its session id, the reply frame) through /v1/chat."""
    async with client.ws_connect("/v1/chat") as ws:
        await ws.send_json({"type": "hello", "token": issue_token(customer, TEST_SECRET, ttl_seconds=600)})
        session = await ws.receive_json(timeout=30)
        assert session["type"] == "session", session
        started = time.thread_time()
        await ws.send_json({"type": "message", "text": text})
        while (reply := await ws.receive_json(timeout=120))["type"] not in ("message", "error"):
            pass
        return time.thread_time() - started, str(session["session_id"]), reply


async def test_a_request_repeated_with_and_costs_the_event_loop_what_any_long_paste_does(
    client: Client, runtime: Runtime
) -> None:
    pool = runtime.pool
    rng = random.Random(20261202)
    baseline = min([(await _turn_cpu(client, 9, "a " * 5_000))[0] for _ in range(2)])
    attacks = ["cancel appointment #7 and reschedule #8 " * 250] + [_joined(rng) for _ in range(4)]
    for text in attacks:
        text = text[:10_000]
        cpu, session_id, reply = await _turn_cpu(client, 9, text)
        assert reply["type"] == "message", reply
        # before: ~35x the baseline (2.4 s vs 0.07 s on a quiet machine); after ~1-2x
        said = f"{cpu:.2f} s of event-loop CPU vs {baseline:.2f} s for 'a a a…': {text[:60]!r}"
        assert cpu < 4 * baseline + 0.1, said
        rows = await pool.fetch(
            "SELECT role, length(text) AS n FROM messages WHERE session_id = $1 ORDER BY id", uuid.UUID(session_id)
        )
        assert [r["role"] for r in rows] == ["user", "assistant"], rows
        assert rows[0]["n"] == len(text.strip())  # stored whole
        turns = await pool.fetchval("SELECT count(*) FROM turns WHERE session_id = $1", uuid.UUID(session_id))
        assert turns == 1


async def test_two_requests_in_one_message_are_still_cut(client: Client, runtime: Runtime) -> None:
    """The bound keeps the splitter's job: an ordinary two-request message, even after a few false cuts."""
    pool = runtime.pool
    said = [
        "i want to pay my rent and book a repair for my kitchen sink",
        "hi and thanks, so pay my rent and then book a repair for my kitchen sink",
    ]
    for text in said:
        _, session_id, reply = await _turn_cpu(client, 11, text)
        assert reply["type"] == "message", reply
        state = await pool.fetchval("SELECT state::text FROM sessions WHERE id = $1", uuid.UUID(session_id))
        assert "repair for my kitchen sink" in state, (text, reply["text"], state)

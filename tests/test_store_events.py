"""The LISTEN/NOTIFY event bus against real PostgreSQL: ids only, every process, survives a lost connection."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from callcenter.store.events import QUEUE_TOPIC, Event, EventBus, parse_payload, session_topic


async def _new_session(pool: asyncpg.Pool) -> str:
    sid = uuid.uuid4()
    await pool.execute("INSERT INTO sessions (id, channel) VALUES ($1, 'chat')", sid)
    return str(sid)


async def _add_message(pool: asyncpg.Pool, sid: str, text: str, role: str = "agent") -> int:
    """A message stored by SQL: a person's ('agent') is announced by the trigger with its commit."""
    mid: int = await pool.fetchval(
        """INSERT INTO messages (session_id, seq, role, text)
           SELECT $1, COALESCE(max(seq), 0) + 1, $3, $2 FROM messages WHERE session_id = $1 RETURNING id""",
        uuid.UUID(sid),
        text,
        role,
    )
    return mid


class Inbox:
    def __init__(self) -> None:
        self.events: asyncio.Queue[Event] = asyncio.Queue()

    async def __call__(self, event: Event) -> None:
        await self.events.put(event)

    async def next(self, wait_s: float = 5.0) -> Event:
        return await asyncio.wait_for(self.events.get(), wait_s)


async def test_a_stored_message_reaches_subscribers_of_its_session_in_every_process(
    dsn: str, pool: asyncpg.Pool
) -> None:
    a, b = EventBus(dsn), EventBus(dsn)
    await a.start()
    await b.start()
    try:
        sid, other = await _new_session(pool), await _new_session(pool)
        on_a, on_b, bystander = Inbox(), Inbox(), Inbox()
        a.subscribe(on_a, [session_topic(sid)])
        b.subscribe(on_b, [session_topic(sid)])
        b.subscribe(bystander, [session_topic(other)])
        ids = [await _add_message(pool, sid, f"hello {i}") for i in range(5)]
        for inbox in (on_a, on_b):
            got = [await inbox.next() for _ in ids]
            assert [e.message_id for e in got] == ids  # in order
            assert {e.kind for e in got} == {"message"} and {e.session_id for e in got} == {sid}
        await asyncio.sleep(0.2)
        assert bystander.events.empty()
    finally:
        await a.close()
        await b.close()


async def test_payload_carries_ids_only(dsn: str, pool: asyncpg.Pool) -> None:
    conn = await asyncpg.connect(dsn)
    payloads: asyncio.Queue[str] = asyncio.Queue()
    await conn.add_listener("callcenter_events", lambda *args: payloads.put_nowait(args[3]))
    try:
        sid = await _new_session(pool)
        await _add_message(pool, sid, "my card is 4111 1111 1111 1111 and the secret word is swordfish")
        raw = await asyncio.wait_for(payloads.get(), 5)
        assert "swordfish" not in raw and "4111" not in raw
        event = parse_payload(raw)
        assert event is not None and event.session_id == sid and event.message_id is not None
        assert event.role == "agent"
    finally:
        await conn.close()


async def test_a_turns_messages_are_announced_after_their_commit_in_order(dsn: str, pool: asyncpg.Pool) -> None:
    """The customer's message and the reply reach every process, sent by the store once each
    transaction has committed (migration 0015): never under the cluster-wide notify lock."""
    from callcenter.store.conversations import ConversationStore, TurnOutcome

    bus = EventBus(dsn)
    await bus.start()
    store = ConversationStore(pool)
    try:
        session = await store.create_session(channel="chat", customer_id=None)
        inbox = Inbox()
        bus.subscribe(inbox, [session_topic(session.id)])
        silent = await _add_message(pool, session.id, "stored by SQL as the customer: no trigger", role="user")
        begun = await store.begin_turn(session.id, "my sink leaks, card 4111 1111 1111 1111", owner="n", lease_s=5)
        assert begun.kind == "new" and begun.turn_id is not None
        done = await store.complete_turn(
            session.id,
            begun.turn_id,
            owner="n",
            reply="When would suit you?",
            agent="booking",
            active_agent="booking",
            state={},
            steps=1,
            outcome=TurnOutcome(),
        )
        assert done
        first, second = await inbox.next(), await inbox.next()
        assert (first.role, first.message_id) == ("user", begun.message_id)
        assert second.role == "assistant" and second.message_id is not None and second.message_id > silent
        await asyncio.sleep(0.2)
        assert inbox.events.empty()  # each once; the SQL-stored one never
    finally:
        await store.close()
        await bus.close()


async def test_human_handoffs_reach_queue_subscribers_and_agent_handoffs_do_not(dsn: str, pool: asyncpg.Pool) -> None:
    bus = EventBus(dsn)
    await bus.start()
    try:
        inbox = Inbox()
        bus.subscribe(inbox, [QUEUE_TOPIC])
        sid = await _new_session(pool)
        await pool.execute(
            "INSERT INTO handoffs (session_id, from_agent, to_agent, kind) VALUES ($1, 'router', 'booking', 'agent')",
            uuid.UUID(sid),
        )
        hid = await pool.fetchval(
            "INSERT INTO handoffs (session_id, from_agent, to_agent, kind, queue) "
            "VALUES ($1, 'escalation', 'human:emergency', 'human', 'emergency') RETURNING id",
            uuid.UUID(sid),
        )
        event = await inbox.next()
        assert (event.kind, event.handoff_id, event.session_id) == ("queue", hid, sid)
        await asyncio.sleep(0.2)
        assert inbox.events.empty()
    finally:
        await bus.close()


async def test_bus_reconnects_after_its_connection_is_killed_and_asks_subscribers_to_resync(
    dsn: str, pool: asyncpg.Pool
) -> None:
    bus = EventBus(dsn, check_interval_s=0.5, reconnect_delays=(0.05, 0.1))
    await bus.start()
    try:
        sid = await _new_session(pool)
        inbox = Inbox()
        bus.subscribe(inbox, [session_topic(sid)])
        assert bus._conn is not None
        pid = bus._conn.get_server_pid()
        assert await pool.fetchval("SELECT pg_terminate_backend($1)", pid)
        assert (await inbox.next(10)).kind == "resync"
        assert bus.connected and bus.reconnects == 1
        mid = await _add_message(pool, sid, "after the restart")
        event = await inbox.next()
        assert (event.kind, event.message_id) == ("message", mid)
    finally:
        await bus.close()


def test_malformed_payloads_are_ignored() -> None:
    for raw in ("", "{", "[]", '{"s": "x"}', '{"k": "message", "m": "nope"}', "\x00\xff"):
        assert parse_payload(raw) is None
    assert parse_payload('{"k":"hold","s":"abc"}') == Event("hold", "abc")

"""Every reply the demo's flows write passes the verifier; the same replies, falsified, do not.

The replies are not hand-picked: each agent's flow is driven from its own example utterances
(the ones that train the router) and then, depth-first, from every state it reaches with the
follow-ups a resident gives (yes, no, a number, an amount, a day), for residents whose real
seeded accounts cover a $0 balance, a large overdue balance, a fee with a saved card (a full
payment), appointments (cancelled, rescheduled) and no sign-in. Tools run for real in a
transaction that is rolled back, so every tool output is one the product really returns.
Each reply is then checked the way the orchestrator checks it (`SpecialistTurn.verify` with
the turn's tool calls, results and state), and mutated (a wrong amount, a booking, payment or
cancellation no tool made) to show the verifier still rejects what is false.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from callcenter_agents import tool_turn
from callcenter_tools.booking import BUSINESS_TZ
from seeded import seeded_database

from callcenter.app import load_app
from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.specialists.seam import SpecialistTurn
from callcenter.tooling.executor import ToolCallRecord, TurnTools
from callcenter.tooling.toolkit import ToolContext, ToolError
from callcenter.types import HandoffContext, Verdict

APP = load_app()
AGENTS_DIR = Path(tool_turn.__file__).resolve().parent
# What residents answer a flow's question with: the follow-ups every flow must take in its stride.
FOLLOW_UPS = (
    "yes",
    "no",
    "1",
    "2",
    "pay everything",
    "$75",
    "$20",
    "my card",
    "tomorrow morning",
    "friday afternoon",
    "cancel",
    "the late fee",
    "it was my first time late",
    "my kitchen sink leaks",
    "$0",
    "show my receipts",
    "move appointment #999999",
    "pay invoice #999999",
    "reschedule my appointment",
    "till what time do they come?",
)
MAX_DEPTH = 3
# What residents open with beyond the router's training examples: billing questions answered from
# the ledger (paid yet? paying later), a card not on file, a cancellation taken back with none to take
# back, access notes for the technician and what a visit is about.
MORE_OPENERS = {
    "billing": (
        "did my november rent go through?",
        "did my rent payment go through?",
        "did my water bill go through?",
        "did my parking payment go through",
        "how much was my last payment?",
        "can i pay next week instead?",
        "pay $20 with my amex",
        "why do i have 2 late fees on my account??",
        "was there a late fee in september too?",
        "what did i pay last month?",
    ),
    "booking": (
        "wait, don't cancel it",
        "restore the appointment i cancelled",
        "can you add a note that the tech should call me 30 min before",
        "the tech can use the spare key with the concierge, my dog is friendly",
        "what is my appointment about?",
    ),
}
# What residents say right after a flow closed (the glue hands the flow its closing note): the same
# request again, a change of mind, what it came to, a note for the visit just booked.
AFTER_CLOSE = (
    "cancel my appointment",
    "wait, don't cancel it",
    "what time was that again?",
    "how much was it again?",
    "can you add a note that they should call me 30 min before",
    "and the month before?",
)


@dataclass
class Written:
    """One reply a flow wrote, with everything the orchestrator verifies it against."""

    agent: str
    said: list[str]
    reply: str
    site: tuple[str, int] | None
    verdict: Verdict
    turn: SpecialistTurn
    evidence: list[dict[str, Any]]


@dataclass
class Explorer:
    conn: asyncpg.Connection
    now: datetime
    written: list[Written] = field(default_factory=list)
    sites: list[tuple[str, int]] = field(default_factory=list)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def step(
        self, agent: AgentSpec, customer: int | None, session_id: str, state: dict[str, Any], said: list[str]
    ) -> FlowReply:
        tools = TurnTools(
            pool=None,  # type: ignore[arg-type]  # calls are recorded here, not run by the executor
            tools={t.name: t for t in agent.tools},
            session_id=session_id,
            turn_id=None,
            customer_id=customer,
            agent=agent.name,
            now=self.now,
            max_calls=50,
        )

        async def call_tool(name: str, args: dict[str, Any]) -> dict[str, Any]:
            tool = agent.tool(name)
            record = ToolCallRecord(name, args, f"k{uuid.uuid4().hex}", None, None, None, False, 0.0)
            tools.calls.append(record)
            try:
                async with self.conn.transaction():
                    ctx = ToolContext(self.conn, session_id, customer, self.now, record.idempotency_key, agent.name)
                    record.result = await tool.fn(ctx, tool.parse(args))
            except ToolError as err:
                record.error, record.code = str(err), err.code
                raise
            return record.result

        context = HandoffContext(
            session_id=session_id, customer_id=customer, vertical=agent.vertical, confidence=0.9, to_agent=agent.name
        )
        history = [("user", s) for s in said[:-1]]
        assert agent.flow is not None
        self.sites.clear()
        reply = await agent.flow().step(FlowTurn(said[-1], dict(state), context, call_tool, self.now, history))
        turn = SpecialistTurn(
            agent, said[-1], dict(state), context, tools, self.now, history, 0, claims=APP.claims, promises=APP.promises
        )
        results = list(reply.tool_results) or [c.result for c in tools.calls if c.result is not None]
        evidence = [*results, reply.state, state]  # what the orchestrator verifies a flow's reply against
        site = self.sites[0] if self.sites else None
        self.written.append(
            Written(agent.name, said, reply.text, site, turn.verify(reply.text, evidence), turn, evidence)
        )
        return reply

    async def explore(
        self,
        agent: AgentSpec,
        customer: int | None,
        session_id: str,
        state: dict[str, Any],
        said: list[str],
        seen: set[str],
    ) -> None:
        """Depth-first: each follow-up from each new state, in a savepoint rolled back after."""
        for text in FOLLOW_UPS:
            tr = self.conn.transaction()
            await tr.start()
            try:
                reply = await self.step(agent, customer, session_id, state, [*said, text])
                key = _state_key(agent, customer, reply)
                if not reply.done and reply.human is None and len(said) < MAX_DEPTH and key not in seen:
                    seen.add(key)
                    self.states[key] = reply.state
                    await self.explore(agent, customer, session_id, reply.state, [*said, text], seen)
                elif reply.done and reply.state and f"closed:{key}" not in seen:
                    seen.add(f"closed:{key}")
                    await self.after_close(agent, customer, session_id, reply.state, [*said, text])
            finally:
                await tr.rollback()

    async def after_close(
        self, agent: AgentSpec, customer: int | None, session_id: str, closing: dict[str, Any], said: list[str]
    ) -> None:
        """The next turn after the flow closed, with its closing note as the glue passes it."""
        for text in AFTER_CLOSE:
            tr = self.conn.transaction()
            await tr.start()
            try:
                await self.step(agent, customer, session_id, {"finished": closing}, [*said, text])
            finally:
                await tr.rollback()


def _state_key(agent: AgentSpec, customer: int | None, reply: FlowReply) -> str:
    """States that differ only in ids and labels lead to the same replies: explore one of them."""
    shape = {k: (v if k == "stage" else type(v).__name__) for k, v in reply.state.items()}
    return f"{agent.name}:{customer}:{json.dumps(shape, sort_keys=True)}"


def reply_sites() -> set[tuple[str, int]]:
    """Every `….reply(...)` call in the business's flows: the reply templates."""
    sites: set[tuple[str, int]] = set()
    for path in sorted(AGENTS_DIR.glob("*.py")):
        if path.name == "tool_turn.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "reply":
                sites.add((path.name, node.lineno))
    return sites


async def residents(conn: asyncpg.Connection) -> dict[str, int | None]:
    """Seeded residents whose accounts cover the cases: nothing owed, a lot owed, a fee, visits."""
    balances = await conn.fetch(
        """SELECT c.id, COALESCE(sum(i.amount_cents - i.paid_cents) FILTER (WHERE i.status = 'open'), 0) AS owed,
                  EXISTS (SELECT 1 FROM payment_methods p WHERE p.customer_id = c.id) AS card,
                  EXISTS (SELECT 1 FROM appointments a WHERE a.customer_id = c.id AND a.status = 'booked') AS visit
           FROM customers c LEFT JOIN invoices i ON i.customer_id = c.id GROUP BY c.id ORDER BY c.id"""
    )
    zero = next(r["id"] for r in balances if r["owed"] == 0 and r["visit"])
    lot = next(r["id"] for r in balances if r["owed"] > 100_000)
    fee = next(r["id"] for r in balances if 0 < r["owed"] <= 10_000 and r["card"])
    no_card: int = await conn.fetchval(  # rolled back after, like everything here
        "INSERT INTO customers (full_name, email, building, unit) VALUES ('Sam Roe', 'sam@example.com',"
        " 'Harbor View', '2B') RETURNING id"
    )
    await conn.execute(
        "INSERT INTO invoices (customer_id, kind, description, amount_cents, issued_on, due_on)"
        " VALUES ($1, 'fee', 'Late fee', 5000, current_date - 20, current_date - 10)",
        no_card,
    )
    no_visit = next(r["id"] for r in balances if r["owed"] == 0 and not r["visit"])
    return {"zero": zero, "owing": lot, "fee": fee, "no_card": no_card, "no_visit": no_visit, "anonymous": None}


async def two_visits(conn: asyncpg.Connection, now: datetime) -> int:
    """A new resident with two upcoming visits (which one to move or cancel?), on the first free slots."""
    customer: int = await conn.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ('Ari Vance', 'ari@example.com',"
        " 'Cedar Lofts', '5C') RETURNING id"
    )
    await conn.execute(
        """INSERT INTO appointments (customer_id, slot_id, kind, category, description)
           SELECT $1, s.id, 'maintenance', t.skill, 'needs a look'
           FROM slots s JOIN technicians t ON t.id = s.technician_id
           WHERE s.kind = 'maintenance' AND s.starts_at > $2 AND t.skill IN ('plumbing', 'electrical')
             AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status = 'booked')
           ORDER BY s.starts_at LIMIT 2""",
        customer,
        now,
    )
    return customer


@pytest.fixture(scope="module")
async def own_seeded_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A freshly seeded database of this module's own: the shared seeded one is changed by other tests
    (visits cancelled, balances paid), which picked other residents and left reply templates unreached."""
    async with seeded_database(server_dsn) as url:
        yield url


@pytest.fixture(scope="module")
async def written(own_seeded_dsn: str) -> list[Written]:
    conn = await asyncpg.connect(own_seeded_dsn)
    explorer = Explorer(conn, datetime.now(BUSINESS_TZ).replace(hour=10, minute=0, second=0, microsecond=0))
    original = tool_turn.ToolTurn.reply

    def recording(self: tool_turn.ToolTurn, *args: Any, **kwargs: Any) -> FlowReply:
        caller = sys._getframe(1)
        explorer.sites.append((Path(caller.f_code.co_filename).name, caller.f_lineno))
        return original(self, *args, **kwargs)

    tool_turn.ToolTurn.reply = recording  # type: ignore[method-assign]
    everything = conn.transaction()  # the seeded database is shared with other tests: nothing stays
    await everything.start()
    try:
        people = await residents(conn)
        for agent in APP.agents.values():
            seen: set[str] = set()
            for who, customer in people.items():
                openers = agent.examples if who in ("zero", "owing", "fee") else agent.examples[:20]
                openers = [*openers, *MORE_OPENERS.get(agent.name, ())]
                for opener in openers:
                    session_id = str(uuid.uuid4())
                    tr = conn.transaction()
                    await tr.start()
                    try:
                        await conn.execute(
                            "INSERT INTO sessions (id, customer_id, channel) VALUES ($1, $2, 'web')",
                            uuid.UUID(session_id),
                            customer,
                        )
                        reply = await explorer.step(agent, customer, session_id, {}, [opener])
                        key = _state_key(agent, customer, reply)
                        if not reply.done and reply.human is None and key not in seen:
                            seen.add(key)
                            explorer.states[key] = reply.state
                            await explorer.explore(agent, customer, session_id, reply.state, [opener], seen)
                    finally:
                        await tr.rollback()
        # A resident with two visits: "which one?", asked and missed.
        booking, seen = APP.agents["booking"], set()
        tr = conn.transaction()
        await tr.start()
        try:
            customer = await two_visits(conn, explorer.now)
            for opener in (
                "cancel my appointment",
                "i need to reschedule my appointment",
                "add a note: gate code 4821",
            ):
                session_id = str(uuid.uuid4())
                await conn.execute(
                    "INSERT INTO sessions (id, customer_id, channel) VALUES ($1, $2, 'web')",
                    uuid.UUID(session_id),
                    customer,
                )
                reply = await explorer.step(booking, customer, session_id, {}, [opener])
                await explorer.explore(booking, customer, session_id, reply.state, [opener], seen)
        finally:
            await tr.rollback()
        # The account changed between two turns (paid elsewhere, a visit moved): every state one
        # resident reached, answered by the resident who owes nothing and has no visit.
        stages = {(key.split(":")[0], str(state.get("stage"))): state for key, state in explorer.states.items()}
        for (name, _), state in stages.items():
            agent = APP.agents[name]
            for text in FOLLOW_UPS:
                tr = conn.transaction()
                await tr.start()
                try:
                    session_id = str(uuid.uuid4())
                    await conn.execute(
                        "INSERT INTO sessions (id, customer_id, channel) VALUES ($1, $2, 'web')",
                        uuid.UUID(session_id),
                        people["no_visit"],
                    )
                    await explorer.step(agent, people["no_visit"], session_id, state, ["(earlier)", text])
                finally:
                    await tr.rollback()
    finally:
        tool_turn.ToolTurn.reply = original  # type: ignore[method-assign]
        await everything.rollback()
        await conn.close()
    return explorer.written


def test_the_verifier_accepts_every_reply_the_flows_write(written: list[Written]) -> None:
    rejected = [w for w in written if not w.verdict.ok]
    assert not rejected, (
        "\n".join(f"{w.agent} {w.said} -> {w.reply!r}: {w.verdict.reasons}" for w in rejected[:10])
        + f"\n({len(rejected)} of {len(written)} rejected)"
    )


def test_the_replies_cover_the_flows_reply_templates(written: list[Written]) -> None:
    """The exploration reaches the flows' reply templates, including the hard-won cases."""
    covered = {w.site for w in written if w.site is not None}
    sites = reply_sites()
    missing = sorted(sites - covered)
    assert len(covered & sites) >= 0.9 * len(sites), f"{len(missing)} of {len(sites)} reply sites unreached: {missing}"
    texts = [w.reply for w in written]
    assert any("$0.00" in t for t in texts)  # a $0 balance read back
    # a full payment (whatever the seed of the day made the fee resident owe)
    assert any(re.search(r"(?i)paid \$[\d,]+\.\d\d\b.*remaining balance is \$0\.00", t) for t in texts)
    assert any(t.startswith("Cancelled: your") for t in texts)  # a cancelled visit
    assert any(re.search(r"(?i)\b(moved|rescheduled)\b", t) for t in texts), "no rescheduled visit"


def _mutations(w: Written) -> Iterator[tuple[str, str]]:
    """False versions of a true reply: what the verifier exists to stop."""
    ok_tools = {c.tool for c in w.turn.tools.calls if c.error is None}
    facts = w.turn.facts()
    money = re.search(r"\$(\d[\d,]*)(?:\.(\d{2}))?", w.reply)
    if money:
        yield "wrong amount", w.reply.replace(money.group(0), "$13,913.37", 1)
    if not ok_tools & {"book_appointment", "reschedule_appointment"} and "booked" not in facts:
        yield "booking without a tool", f"{w.reply} You're booked for that visit."
    if "pay_balance" not in ok_tools and "paid" not in facts:
        yield "payment without a tool", f"{w.reply} I've paid that for you."
    if "cancel_appointment" not in ok_tools and "cancelled" not in facts:
        yield "cancellation without a tool", f"{w.reply} Your visit has been cancelled."


def test_the_verifier_rejects_the_same_replies_falsified(written: list[Written]) -> None:
    tried = 0
    passed: list[str] = []
    for w in written:
        for kind, text in _mutations(w):
            tried += 1
            if w.turn.verify(text, w.evidence).ok:
                passed.append(f"{kind}: {text!r}")
    assert tried > len(written)
    assert not passed, f"{len(passed)} of {tried} falsified replies passed: {passed[:5]}"

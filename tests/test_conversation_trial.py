"""What an outsider's trial found, from the resident's side: whole conversations through the orchestrator.

Each class of miss (a policy question asked indirectly, a repair request typed in a hurry or padded
with courtesy, a rule about paying late asked as a hypothetical, a fee asked about by name) is tried
in wordings generated here — frames x topics, one-letter slips, courtesy and hesitation from the eval
generator (evals/generated/templates.yaml) — not in the trial's own sentences. The database is seeded
for Monday 2026-11-30 and the clock is that evening in New York, as in the trial.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from seeded import clocked, converse, seeded_runtime, variants

from callcenter.evals.paraphrase import Spec, load_spec, typo
from callcenter.orchestrator import Orchestrator
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
EVENING = datetime(2026, 11, 30, 20, 45, tzinfo=TZ)
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
OWES_NOTHING = (2, 3, 5, 6, 7)
LATE_FEE_OWED = 30  # the seed's resident whose open charge is a late fee ($118.50), beside paid parking fees


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def trial_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=EVENING.date()) as rt:
        yield rt


def orchestrator(rt: Runtime, now: datetime = EVENING) -> Orchestrator:
    return clocked(rt, now)


# --- a question whether something is allowed goes to the handbook ---------------------------------------

_FRAMES = (
    "thinking about {x}, would that be a problem?",
    "would it be ok if {y}",
    "quick one - {y}, is that allowed?",
    "any rules about {x}?",
    "{y}. is that fine with you guys",
    "would you mind if {y}",
)
# (what the resident is planning, as a noun phrase and as a clause; words the handbook's answer has)
_TOPICS = (
    ("getting a kitten", "i adopted a rabbit", r"pet"),
    ("bringing home a puppy", "my daughter got a hamster", r"pet"),
    ("subletting my unit over the summer", "i rented my place out on airbnb while i travel", r"approval"),
    ("letting a friend take over my lease for a few months", "a friend rented my room while im abroad", r"approval"),
    (
        "a visitor parking his truck in the lot for the weekend",
        "my guest left her car in the lot overnight",
        r"48 hours",
    ),
    (
        "having friends over playing music until midnight",
        "my roommate plays loud music late at night",
        r"[Qq]uiet|loud",
    ),
)


@pytest.mark.parametrize("topic", _TOPICS, ids=lambda t: t[0].split()[0] + "-" + t[0].split()[-1])
async def test_a_question_whether_something_is_allowed_is_answered_from_the_handbook(
    trial_runtime: Runtime, spec: Spec, topic: tuple[str, str, str]
) -> None:
    import re

    noun, clause, expected = topic
    orch = orchestrator(trial_runtime)
    for i, frame in enumerate(_FRAMES):
        base = frame.format(x=noun, y=clause)
        for text in variants(spec, base, 2, seed=i):
            [(agent, reply)] = await converse(orch, OWES_NOTHING[i % len(OWES_NOTHING)], [text])
            assert agent == "general", (text, agent, reply)
            assert re.search(expected, reply), (text, reply)
            assert "What needs fixing" not in reply and "complaint" not in reply, (text, reply)


# --- a repair request, however typed, is booked ---------------------------------------------------------

_REPAIRS = (
    ("my toilet is clogged", "plumbing"),
    ("the kitchen faucet is dripping", "plumbing"),
    ("the dishwasher won't drain", "appliance"),
    ("my bedroom window doesn't close", "maintenance"),
    ("the bathroom door sticks", "maintenance"),
    ("the radiator stopped working", "HVAC"),
)
_PADDING = (
    "{r}, can somebody come fix it",
    "hello, sorry to bother you, i was wondering whether someone could possibly take a look, {r}, thanks so much",
    "could someone look at this when you have a moment: {r}, which is a bit annoying",
    "{r} pls send someone",
)


def _slip(text: str, rng: random.Random) -> str:
    """One-letter slips in the two longest words, as a resident typing with their thumbs."""
    words = text.split()
    longest = sorted(range(len(words)), key=lambda i: -len(words[i].strip(",.")))[:2]
    for i in longest:
        if len(words[i]) >= 5:
            words[i] = typo(words[i], rng)
    return " ".join(words)


@pytest.mark.parametrize("repair", _REPAIRS, ids=lambda r: r[0].split()[-2])
async def test_a_repair_request_typed_in_a_hurry_or_padded_is_booked(
    trial_runtime: Runtime, repair: tuple[str, str]
) -> None:
    said, visit = repair
    orch = orchestrator(trial_runtime)
    rng = random.Random(said)
    for n, pad in enumerate(_PADDING):
        for text in (pad.format(r=said), _slip(pad.format(r=said), rng)):
            [(agent, reply)] = await converse(orch, OWES_NOTHING[n % len(OWES_NOTHING)], [text])
            assert agent == "booking", (text, agent, reply)
            assert "1) " in reply and visit in reply, (text, reply)


@pytest.mark.parametrize(
    "said",
    [
        "the neighbours upstairs are so loud, this is the third time this week",  # a grievance: the complaint desk
        "my sink has been leaking for three weeks and nobody came",
        "how much does it cost if my guest broke the window",  # a question about the rules
        "is it ok if the plumber comes while my dog is home",
    ],
)
async def test_grievances_and_questions_about_repairs_are_not_forced_into_a_booking(
    trial_runtime: Runtime, said: str
) -> None:
    from callcenter_agents.request_kinds import is_repair_request

    assert not is_repair_request(said)


# --- when rent counts as late, asked as a hypothetical, even with nothing owed ------------------------


@pytest.mark.parametrize(
    "said",
    [
        "is it a problem if i pay rent on the 8th",
        "would I get charged if my rent goes in on the 7th?",
        "is it ok to pay my rent a couple days late this month",
        "would it be an issue if I paid on the 9th",
    ],
)
async def test_paying_late_asked_as_a_hypothetical_gets_the_rule(trial_runtime: Runtime, spec: Spec, said: str) -> None:
    orch = orchestrator(trial_runtime)
    for i, text in enumerate(variants(spec, said, 3, seed=11)):
        [(agent, reply)] = await converse(orch, OWES_NOTHING[i], [text])
        assert ("late fee" in reply or "grace period" in reply) and ("5th" in reply or "6th" in reply), (text, reply)
        assert "nothing to pay" not in reply, (text, reply)


@pytest.mark.parametrize(
    "said",
    [
        "whats this late fee on my account",
        "why do i have a late fee?",
        "what's the late fee for",
        "explain the late fee",
    ],
)
async def test_a_fee_asked_about_by_name_is_that_fee_explained(trial_runtime: Runtime, spec: Spec, said: str) -> None:
    orch = orchestrator(trial_runtime)
    for text in variants(spec, said, 3, seed=12):
        [(agent, reply)] = await converse(orch, LATE_FEE_OWED, [text])
        assert agent == "billing" and "late fee ($118.50)" in reply.lower(), (text, reply)
        assert "grace period" in reply, (text, reply)


# --- a payment limited to one charge in everyday words; a loose yes; what is left after paying --------

_RENT_DUE = {15: 244500, 19: 195000, 24: 240000}  # residents with an open rent invoice beside other charges


async def last_payment(rt: Runtime) -> int:
    return int(await rt.pool.fetchval("SELECT coalesce(max(id), 0) FROM payments"))


async def undo_payments(rt: Runtime, since: int) -> list[tuple[str, int]]:
    """(invoice kind, cents) of each payment made after `since`, then undone, so the next wording
    meets the same ledger."""
    rows = await rt.pool.fetch(
        "SELECT i.kind, p.amount_cents FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE p.id > $1", since
    )
    await rt.pool.execute(
        """WITH gone AS (DELETE FROM payments WHERE id > $1 RETURNING invoice_id, amount_cents)
           UPDATE invoices i SET paid_cents = i.paid_cents - g.cents, status = 'open'
           FROM (SELECT invoice_id, sum(amount_cents) AS cents FROM gone GROUP BY invoice_id) g
           WHERE i.id = g.invoice_id""",
        since,
    )
    return [(str(r["kind"]), int(r["amount_cents"])) for r in rows]


@pytest.mark.parametrize(
    ("first", "limit"),
    [
        ("pay everything", "actually just the rent"),
        ("I'd like to pay my whole balance", "wait, only the rent please"),
        ("can I pay just the rent part?", None),
        ("I want to pay only my rent", None),
        ("make a payment", "just the rent"),
    ],
)
async def test_a_payment_limited_to_the_rent_pays_the_rent_invoice_and_never_more(
    trial_runtime: Runtime, first: str, limit: str | None
) -> None:
    orch = orchestrator(trial_runtime)
    for customer, rent in _RENT_DUE.items():
        since = await last_payment(trial_runtime)
        session = await orch.open_session(channel="test", customer_id=customer)
        replies = [(await orch.handle_turn(session.id, said)).text for said in [first, *([limit] if limit else [])]]
        rent_text = f"${rent // 100:,}.00"
        assert f"Pay {rent_text} for Rent" in replies[-1], (first, limit, replies)
        done = (await orch.handle_turn(session.id, "yes")).text
        assert f"paid {rent_text}" in done, done
        assert await undo_payments(trial_runtime, since) == [("rent", rent)]


@pytest.mark.parametrize(
    "loose_yes",
    ["yeah whichever one, doesnt matter", "yes go ahead with that one", "sure, whatever is easiest for you"],
)
async def test_a_loose_yes_to_the_confirm_question_pays(trial_runtime: Runtime, loose_yes: str) -> None:
    orch = orchestrator(trial_runtime)
    since = await last_payment(trial_runtime)
    replies = await converse(orch, 37, ["i want to pay what i owe", loose_yes])
    assert replies[1][0] == "billing" and "Done: I've paid $97.25" in replies[1][1], replies
    assert await undo_payments(trial_runtime, since) == [("fee", 9725)]


@pytest.mark.parametrize(
    "left", ["how much is left", "so what do I still owe?", "whats my balance now", "how much is remaining"]
)
async def test_what_is_left_after_a_partial_payment_is_the_balance(trial_runtime: Runtime, left: str) -> None:
    orch = orchestrator(trial_runtime)
    since = await last_payment(trial_runtime)
    replies = await converse(orch, 32, ["pay $10", "yes", left])
    assert "remaining balance is $65.00" in replies[1][1], replies
    assert replies[2][0] == "billing" and "$65.00" in replies[2][1], replies
    assert await undo_payments(trial_runtime, since) == [("fee", 1000)]


async def test_the_card_on_file_as_an_answer_to_how_much_keeps_the_payment(trial_runtime: Runtime) -> None:
    orch = orchestrator(trial_runtime)
    replies = await converse(orch, 30, ["pay it", "the card on file is fine"])
    assert "How much" in replies[0][1]
    assert "full balance of $118.50" in replies[1][1] and "Payment methods on file" not in replies[1][1], replies


# --- context after a step: the one appointment read back, a lockout's price ------------------------------


@pytest.mark.parametrize(
    "move", ["can you move it to thursday", "could we change that to thursday?", "push it to thursday please"]
)
async def test_the_one_appointment_read_back_is_the_one_moved(trial_runtime: Runtime, move: str) -> None:
    orch = orchestrator(trial_runtime)
    replies = await converse(orch, 10, ["when is my appointment?", move])  # the seed gives resident 10 one visit
    assert "(#5)" in replies[0][1]
    assert replies[1][0] == "booking" and "Let's move your maintenance visit" in replies[1][1], replies
    assert "Thu Dec 3" in replies[1][1], replies


@pytest.mark.parametrize(
    ("lockout", "follow_up"),
    [
        ("lost my keys, can you let me in", "how much does that cost"),
        ("I misplaced my key fob and can't get back in", "what does that cost?"),
        ("I forgot my keys, can someone let me in", "how much is that"),
    ],
)
async def test_a_lockout_and_its_price_asked_after(trial_runtime: Runtime, lockout: str, follow_up: str) -> None:
    orch = orchestrator(trial_runtime)
    replies = await converse(orch, 3, [lockout, follow_up])
    assert "locked out" in replies[0][1] and "555-0100" in replies[0][1], replies
    # a price from the lockouts section, not the repairs one ("Routine repairs are free")
    assert replies[1][0] == "general" and re.search(r"\$75|\$25", replies[1][1]), replies
    assert "lockout" in replies[1][1] or "fob" in replies[1][1], replies


# --- after a gas report, "I'm outside" is heard ---------------------------------------------------------


@pytest.mark.parametrize("out", ["ok im outside now", "we're all out of the building", "made it out, I'm safe"])
async def test_outside_after_a_gas_report_is_acknowledged_not_told_to_leave_again(
    trial_runtime: Runtime, out: str
) -> None:
    orch = orchestrator(trial_runtime)
    replies = await converse(orch, 13, ["I smell gas in my kitchen", out, "thanks"])
    assert "leave your home now" in replies[0][1]
    for agent, reply in replies[1:]:
        assert agent == "escalation" and "leave your home now" not in reply, replies
        assert "ticket #" in reply and "555-0100" in reply, replies
    assert "you're out" in replies[1][1], replies

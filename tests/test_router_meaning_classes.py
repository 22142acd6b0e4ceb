"""Class B of the outsider trial, from the resident's side: nothing unrecognised falls into booking.

Before, the classifier sent anything it half-recognised to the booking agent: "did i get a package?"
heard "What needs fixing?", "how do I owe" and a permit's price got a list of openings, a call back
asked for mid-offer got "Which one works: 1, 2 or 3?", and a shower with barely any hot water got
the water bill. Each class is tried in wordings generated here (the trial's sentence, paraphrases,
the eval generator's slips and courtesy, Spanish where a resident would mix it in) through the
orchestrator on a seeded business, and the replies' facts are checked against the database: the
balance the resident owes, the visits they have, the ticket a call back leaves, and no appointment
booked by a message that asked for none.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from seeded import clocked, converse, seeded_runtime, variants

from callcenter.evals.paraphrase import Spec, load_spec
from callcenter.orchestrator import Orchestrator
from callcenter.runtime import Runtime
from callcenter.settings import Settings

TZ = ZoneInfo("America/New_York")
EVENING = datetime(2026, 12, 1, 19, 30, tzinfo=TZ)  # the trial's "today": Tue Dec 1, evening
TEMPLATES = Path(__file__).resolve().parents[1] / "evals" / "generated" / "templates.yaml"
BOOKING_PROMPTS = re.compile(r"What needs fixing\?|Here are the soonest openings|Which one works")


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def rt(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    async with seeded_runtime(server_dsn, test_settings, today=EVENING.date()) as runtime:
        yield runtime


async def appointments(rt: Runtime, cid: int) -> int:
    return int(await rt.store.pool.fetchval("SELECT count(*) FROM appointments WHERE customer_id = $1", cid))


async def balance_text(rt: Runtime, cid: int) -> str:
    """The resident's balance as the help line says it, from the open invoices."""
    cents = int(
        await rt.store.pool.fetchval(
            "SELECT coalesce(sum(amount_cents - paid_cents), 0) FROM invoices "
            "WHERE customer_id = $1 AND status = 'open'",
            cid,
        )
    )
    return f"${cents // 100:,}.{cents % 100:02d}"


async def a_resident_who_owes(rt: Runtime) -> int:
    cid: int = await rt.store.pool.fetchval(
        "SELECT customer_id FROM invoices WHERE status = 'open' GROUP BY customer_id "
        "HAVING sum(amount_cents - paid_cents) > 100000 ORDER BY customer_id LIMIT 1"
    )
    return cid


_PACKAGES = (
    "hey did i get a package? amazon says delivered but its not at my door",
    "amazon says my parcel was delivered but i cant find it",
    "do i have any packages waiting",
    "can my neighbor sign for my package",
    "ups says delivered, where would it be",
    "where do packages go when im not home",
)


@pytest.mark.parametrize("wording", _PACKAGES)
async def test_a_package_question_gets_the_package_room_never_a_booking(rt: Runtime, spec: Spec, wording: str) -> None:
    orch = clocked(rt, EVENING)
    before = await appointments(rt, 1)
    for said in variants(spec, wording, 3, seed=21):
        [(agent, reply)] = await converse(orch, 1, [said])
        assert agent == "general" and re.search(r"[Pp]ackage", reply), (said, agent, reply)
        assert not BOOKING_PROMPTS.search(reply), (said, reply)
    assert await appointments(rt, 1) == before


_PERMITS = (
    "and do i need a permit for my own car, i just bought one",
    "do i need a parking permit",
    "where do i get a parking sticker for my car",
    "i got a new car, does it need a permit",
)


@pytest.mark.parametrize("wording", _PERMITS)
async def test_a_parking_permit_question_and_its_price_come_from_the_parking_rules(
    rt: Runtime, spec: Spec, wording: str
) -> None:
    orch = clocked(rt, EVENING)
    for said in variants(spec, wording, 2, seed=4):
        for price in variants(spec, "how much is it", 2, seed=9):
            (agent, reply), (then, cost) = await converse(orch, 1, [said, price])
            # the parking rules (a permit request may also be noted for the office), never a booking
            assert re.search(r"[Pp]ermit|parking", reply) and not BOOKING_PROMPTS.search(reply), (said, reply)
            # the handbook's price for the resident's own building (Maple Court), not a list of openings or
            # the resident's balance; not the other buildings' prices either (outsider trial, conv 18)
            assert "$60 per month" in cost and "$95 per month" not in cost, (price, then, cost)


_OWES = (
    "Hello. I received a letter. I don't understand it. Something about money.",
    "I don't know dear, it says I owe something",
    "how do I owe",
    "thanks, and how much do I owe",
    "what do i owe you",
    "got a notice saying im past due, how much is it",
)


@pytest.mark.parametrize("wording", _OWES)
async def test_money_owed_however_said_is_the_balance_from_the_ledger(rt: Runtime, spec: Spec, wording: str) -> None:
    orch = clocked(rt, EVENING)
    cid = await a_resident_who_owes(rt)
    owed = await balance_text(rt, cid)
    for said in variants(spec, wording, 3, seed=13):
        [(agent, reply)] = await converse(orch, cid, [said])
        assert agent == "billing" and owed in reply, (said, owed, agent, reply)


async def test_money_asked_while_openings_are_offered_leaves_the_booking(rt: Runtime, spec: Spec) -> None:
    """c29: "how much do I owe" to a list of openings got the list again; "how do I owe", a "which one?"."""
    orch = clocked(rt, EVENING)
    cid = await a_resident_who_owes(rt)
    owed = await balance_text(rt, cid)
    for asked in ("how do I owe", "thanks, and how much do I owe", "wait how much do i owe right now"):
        for said in variants(spec, asked, 2, seed=2):
            (_, offer), (agent, reply) = await converse(orch, cid, ["my kitchen sink is clogged", said])
            assert "Which one works" in offer, offer
            assert agent == "billing" and owed in reply, (said, agent, reply)


_STILL_ON = (
    "is my appointment still on",
    "is my plumbing appointment still on?",
    "is the technician still coming",
    "do i still have an appointment",
    "are they still coming?",
)


@pytest.mark.parametrize("wording", _STILL_ON)
async def test_whether_a_visit_is_still_on_reads_back_the_residents_visits(
    rt: Runtime, spec: Spec, wording: str
) -> None:
    orch = clocked(rt, EVENING)
    cid = int(
        await rt.store.pool.fetchval(
            "SELECT a.customer_id FROM appointments a JOIN slots s ON s.id = a.slot_id "
            "WHERE a.status = 'booked' AND s.starts_at > $1 ORDER BY a.customer_id LIMIT 1",
            EVENING,
        )
    )
    ids = [
        r["id"]
        for r in await rt.store.pool.fetch(
            "SELECT a.id FROM appointments a JOIN slots s ON s.id = a.slot_id "
            "WHERE a.customer_id = $1 AND a.status = 'booked' AND s.starts_at > $2",
            cid,
            EVENING,
        )
    ]
    before = await appointments(rt, cid)
    for said in variants(spec, wording, 3, seed=8):
        [(agent, reply)] = await converse(orch, cid, [said])
        assert agent == "booking" and "Your upcoming appointments" in reply, (said, reply)
        assert all(f"(#{i})" in reply for i in ids), (said, ids, reply)
    assert await appointments(rt, cid) == before


_HOT_WATER = (
    "Hi, my shower has barely any hot water since monday. also when is the office open?",
    "no i mean the hot water isnt working, i need someone to come fix it",
    "there's no hot water in my bathroom",
    "the hot water keeps running out after 2 minutes",
    "only lukewarm water comes out of the shower",
    "my shower has hardly any hot water",
)


@pytest.mark.parametrize("wording", _HOT_WATER)
async def test_hot_water_that_fails_is_a_plumbing_visit_not_the_water_bill(
    rt: Runtime, spec: Spec, wording: str
) -> None:
    orch = clocked(rt, EVENING)
    for said in variants(spec, wording, 3, seed=17):
        [(agent, reply)] = await converse(orch, 2, [said])
        assert agent == "booking" and "plumbing visit" in reply and "Which one works" in reply, (said, reply)
        assert "billed" not in reply, (said, reply)


_CALL_BACK = (
    "can somebody call me on the telephone",
    "can someone call me please",
    "have someone phone me, i dont use the computer much",
    "i'd like a call back",
    "could you give me a call instead",
)


@pytest.mark.parametrize("wording", _CALL_BACK)
async def test_a_call_back_asked_mid_offer_reaches_a_person(rt: Runtime, spec: Spec, wording: str) -> None:
    orch = clocked(rt, EVENING)
    for said in variants(spec, wording, 2, seed=6):
        session = await orch.open_session(channel="test", customer_id=3)
        offer = await orch.handle_turn(session.id, "my dishwasher is leaking")
        assert "Which one works" in offer.text, offer.text
        result = await orch.handle_turn(session.id, said)
        assert result.agent == "escalation" and result.human_handoff, (said, result.agent, result.text)
        assert "Which one works" not in result.text, (said, result.text)
        stored = await rt.store.pool.fetchval(
            "SELECT count(*) FROM handoffs WHERE session_id = $1 AND kind = 'human'", session.id
        )
        assert stored == 1, (said, stored)


async def test_a_call_back_asked_in_spanish_reaches_a_person(rt: Runtime) -> None:
    orch = clocked(rt, EVENING)
    for said in ("¿me pueden llamar por teléfono?", "llámenme por favor, no uso la computadora"):
        session = await orch.open_session(channel="test", customer_id=3)
        result = await orch.handle_turn(session.id, said)
        assert result.human_handoff and not BOOKING_PROMPTS.search(result.text), (said, result.text)


# Nothing any agent does, yet near enough the home for the classifier to guess a booking.
_FITS_NOTHING = (
    "ok and can my sister pick it up for me",
    "hmm what about the other thing",
    "my cousin said you would know",
    "the blue one",
    "is that how it works here",
)


@pytest.mark.parametrize("wording", _FITS_NOTHING)
async def test_what_fits_nothing_is_said_not_understood_with_what_the_line_does(
    rt: Runtime, spec: Spec, wording: str
) -> None:
    orch: Orchestrator = clocked(rt, EVENING)
    before = await appointments(rt, 5)
    for said in variants(spec, wording, 3, seed=19):
        [(agent, reply)] = await converse(orch, 5, [said])
        assert not BOOKING_PROMPTS.search(reply), (said, agent, reply)
        # said not understood (or not ours) with what the line does, or the handbook's honest miss
        honest = "I can book, move or cancel" in reply
        assert honest or (agent == "general" and "couldn't find an answer" in reply), (said, agent, reply)
    assert await appointments(rt, 5) == before


async def test_a_repair_or_a_time_still_books(rt: Runtime) -> None:
    """The guard keeps what booking does: a repair however vague, and a time for one."""
    orch = clocked(rt, EVENING)
    for said in ("the thing in the kitchen isn't working right", "my fridge is warm inside", "need a plumber"):
        [(agent, reply)] = await converse(orch, 5, [said])
        assert agent == "booking" and BOOKING_PROMPTS.search(reply), (said, agent, reply)

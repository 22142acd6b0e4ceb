"""Booking flow conversations against the real tools and a real database.

Each test books in its own far-future week with its own technician and resident, so the
shared database's other rows (seed, other tests) never show up in its searches.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from callcenter_agents.booking import AGENT, appointment_number, detect_intent
from callcenter_tools.booking import BUSINESS_TZ
from callcenter_tools.booking_windows import widened_windows
from flow_convo import Convo
from own_weeks import OwnWeeks

# 2045-2086: before test_tools_booking's 2087 and test_booking_trial_classes' 2090 on.
_WEEKS = OwnWeeks(datetime(2045, 1, 2, 9, 0, tzinfo=BUSINESS_TZ), datetime(2087, 1, 5, tzinfo=BUSINESS_TZ), apart=2)


def a_monday_morning() -> datetime:
    """9:00 on a Monday decades ahead: a week (and the next) no other test of the run books in."""
    return _WEEKS.next_monday()


async def resident(pool: asyncpg.Pool) -> int:
    cid: int = await pool.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ('Test Resident', $1, 'Maple Court', '2A')"
        " RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    return cid


async def slots(pool: asyncpg.Pool, skill: str, kind: str, starts: list[datetime]) -> list[int]:
    tech: int = await pool.fetchval(
        "INSERT INTO technicians (name, skill) VALUES ($1, $2) RETURNING id", f"Tech {uuid.uuid4().hex[:6]}", skill
    )
    ids = []
    for start in starts:
        ids.append(
            await pool.fetchval(
                "INSERT INTO slots (technician_id, kind, starts_at, ends_at) VALUES ($1, $2, $3, $4) RETURNING id",
                tech,
                kind,
                start,
                start + timedelta(hours=1),
            )
        )
    return ids


def at(now: datetime, days: int, hour: int) -> datetime:
    return (now + timedelta(days=days)).replace(hour=hour, minute=0)


async def week_of_plumbing(pool: asyncpg.Pool, now: datetime) -> dict[str, int]:
    """Tue/Wed this week, Tue and Thu of next week (now is a Monday)."""
    when = {
        "tue10": at(now, 1, 10),
        "tue15": at(now, 1, 15),
        "wed9": at(now, 2, 9),
        "ntue10": at(now, 8, 10),
        "ntue13": at(now, 8, 13),
        "ntue15": at(now, 8, 15),
        "ntue16": at(now, 8, 16),
        "nthu9": at(now, 10, 9),
        "nthu10": at(now, 10, 10),
        "nthu14": at(now, 10, 14),
    }
    ids = await slots(pool, "plumbing", "maintenance", list(when.values()))
    return dict(zip(when, ids, strict=True))


async def plumbing_week_chat(pool: asyncpg.Pool) -> tuple[datetime, dict[str, int], int, Convo]:
    """The usual start: a Monday morning of its own, a week of plumbing slots, a new resident and their
    booking conversation opened; (now, slot ids by name, resident id, conversation)."""
    now = a_monday_morning()
    ids = await week_of_plumbing(pool, now)
    cid = await resident(pool)
    return now, ids, cid, await Convo(pool, AGENT, cid, now).open()


async def booked(pool: asyncpg.Pool, customer_id: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT a.*, s.starts_at FROM appointments a JOIN slots s ON s.id = a.slot_id"
        " WHERE a.customer_id = $1 ORDER BY a.id",
        customer_id,
    )
    return rows


async def test_sink_leak_next_tuesday_after_three_books_one_slot_in_window(pool: asyncpg.Pool) -> None:
    now, ids, cid, c = await plumbing_week_chat(pool)

    r = await c.say("my kitchen sink leaks")
    assert not r.done and "1)" in r.text and "plumbing" in r.text
    assert c.state["category"] == "plumbing"
    r = await c.say("next tuesday after 3")
    labels = [o["label"] for o in c.state["options"]]
    assert [o["slot_id"] for o in c.state["options"]] == [ids["ntue15"], ids["ntue16"]]
    assert all(label in r.text for label in labels)
    r = await c.say("the first one")
    assert r.text.startswith("Shall I book a plumbing visit on ") and labels[0] in r.text
    assert await booked(pool, cid) == []  # nothing is written before the yes
    r = await c.say("yes")
    assert r.done
    rows = await booked(pool, cid)
    assert len(rows) == 1
    assert rows[0]["slot_id"] == ids["ntue15"] and rows[0]["status"] == "booked"
    assert rows[0]["category"] == "plumbing"
    local = rows[0]["starts_at"].astimezone(BUSINESS_TZ)
    assert local.date() == (now + timedelta(days=8)).date() and local.hour >= 15
    assert f"#{rows[0]['id']}" in r.text and labels[0] in r.text
    assert any(res.get("appointment_id") == rows[0]["id"] for res in r.tool_results)


async def test_missing_issue_is_asked_and_correction_mid_flow_re_searches(pool: asyncpg.Pool) -> None:
    _, ids, cid, c = await plumbing_week_chat(pool)

    r = await c.say("I need a maintenance visit next tuesday after 3")
    assert "What needs fixing?" in r.text and not r.done
    r = await c.say("the bathroom faucet keeps dripping")
    assert [o["slot_id"] for o in c.state["options"]] == [ids["ntue15"], ids["ntue16"]]
    r = await c.say("actually thursday morning would be better")
    assert [o["slot_id"] for o in c.state["options"]] == [ids["nthu9"], ids["nthu10"]]
    r = await c.say("the second one")
    assert "Shall I book" in r.text
    r = await c.say("no, make it tuesday at 4")
    assert [o["slot_id"] for o in c.state["options"]] == [ids["ntue16"]] or c.state.get("stage") == "confirm"
    if c.state.get("stage") != "confirm":
        r = await c.say("that one")
    assert c.state["chosen"]["slot_id"] == ids["ntue16"]
    r = await c.say("yes please")
    rows = await booked(pool, cid)
    assert [row["slot_id"] for row in rows] == [ids["ntue16"]]


async def test_never_mind_at_confirmation_writes_nothing(pool: asyncpg.Pool) -> None:
    _, _, cid, c = await plumbing_week_chat(pool)
    await c.say("my toilet is clogged")
    r = await c.say("the first one")
    assert "Shall I book" in r.text
    r = await c.say("never mind")
    assert r.done and "haven't booked" in r.text
    assert await booked(pool, cid) == []


async def test_no_at_confirmation_offers_the_others(pool: asyncpg.Pool) -> None:
    _, ids, cid, c = await plumbing_week_chat(pool)
    await c.say("the shower drain is clogged, anything next thursday?")
    await c.say("1")
    r = await c.say("no")
    assert not r.done and [o["slot_id"] for o in c.state["options"]] == [ids["nthu10"], ids["nthu14"]]
    await c.say("the 2pm one")
    await c.say("yes")
    assert [row["slot_id"] for row in await booked(pool, cid)] == [ids["nthu14"]]


async def test_nothing_in_window_widens_and_says_so(pool: asyncpg.Pool) -> None:
    _, ids, _, c = await plumbing_week_chat(pool)
    r = await c.say("my kitchen sink is leaking, can someone come next wednesday?")
    assert "widened" in r.text or "soonest" in r.text
    assert c.state["options"][0]["slot_id"] in ids.values()


async def test_reschedule_and_cancel_existing_appointment(pool: asyncpg.Pool) -> None:
    now, ids, cid, c = await plumbing_week_chat(pool)
    await c.say("my sink is leaking, tomorrow at 10 please")
    await c.say("the first one")
    await c.say("yes")
    [row] = await booked(pool, cid)
    assert row["slot_id"] == ids["tue10"]

    c2 = await Convo(pool, AGENT, cid, now).open()
    r = await c2.say("can I move my appointment to next thursday?")
    assert "Let's move your plumbing visit" in r.text
    r = await c2.say("the last one")
    assert "Shall I move your plumbing visit from" in r.text
    assert [x["slot_id"] for x in await booked(pool, cid)] == [ids["tue10"]]
    r = await c2.say("yes")
    assert r.done and "moved" in r.text
    [row] = await booked(pool, cid)
    assert row["slot_id"] == ids["nthu14"] and row["status"] == "booked"

    c3 = await Convo(pool, AGENT, cid, now).open()
    r = await c3.say("when is my appointment?")
    assert r.done and f"#{row['id']}" in r.text
    r = await c3.say("please cancel my appointment")
    assert "Shall I cancel your plumbing visit" in r.text
    r = await c3.say("no, keep it")
    assert r.done and (await booked(pool, cid))[0]["status"] == "booked"
    await c3.say("cancel my appointment")
    r = await c3.say("yes")
    assert r.done and "Cancelled" in r.text
    assert (await booked(pool, cid))[0]["status"] == "cancelled"


async def test_viewing_books_a_leasing_slot(pool: asyncpg.Pool) -> None:
    now = a_monday_morning()
    [slot] = await slots(pool, "leasing", "viewing", [at(now, 3, 11)])
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say("I'd like to schedule a viewing of a two bedroom this thursday")
    assert "unit viewing" in r.text
    # One opening: the offer is the confirmation, and one yes books it (no second "shall I?").
    assert c.state["stage"] == "confirm" and "Shall I book a unit viewing on" in r.text
    assert await booked(pool, cid) == []
    r = await c.say("yes")
    assert r.done and "booked" in r.text
    [row] = await booked(pool, cid)
    assert row["slot_id"] == slot and row["kind"] == "viewing"


async def test_single_matching_slot_needs_one_confirmation(pool: asyncpg.Pool) -> None:
    now, ids, cid, c = await plumbing_week_chat(pool)
    r = await c.say("my kitchen sink leaks, can someone come next tuesday at 4pm?")
    assert r.text.count("?") >= 1 and "Shall I book a plumbing visit on" in r.text
    assert c.state["stage"] == "confirm" and c.state["chosen"]["slot_id"] == ids["ntue16"]
    assert "Does that work" not in r.text
    r = await c.say("yes")
    assert r.done and "booked" in r.text
    assert [row["slot_id"] for row in await booked(pool, cid)] == [ids["ntue16"]]
    # Picking the only opening ("that one") is the same yes.
    c2 = await Convo(pool, AGENT, cid, now).open()
    await c2.say("the bathroom faucet drips, thursday 9am next week please")
    assert c2.state["chosen"]["slot_id"] == ids["nthu9"]
    r = await c2.say("that one")
    assert r.done and ids["nthu9"] in [row["slot_id"] for row in await booked(pool, cid)]


async def test_someone_elses_appointment_number_is_not_found_and_own_are_offered(pool: asyncpg.Pool) -> None:
    now = a_monday_morning()
    ids = await week_of_plumbing(pool, now)
    other, cid = await resident(pool), await resident(pool)
    insert = (
        "INSERT INTO appointments (customer_id, slot_id, kind, category, description)"
        " VALUES ($1, $2, 'maintenance', 'plumbing', 'leak') RETURNING id"
    )
    theirs = await pool.fetchval(insert, other, ids["tue10"])
    mine = await pool.fetchval(insert, cid, ids["wed9"])
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say(f"cancel appointment #{theirs}")
    assert f"can't find appointment #{theirs}" in r.text
    assert "Shall I cancel your plumbing visit" in r.text and f"#{mine}" in r.text
    assert c.state["appointment"]["appointment_id"] == mine
    r = await c.say("no")
    assert r.done
    assert "cancel_appointment" not in c.calls
    assert await pool.fetchval("SELECT status FROM appointments WHERE id = $1", theirs) == "booked"
    # Their own number goes straight to the confirmation.
    c2 = await Convo(pool, AGENT, cid, now).open()
    r = await c2.say(f"please cancel appointment number {mine}")
    assert "can't find" not in r.text and "Shall I cancel your plumbing visit" in r.text
    r = await c2.say("yes")
    assert r.done and "Cancelled" in r.text
    # With nothing upcoming, the answer is the same whether or not the number exists elsewhere.
    c3 = await Convo(pool, AGENT, cid, now).open()
    r1 = await c3.say(f"cancel appointment #{theirs}")
    c4 = await Convo(pool, AGENT, cid, now).open()
    r2 = await c4.say("cancel appointment #999999999")
    assert r1.text.replace(str(theirs), "N") == r2.text.replace("999999999", "N")


async def test_unverified_resident_is_asked_to_sign_in(pool: asyncpg.Pool) -> None:
    now = a_monday_morning()
    await week_of_plumbing(pool, now)
    c = await Convo(pool, AGENT, None, now).open()
    r = await c.say("what appointments do I have?")
    assert r.done and "sign in" in r.text
    c = await Convo(pool, AGENT, None, now).open()
    await c.say("my sink leaks")
    await c.say("the first one")
    r = await c.say("yes")
    assert r.done and "sign in" in r.text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("my sink leaks", "book"),
        ("cancel my appointment", "cancel"),
        ("can we push the visit to Friday", "reschedule"),
        ("I need to reschedule", "reschedule"),
        ("when is the plumber coming? is the plumber still coming", "list"),
        ("what appointments do I have", "list"),
        ("can I tour the apartment on the third floor", "viewing"),
        ("I have bed bugs", "book"),
    ],
)
def test_detect_intent(text: str, intent: str) -> None:
    assert detect_intent(text) == intent


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("cancel appointment #4", 4),
        ("move appointment number 12 to friday", 12),
        ("cancel visit 7", 7),
        ("cancel my 3pm appointment", None),
        ("move my appointment to the 14th", None),
        ("cancel #3", 3),
    ],
)
def test_appointment_number(text: str, number: int | None) -> None:
    assert appointment_number(text) == number


async def test_bed_bugs_books_a_general_pest_visit(pool: asyncpg.Pool) -> None:
    now = a_monday_morning()
    [slot] = await slots(pool, "general", "maintenance", [at(now, 2, 10)])
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, now).open()
    r = await c.say("I have bed bugs")
    assert c.state["category"] == "general" and "pest" in c.state["description"]
    assert "maintenance visit" in r.text
    await c.say("yes")
    [row] = await booked(pool, cid)
    assert row["slot_id"] == slot and row["category"] == "general"


def test_widened_windows_relax_week_then_time_then_dates() -> None:
    window = {
        "date_from": "2045-01-10",
        "date_to": "2045-01-10",
        "earliest": "15:00:00",
        "latest": None,
        "text": "next tuesday after 3",
    }
    steps = [bounds for bounds, _ in widened_windows(window, datetime(2045, 1, 2).date())]
    assert steps == [
        {"date_from": "2045-01-10", "date_to": "2045-01-10", "earliest": "15:00:00"},
        {"date_from": "2045-01-17", "date_to": "2045-01-17", "earliest": "15:00:00"},
        {"date_from": "2045-01-24", "date_to": "2045-01-24", "earliest": "15:00:00"},
        {"date_from": "2045-01-10", "date_to": "2045-01-24", "earliest": "15:00:00"},
        {"date_from": "2045-01-10", "date_to": "2045-01-24"},
        {},
    ]
    notes = [note for _, note in widened_windows(window, datetime(2045, 1, 2).date())]
    assert notes[0] == "" and all("next tuesday after 3" in n for n in notes[1:])
    assert widened_windows(None, datetime(2045, 1, 2).date()) == [({}, "")]
    assert AGENT.vertical == "booking"


@pytest.mark.parametrize("evening", ["19:05", "20:45", "23:30"])
@pytest.mark.parametrize("asked", ["tomorrow morning", "tuesday morning", "can you come tmrw morning"])
async def test_day_words_are_the_buildings_days_even_when_utc_has_moved_on(
    pool: asyncpg.Pool, evening: str, asked: str
) -> None:
    """A Monday-evening resident (the channel's clock is UTC, already Tuesday) means the local Tuesday."""
    hour, minute = map(int, evening.split(":"))
    local_now = a_monday_morning().replace(hour=hour, minute=minute)
    tuesday = await slots(pool, "plumbing", "maintenance", [at(local_now, 1, 9), at(local_now, 8, 9)])
    cid = await resident(pool)
    c = await Convo(pool, AGENT, cid, local_now.astimezone(UTC)).open()
    await c.say("my kitchen sink leaks")
    await c.say(asked)
    offered = c.state["options"]
    assert tuesday[0] in [o["slot_id"] for o in offered] and tuesday[1] not in [o["slot_id"] for o in offered]
    # Other tests may share the random week: whatever else is offered is on the same local Tuesday.
    assert {datetime.fromisoformat(o["starts_at"]).astimezone(BUSINESS_TZ).date() for o in offered} == {
        at(local_now, 1, 9).date()
    }

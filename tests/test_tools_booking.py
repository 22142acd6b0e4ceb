from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest
from callcenter_tools import ALL_TOOLS
from callcenter_tools.booking import (
    BUSINESS_TZ,
    book_appointment,
    cancel_appointment,
    find_slots,
    list_my_appointments,
    reschedule_appointment,
    skills_for,
    slot_label,
)
from pydantic import ValidationError

from callcenter.tooling.toolkit import Tool, ToolContext, ToolError

NOW = datetime(2087, 6, 2, 12, 0, tzinfo=BUSINESS_TZ)  # a Monday, far from anyone else's rows
DAY = date(2087, 6, 3)


async def make_customer(conn: asyncpg.Connection, name: str) -> int:
    tag = uuid.uuid4().hex[:10]
    cid: int = await conn.fetchval(
        "INSERT INTO customers (full_name, email, building, unit) VALUES ($1, $2, 'Maple Court', '1A') RETURNING id",
        name,
        f"{tag}@example.com",
    )
    return cid


async def make_slot(conn: asyncpg.Connection, skill: str, kind: str, day: date, start: int, hours: int = 2) -> int:
    tech = await conn.fetchval(
        "INSERT INTO technicians (name, skill) VALUES ($1, $2) RETURNING id", f"{skill} tech", skill
    )
    starts = datetime.combine(day, time(start), tzinfo=BUSINESS_TZ)
    slot_id: int = await conn.fetchval(
        "INSERT INTO slots (technician_id, kind, starts_at, ends_at) VALUES ($1, $2, $3, $4) RETURNING id",
        tech,
        kind,
        starts,
        starts + timedelta(hours=hours),
    )
    return slot_id


def ctx_for(conn: asyncpg.Connection, customer_id: int | None) -> ToolContext:
    return ToolContext(
        conn=conn, session_id=str(uuid.uuid4()), customer_id=customer_id, now=NOW, idempotency_key="k1", agent="booking"
    )


async def call(tool: Tool[Any], conn: asyncpg.Connection, customer_id: int | None, **raw: Any) -> dict[str, Any]:
    async with conn.transaction():
        return await tool.fn(ctx_for(conn, customer_id), tool.parse(raw))


@pytest.fixture
async def world(pool: asyncpg.Pool) -> dict[str, int]:
    """Two residents and a day of slots in a week nobody else uses (each test gets its own day)."""
    async with pool.acquire() as conn, conn.transaction():
        # Each test gets its own day so results never mix with another test's slots.
        day = DAY + timedelta(days=7 * int(await conn.fetchval("SELECT count(*) FROM customers")))
        return {
            "day": day.toordinal(),
            "alice": await make_customer(conn, "Alice"),
            "bob": await make_customer(conn, "Bob"),
            "plumb_am": await make_slot(conn, "plumbing", "maintenance", day, 9),
            "plumb_pm": await make_slot(conn, "plumbing", "maintenance", day, 13),
            "elec_am": await make_slot(conn, "electrical", "maintenance", day, 9),
            "general_pm": await make_slot(conn, "general", "maintenance", day, 15),
            "viewing": await make_slot(conn, "leasing", "viewing", day, 10, hours=1),
            "past": await make_slot(conn, "plumbing", "maintenance", NOW.date() - timedelta(days=1), 9),
        }


def test_slot_label_and_skills() -> None:
    assert slot_label(datetime(2020, 12, 1, 20, 0, tzinfo=BUSINESS_TZ).astimezone(BUSINESS_TZ)) == "Tue Dec 1, 8:00 PM"
    assert slot_label(datetime.fromisoformat("2020-12-01T20:00:00+00:00")) == "Tue Dec 1, 3:00 PM"
    assert skills_for("viewing", "plumbing") == ["leasing"]
    assert skills_for("maintenance", "hvac") == ["hvac", "general"]
    assert "leasing" not in skills_for("maintenance", None)


def test_narrow_types_reject_bad_args() -> None:
    for bad in (
        {"limit": 11},
        {"limit": 0},
        {"kind": "repair"},
        {"category": "roofing"},
        {"earliest": "25:00"},
        {"date_from": "next tuesday"},
        {"customer_id": 2},
    ):
        with pytest.raises(ValidationError):
            find_slots.parse(bad)
    with pytest.raises(ValidationError):
        book_appointment.parse({"slot_id": 1, "description": "x" * 501})
    with pytest.raises(ValidationError):
        book_appointment.parse({"slot_id": 0})
    # Strict mode sends null for "use the default".
    parsed = find_slots.parse({"kind": None, "limit": None, "category": None})
    assert parsed.kind == "maintenance" and parsed.limit == 5


async def test_find_slots_filters_skill_kind_time_and_past(pool: asyncpg.Pool, world: dict[str, int]) -> None:
    day = date.fromordinal(world["day"]).isoformat()
    async with pool.acquire() as conn:
        out = await call(find_slots, conn, world["alice"], category="plumbing", date_from=day, date_to=day, limit=10)
        ids = [s["slot_id"] for s in out["slots"]]
        assert world["plumb_am"] in ids and world["plumb_pm"] in ids and world["general_pm"] in ids
        assert world["elec_am"] not in ids and world["viewing"] not in ids and world["past"] not in ids
        starts = [s["starts_at"] for s in out["slots"]]
        assert starts == sorted(starts)
        first = out["slots"][0]
        assert first["label"].endswith("9:00 AM") and first["technician"] == "plumbing tech"

        pm = await call(
            find_slots, conn, world["alice"], category="plumbing", date_from=day, date_to=day, earliest="12:00"
        )
        assert {s["slot_id"] for s in pm["slots"]} >= {world["plumb_pm"], world["general_pm"]}
        assert world["plumb_am"] not in {s["slot_id"] for s in pm["slots"]}

        am = await call(
            find_slots, conn, world["alice"], category="plumbing", date_from=day, date_to=day, latest="12:00"
        )
        assert [s["slot_id"] for s in am["slots"]] == [world["plumb_am"]]

        views = await call(find_slots, conn, None, kind="viewing", date_from=day, date_to=day)
        assert [s["slot_id"] for s in views["slots"]] == [world["viewing"]]

        with pytest.raises(ToolError):
            await call(find_slots, conn, None, date_from=day, date_to="2087-01-01")


async def test_book_reschedule_cancel_and_ownership(pool: asyncpg.Pool, world: dict[str, int]) -> None:
    alice, bob = world["alice"], world["bob"]
    async with pool.acquire() as conn:
        booked = await call(
            book_appointment, conn, alice, slot_id=world["plumb_am"], category="plumbing", description="Leaky tap"
        )
        assert booked["status"] == "booked" and booked["slot_id"] == world["plumb_am"]
        assert booked["category"] == "plumbing" and booked["label"].endswith("9:00 AM")
        appt = booked["appointment_id"]

        # The slot is taken now: nobody else can book it and find_slots hides it.
        with pytest.raises(ToolError) as taken:
            await call(book_appointment, conn, bob, slot_id=world["plumb_am"], category="plumbing")
        assert taken.value.code == "slot_taken"
        day = date.fromordinal(world["day"]).isoformat()
        free = await call(find_slots, conn, bob, category="plumbing", date_from=day, date_to=day, limit=10)
        assert world["plumb_am"] not in {s["slot_id"] for s in free["slots"]}

        for slot, code in (("past", "past"), ("viewing", "wrong_kind"), ("elec_am", "wrong_skill")):
            with pytest.raises(ToolError) as err:
                await call(book_appointment, conn, bob, slot_id=world[slot], category="plumbing")
            assert err.value.code == code
        with pytest.raises(ToolError) as unverified:
            await call(book_appointment, conn, None, slot_id=world["plumb_pm"])
        assert unverified.value.code == "unverified"

        # Bob can't see, move or cancel Alice's appointment: it just "doesn't exist" for him.
        with pytest.raises(ToolError) as other:
            await call(
                reschedule_appointment,
                conn,
                bob,
                appointment_id=appt,
                confirmed_appointment_id=appt,
                new_slot_id=world["plumb_pm"],
            )
        assert other.value.code == "not_found" and "Alice" not in str(other.value)
        with pytest.raises(ToolError):
            await call(cancel_appointment, conn, bob, appointment_id=appt, confirmed_appointment_id=appt)
        assert (await call(list_my_appointments, conn, bob))["appointments"] == []

        # A change needs the confirmed visit to be the one changed: a yes to one is never used on another.
        for tool, extra in ((cancel_appointment, {}), (reschedule_appointment, {"new_slot_id": world["plumb_pm"]})):
            with pytest.raises(ToolError) as unconfirmed:
                await call(tool, conn, alice, appointment_id=appt, confirmed_appointment_id=appt + 1, **extra)
            assert unconfirmed.value.code == "not_confirmed"
        assert [a["label"] for a in (await call(list_my_appointments, conn, alice))["appointments"]][0].endswith(
            "9:00 AM"
        )

        moved = await call(
            reschedule_appointment,
            conn,
            alice,
            appointment_id=appt,
            confirmed_appointment_id=appt,
            new_slot_id=world["plumb_pm"],
        )
        assert moved["appointment_id"] == appt and moved["slot_id"] == world["plumb_pm"]
        assert moved["previous_label"].endswith("9:00 AM") and moved["label"].endswith("1:00 PM")

        mine = await call(list_my_appointments, conn, alice)
        assert [a["appointment_id"] for a in mine["appointments"]] == [appt]
        assert mine["appointments"][0]["technician"] == "plumbing tech"

        cancelled = await call(cancel_appointment, conn, alice, appointment_id=appt, confirmed_appointment_id=appt)
        assert cancelled == {"appointment_id": appt, "status": "cancelled", "label": moved["label"]}
        assert (await call(list_my_appointments, conn, alice))["appointments"] == []
        history = await call(list_my_appointments, conn, alice, include_past=True)
        assert [a["status"] for a in history["appointments"]] == ["cancelled"]
        with pytest.raises(ToolError) as again:
            await call(cancel_appointment, conn, alice, appointment_id=appt, confirmed_appointment_id=appt)
        assert again.value.code == "not_live"

        # A cancelled slot is free again.
        rebooked = await call(book_appointment, conn, bob, slot_id=world["plumb_pm"], category="plumbing")
        assert rebooked["status"] == "booked"


async def test_concurrent_booking_of_one_slot_has_one_winner(pool: asyncpg.Pool, world: dict[str, int]) -> None:
    """Both see the slot free; the unique index makes the second wait, then refuse."""
    args = book_appointment.parse({"slot_id": world["general_pm"], "category": "general"})
    async with pool.acquire() as c1, pool.acquire() as c2:
        tx1 = c1.transaction()
        await tx1.start()
        first = await book_appointment.fn(ctx_for(c1, world["alice"]), args)

        async def second() -> dict[str, Any]:
            async with c2.transaction():
                return await book_appointment.fn(ctx_for(c2, world["bob"]), args)

        task = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not task.done()  # blocked on the first booking's index entry
        await tx1.commit()
        with pytest.raises(ToolError) as err:
            await task
        assert err.value.code == "slot_taken"
        assert first["status"] == "booked"


def _check_strict(node: Any, path: str = "") -> None:
    if isinstance(node, dict):
        assert "default" not in node, path
        assert "minLength" not in node and "maxLength" not in node, path
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, path
            assert sorted(node.get("required", [])) == sorted(node.get("properties", {})), path
        if "format" in node:
            assert node["format"] in {"date", "time", "date-time", "email", "uuid"}, path
        for key, value in node.items():
            _check_strict(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _check_strict(item, f"{path}/{i}")


def test_every_tool_exports_strict_openai_and_anthropic_schemas() -> None:
    names = [t.name for t in ALL_TOOLS]
    assert (
        len(names) == len(set(names)) == 18
    )  # booking 6 (add_appointment_note), billing 7 (list_payments), escalation 4 (ticket_status), general 1
    for t in ALL_TOOLS:
        openai = t.openai_schema()
        assert openai["type"] == "function" and openai["function"]["strict"] is True
        assert openai["function"]["name"] == t.name and openai["function"]["description"]
        _check_strict(openai["function"]["parameters"], t.name)
        anthropic = t.anthropic_schema()
        assert anthropic["name"] == t.name and anthropic["description"]
        assert anthropic["input_schema"]["type"] == "object"
        assert "customer_id" not in anthropic["input_schema"].get("properties", {})
    params = book_appointment.anthropic_schema()["input_schema"]["properties"]
    assert params["kind"]["enum"] == ["maintenance", "viewing"]
    assert "500 characters" in params["description"]["description"]

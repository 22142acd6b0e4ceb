"""VoicePinStore against real PostgreSQL: set, check, count, lock, audit (never the digits)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from callcenter_agents import CALLER_LOOKUP

from callcenter.channels.voice_verification import unit_key
from callcenter.store.voice_pins import VoicePinStore


async def _customer(pool: asyncpg.Pool, unit: str = "9Z") -> int:
    cid: int = await pool.fetchval(
        "INSERT INTO customers (full_name, email, phone, building, unit) VALUES ($1, $2, $3, 'Test Tower', $4) "
        "RETURNING id",
        "Pin Tester",
        f"pin-{uuid.uuid4().hex}@example.com",
        "+1-617-555-0000",
        unit,
    )
    return cid


def _caller() -> str:
    return "617" + uuid.uuid4().hex[:7]


async def test_right_pin_verifies_and_the_hash_is_stored_not_the_pin(pool: asyncpg.Pool) -> None:
    store = VoicePinStore(pool)
    cid = await _customer(pool)
    assert await store.set_pin(cid, "4827")
    stored = await pool.fetchval("SELECT voice_pin_hash FROM customers WHERE id=$1", cid)
    assert stored.startswith("scrypt$") and "4827" not in stored
    caller = _caller()
    result = await store.check(caller, [cid], "4827", call_sid="CA1")
    assert result.outcome == "verified" and result.customer_id == cid
    rows = await pool.fetch("SELECT * FROM voice_pin_attempts WHERE caller=$1", caller)
    assert [(r["outcome"], r["customer_id"], r["call_sid"]) for r in rows] == [("verified", cid, "CA1")]
    assert all("4827" not in str(dict(r)) for r in rows)  # the audit never holds the digits


async def test_set_pin_for_a_missing_customer_says_so(pool: asyncpg.Pool) -> None:
    assert not await VoicePinStore(pool).set_pin(987_654_321, "4827")


async def test_three_wrong_pins_lock_the_number_even_for_the_right_pin(pool: asyncpg.Pool) -> None:
    store = VoicePinStore(pool, max_attempts=3, lockout_minutes=15)
    cid = await _customer(pool)
    await store.set_pin(cid, "4827")
    caller = _caller()
    outcomes = [(await store.check(caller, [cid], wrong)) for wrong in ("1111", "2222", "3333")]
    assert [(r.outcome, r.attempts_left) for r in outcomes] == [("wrong", 2), ("wrong", 1), ("locked", 0)]
    assert outcomes[-1].locked_until is not None
    assert await store.locked_until(caller) == outcomes[-1].locked_until
    refused = await store.check(caller, [cid], "4827")
    assert refused.outcome == "refused_locked" and refused.customer_id is None
    other = await store.check(_caller(), [cid], "4827")  # the lock is per number, not per resident
    assert other.outcome == "verified"
    audit = [
        r["outcome"]
        for r in await pool.fetch("SELECT outcome FROM voice_pin_attempts WHERE caller=$1 ORDER BY id", caller)
    ]
    assert audit == ["wrong", "wrong", "wrong", "locked", "refused_locked"]


async def test_an_expired_lock_gives_fresh_tries(pool: asyncpg.Pool) -> None:
    store = VoicePinStore(pool, max_attempts=2)
    cid = await _customer(pool)
    await store.set_pin(cid, "4827")
    caller = _caller()
    for _ in range(2):
        await store.check(caller, [cid], "0001")
    await pool.execute(
        "UPDATE voice_pin_lockouts SET locked_until = now() - interval '1 second' WHERE caller=$1", caller
    )
    result = await store.check(caller, [cid], "0001")
    assert result.outcome == "wrong" and result.attempts_left == 1


async def test_success_resets_the_count(pool: asyncpg.Pool) -> None:
    store = VoicePinStore(pool, max_attempts=3)
    cid = await _customer(pool)
    await store.set_pin(cid, "4827")
    caller = _caller()
    await store.check(caller, [cid], "0001")
    await store.check(caller, [cid], "0002")
    assert (await store.check(caller, [cid], "4827")).outcome == "verified"
    assert (await store.check(caller, [cid], "0003")).attempts_left == 2


async def test_simultaneous_guesses_from_one_number_cannot_exceed_the_cap(pool: asyncpg.Pool) -> None:
    store = VoicePinStore(pool, max_attempts=3)
    cid = await _customer(pool)
    await store.set_pin(cid, "4827")
    caller = _caller()
    results = await asyncio.gather(*(store.check(caller, [cid], f"{n:04d}") for n in range(1, 9)))
    assert sum(r.outcome == "wrong" for r in results) == 2
    assert sum(r.outcome == "locked" for r in results) == 1
    assert sum(r.outcome == "refused_locked" for r in results) == 5


async def test_units_are_found_however_they_are_said(pool: asyncpg.Pool) -> None:
    store = VoicePinStore(pool)
    unit = f"{uuid.uuid4().int % 900 + 100}Q"
    cid = await _customer(pool, unit=unit)
    for said in (unit, unit.lower(), f"unit {unit[:-1]} {unit[-1]}", f"apartment {unit[:-1]}-{unit[-1]}"):
        assert await store.customers_in_unit(unit_key(said, CALLER_LOOKUP.filler)) == [cid], said
    assert await store.customers_in_unit(unit_key("nothing like it")) == []


@pytest.mark.parametrize(("said", "key"), [("4B", "4B"), ("unit four b", "4B"), ("It's 12-C", "12C"), ("", "")])
def test_unit_key(said: str, key: str) -> None:
    assert unit_key(said, CALLER_LOOKUP.filler) == key


def test_a_place_keeps_words_the_business_does_not_call_filler() -> None:
    assert unit_key("suite 4 b") == "SUITE4B"  # the engine knows no business's word for a place
    assert unit_key("suite 4 b", ["suite"]) == "4B"


async def test_rotating_spoofed_numbers_cannot_keep_guessing_one_residents_pin(pool: asyncpg.Pool) -> None:
    """Red-team F3: 3 wrong PINs per number, a new number each time, found the PIN on the 10th guess.

    Now every wrong PIN also counts against the resident: once the budget is spent, from any
    numbers, not even the right PIN verifies them by phone (a person does), and the audit says so.
    """
    store = VoicePinStore(pool, max_attempts=3, customer_max_failures=6, customer_window_hours=24)
    victim = await _customer(pool, unit="7K")
    await store.set_pin(victim, "4827")
    guesses = iter(f"{n:04d}" for n in range(1000, 9999, 7))
    for _number in range(2):  # two spoofed numbers, three wrong guesses each: both numbers locked
        caller = _caller()
        outcomes = [(await store.check(caller, [victim], next(guesses))).outcome for _ in range(3)]
        assert outcomes == ["wrong", "wrong", "locked"]
    fresh = _caller()
    right = await store.check(fresh, [victim], "4827")
    assert right.outcome == "customer_locked" and right.customer_id is None
    audit = await pool.fetch("SELECT outcome FROM voice_pin_attempts WHERE caller=$1", fresh)
    assert [r["outcome"] for r in audit] == ["customer_locked"]
    # The rest of the unit's residents, and other residents, are not affected.
    neighbour = await _customer(pool, unit="7K")
    await store.set_pin(neighbour, "5190")
    assert (await store.check(_caller(), [victim, neighbour], "5190")).customer_id == neighbour


async def test_the_resident_budget_holds_for_simultaneous_calls_from_many_numbers(pool: asyncpg.Pool) -> None:
    store = VoicePinStore(pool, max_attempts=3, customer_max_failures=5)
    victim = await _customer(pool)
    await store.set_pin(victim, "4827")
    results = await asyncio.gather(*(store.check(_caller(), [victim], f"{1000 + i:04d}") for i in range(20)))
    counted = [r.outcome for r in results]
    assert counted.count("wrong") == 5 and counted.count("customer_locked") == 15, counted


async def test_the_right_pin_before_the_budget_is_spent_clears_it(pool: asyncpg.Pool) -> None:
    store = VoicePinStore(pool, max_attempts=3, customer_max_failures=4)
    victim = await _customer(pool)
    await store.set_pin(victim, "4827")
    for _ in range(3):
        assert (await store.check(_caller(), [victim], "0000")).outcome == "wrong"
    assert (await store.check(_caller(), [victim], "4827")).outcome == "verified"  # the resident, a typo earlier
    for _ in range(3):
        assert (await store.check(_caller(), [victim], "0000")).outcome == "wrong"
    assert (await store.check(_caller(), [victim], "4827")).outcome == "verified"

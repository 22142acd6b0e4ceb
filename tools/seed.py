"""Deterministic demo data: three buildings, residents, technicians, slots, invoices, payments.

The same `rng_seed` and `today` always give the same rows, so demos, evals and screenshots
are reproducible. Customer 1 is always Alex Rivera (4B, Maple Court): an overdue balance,
an unpaid first late fee (waivable) and a saved Visa ending 4242, the demo script's resident.
The first 25 residents get the voice PIN `callcenter.store.pin_hash.demo_pin(id)` (stored hashed).
Rows get explicit ids (then sequences are moved past them) so related rows can be built in
Python and written with COPY in one transaction.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg
import structlog
from callcenter_tools.billing_policy import late_fee_cents
from callcenter_tools.booking import BUSINESS_TZ

from callcenter.store.pin_hash import demo_pin, hash_pin_async

log = structlog.get_logger(__name__)

DEMO_PIN_RESIDENTS = 25  # the demo picker lists 25 residents; each gets a known voice PIN (pin_hash.demo_pin)
BUILDINGS = {"Maple Court": 185_000, "Harbor View": 215_000, "Cedar Lofts": 245_000}
"""Building -> typical monthly rent in cents for a one-bedroom."""

TECHNICIANS = (
    ("Marco Diaz", "plumbing"),
    ("Priya Natarajan", "plumbing"),
    ("Dwayne Brooks", "electrical"),
    ("Helen Park", "hvac"),
    ("Tomasz Nowak", "appliance"),
    ("Sam Okafor", "general"),
    ("Rita Alvarez", "general"),
    ("Grace Liu", "leasing"),
    ("Jordan Blake", "leasing"),
)
MAINTENANCE_WINDOWS: tuple[time, ...] = (time(8), time(10), time(13), time(15))  # two hours each
VIEWING_HOURS: tuple[time, ...] = (time(10), time(11), time(13), time(14), time(15), time(16))  # one hour each
SLOT_DAYS = 21
MONTHS = 6

FIRST = [
    "Jamie",
    "Morgan",
    "Taylor",
    "Casey",
    "Riley",
    "Avery",
    "Quinn",
    "Drew",
    "Maya",
    "Noah",
    "Emma",
    "Liam",
    "Olivia",
    "Ethan",
    "Sofia",
    "Lucas",
    "Chloe",
    "Mateo",
    "Zoe",
    "Isaac",
    "Hannah",
    "Omar",
    "Leah",
    "Caleb",
    "Nina",
    "Felix",
    "Aisha",
    "Diego",
    "Ruby",
    "Theo",
    "Ivy",
    "Malik",
    "Lena",
    "Oscar",
    "Priya",
    "Hugo",
    "Tara",
    "Kofi",
    "Elena",
    "Ravi",
]
LAST = [
    "Chen",
    "Patel",
    "Johnson",
    "Garcia",
    "Kim",
    "Nguyen",
    "Smith",
    "Brown",
    "Lopez",
    "Wilson",
    "Martin",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "Wright",
    "Scott",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Perez",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Evans",
    "Edwards",
    "Collins",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Reed",
    "Bell",
]
CARD_BRANDS = ("Visa", "Mastercard", "Amex", "Discover")
BANKS = ("Chase", "Bank of America", "Wells Fargo", "Capital One", "Citizens Bank")

# Children first, so TRUNCATE order is also "what references what".
RESET_TABLES = (
    "handoffs",
    "model_calls",
    "tool_calls",
    "turns",
    "messages",
    "sessions",
    "tickets",
    "payments",
    "payment_methods",
    "invoices",
    "appointments",
    "slots",
    "technicians",
    "customers",
)
COUNTED_TABLES = (
    "customers",
    "technicians",
    "slots",
    "appointments",
    "invoices",
    "payment_methods",
    "payments",
    "tickets",
)

_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("id", "full_name", "email", "phone", "building", "unit", "created_at"),
    "technicians": ("id", "name", "skill"),
    "slots": ("id", "technician_id", "kind", "starts_at", "ends_at"),
    "appointments": (
        "id",
        "customer_id",
        "slot_id",
        "kind",
        "category",
        "description",
        "status",
        "created_at",
        "updated_at",
    ),
    "invoices": (
        "id",
        "customer_id",
        "kind",
        "description",
        "amount_cents",
        "paid_cents",
        "issued_on",
        "due_on",
        "status",
    ),
    "payment_methods": ("id", "customer_id", "kind", "brand", "last4", "is_default"),
    "payments": ("id", "customer_id", "invoice_id", "method_id", "amount_cents", "idempotency_key", "created_at"),
    "tickets": ("id", "customer_id", "session_id", "category", "priority", "subject", "body", "status", "created_at"),
}


@dataclass
class _Rows:
    """Rows per table, with the next explicit id for each."""

    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t in _COLUMNS})

    def add(self, table: str, *values: Any) -> int:
        rows = self.tables[table]
        new_id = len(rows) + 1
        rows.append((new_id, *values))
        return new_id


@dataclass
class _Ledger:
    """Writes one resident's invoices, and a payment for each paid one."""

    rows: _Rows
    rng: random.Random
    today: date
    customer_id: int
    method_id: int

    def charge(
        self, kind: str, description: str, amount: int, issued: date, due: date, *, paid: bool, paid_late: bool = False
    ) -> None:
        if issued > self.today:  # not billed yet
            return
        invoice_id = self.rows.add(
            "invoices",
            self.customer_id,
            kind,
            description,
            amount,
            amount if paid else 0,
            issued,
            due,
            "paid" if paid else "open",
        )
        if paid:
            if paid_late:
                paid_on = due + timedelta(days=self.rng.randint(6, 12))
            else:
                paid_on = due - timedelta(days=self.rng.randint(0, 4))
            # Never later than yesterday (or, for a bill issued today, just after midnight): the demo is
            # seeded for today and used at any hour of it, and a payment must not be in its future.
            paid_on = max(issued, min(paid_on, self.today - timedelta(days=1)))
            self.rows.add(
                "payments",
                self.customer_id,
                invoice_id,
                self.method_id,
                amount,
                f"seed:{invoice_id}",
                _at(paid_on, time(12) if paid_on < self.today else time(0, 5)),
            )


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=BUSINESS_TZ)


def _month_start(day: date, back: int) -> date:
    """The 1st of the month `back` months before `day`'s month."""
    month_index = day.year * 12 + day.month - 1 - back
    return date(month_index // 12, month_index % 12 + 1, 1)


def _residents(rng: random.Random, n: int) -> list[tuple[str, str, str, str, str]]:
    """(name, email, phone, building, unit) for n residents; the first is always Alex Rivera."""
    out = [("Alex Rivera", "alex.rivera@example.com", "+1-617-555-0142", "Maple Court", "4B")]
    used_units = {("Maple Court", "4B")}
    used_names = {"Alex Rivera"}
    buildings = list(BUILDINGS)
    while len(out) < n:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name in used_names:
            continue
        building = buildings[len(out) % len(buildings)]
        unit = f"{rng.randint(1, 6)}{rng.choice('ABCD')}"
        if (building, unit) in used_units:
            continue
        used_names.add(name)
        used_units.add((building, unit))
        email = name.lower().replace(" ", ".") + "@example.com"
        phone = f"+1-617-555-{rng.randint(1000, 9999)}"
        out.append((name, email, phone, building, unit))
    return out


def _build(today: date, residents: int, rng: random.Random) -> _Rows:
    rows = _Rows()
    created = _at(_month_start(today, MONTHS + 6), time(9))

    tech_ids = {name: rows.add("technicians", name, skill) for name, skill in TECHNICIANS}
    skills = dict(TECHNICIANS)

    # Slots: the past two weeks (for completed visits) and the next three weeks.
    future_slots: list[tuple[int, str, datetime]] = []
    past_slots: list[tuple[int, str, datetime]] = []
    for offset in range(-14, SLOT_DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for name, tech_id in tech_ids.items():
            if skills[name] == "leasing":
                windows, length, kind = VIEWING_HOURS, timedelta(hours=1), "viewing"
            else:
                windows, length, kind = MAINTENANCE_WINDOWS, timedelta(hours=2), "maintenance"
            for start in windows:
                starts = _at(day, start)
                slot_id = rows.add("slots", tech_id, kind, starts, starts + length)
                (past_slots if offset < 0 else future_slots).append((slot_id, skills[name], starts))

    people = _residents(rng, residents)
    for index, (name, email, phone, building, unit) in enumerate(people):
        alex = index == 0
        customer_id = rows.add("customers", name, email, phone, building, unit, created)

        # Payment methods: brand and last4 only, never a card number.
        if alex:
            method_id = rows.add("payment_methods", customer_id, "card", "Visa", "4242", True)
            rows.add("payment_methods", customer_id, "bank", "Chase", "6789", False)
        elif rng.random() < 0.7:
            method_id = rows.add(
                "payment_methods", customer_id, "card", rng.choice(CARD_BRANDS), f"{rng.randint(0, 9999):04d}", True
            )
            if rng.random() < 0.4:
                last4 = f"{rng.randint(0, 9999):04d}"
                rows.add("payment_methods", customer_id, "bank", rng.choice(BANKS), last4, False)
        else:
            method_id = rows.add(
                "payment_methods", customer_id, "bank", rng.choice(BANKS), f"{rng.randint(0, 9999):04d}", True
            )

        rent = 185_000 if alex else BUILDINGS[building] + rng.randint(-20, 30) * 500
        has_pet = not alex and rng.random() < 0.25
        has_parking = not alex and rng.random() < 0.35
        behind = alex or rng.random() < 0.15  # still owes the current month's charges
        late_months = {1} if alex else {m for m in range(1, MONTHS) if rng.random() < 0.08}

        ledger = _Ledger(rows, rng, today, customer_id, method_id)
        charge = ledger.charge

        for back in range(MONTHS - 1, -1, -1):
            first = _month_start(today, back)
            label = f"{first:%B %Y}"
            current = back == 0
            late = back in late_months
            charge(
                "rent",
                f"Rent {label}",
                rent,
                first - timedelta(days=7),
                first,
                paid=not (current and behind),
                paid_late=late,
            )
            if late:
                fee_open = alex or rng.random() < 0.3
                charge(
                    "fee",
                    f"Late fee - rent {label}",
                    late_fee_cents(rent),
                    first + timedelta(days=6),
                    first + timedelta(days=13),
                    paid=not fee_open,
                )
            if has_pet:
                charge(
                    "fee", f"Pet rent {label}", 3_500, first - timedelta(days=7), first, paid=not (current and behind)
                )
            if has_parking:
                charge(
                    "fee",
                    f"Parking {label}",
                    9_500 if building == "Cedar Lofts" else 6_000,
                    first - timedelta(days=7),
                    first,
                    paid=not (current and behind),
                )
            # Utilities for the previous month's usage, due on the 15th.
            usage = 7_842 if alex else rng.randint(4_500, 14_000)
            utility_open = (current and behind) or (alex and back == 1)
            charge(
                "utility",
                f"Water, sewer & trash {label}",
                usage,
                first + timedelta(days=4),
                first + timedelta(days=14),
                paid=not utility_open,
            )
        if not alex and rng.random() < 0.05:
            lockout = _month_start(today, rng.randint(1, MONTHS - 1)) + timedelta(days=rng.randint(2, 20))
            charge("fee", "After-hours lockout service", 7_500, lockout, lockout + timedelta(days=14), paid=False)

        # Appointments: Alex has one upcoming plumbing visit; others a mix of past and upcoming.
        if alex:
            slot = next(s for s in future_slots if s[1] == "plumbing" and s[2].date() > today)
            future_slots.remove(slot)
            _book(rows, customer_id, slot, "plumbing", "Kitchen sink drains slowly and gurgles.", "booked", created)
        elif rng.random() < 0.3 and past_slots:
            slot = past_slots.pop(rng.randrange(len(past_slots)))
            if slot[1] != "leasing":
                _book(rows, customer_id, slot, slot[1], "Routine repair.", "completed", created)
        if not alex and rng.random() < 0.2:
            candidates = [s for s in future_slots if s[1] not in ("leasing",) and s[2].date() > today]
            if candidates:
                slot = candidates[rng.randrange(len(candidates))]
                future_slots.remove(slot)
                _book(rows, customer_id, slot, slot[1], "Please call before arriving.", "booked", created)

    alex_id = 1
    rows.add(
        "tickets",
        alex_id,
        None,
        "noise",
        "normal",
        "Loud music from the unit above after midnight",
        "Happens most Fridays; unit 5B.",
        "closed",
        _at(today - timedelta(days=40), time(9, 30)),
    )
    return rows


def _book(
    rows: _Rows,
    customer_id: int,
    slot: tuple[int, str, datetime],
    category: str,
    description: str,
    status: str,
    created: datetime,
) -> None:
    rows.add("appointments", customer_id, slot[0], "maintenance", category, description, status, created, created)


async def _counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in COUNTED_TABLES}


async def seed(
    conn: asyncpg.Connection,
    *,
    today: date | None = None,
    customers: int = 40,
    rng_seed: int = 7,
    reset: bool = False,
) -> dict[str, int]:
    """Fill an empty (or, with reset=True, emptied) database with the demo business.

    With data already present and reset=False nothing is written: the counts of what is
    there are returned, so running `seed` twice is harmless.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1 (customer 1 is the demo resident)")
    day = today or datetime.now(BUSINESS_TZ).date()
    async with conn.transaction():
        if reset:
            await conn.execute(f"TRUNCATE {', '.join(RESET_TABLES)} RESTART IDENTITY CASCADE")
        elif await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM technicians)"
            " OR EXISTS (SELECT 1 FROM slots) OR EXISTS (SELECT 1 FROM invoices)"
        ):
            log.info("seed.skipped", reason="data exists")
            return await _counts(conn)
        rows = _build(day, customers, random.Random(rng_seed))
        for table, columns in _COLUMNS.items():
            records = rows.tables[table]
            if table == "tickets":
                # Tickets may already exist (no reset): let the sequence number them.
                for record in records:
                    await conn.execute(
                        f"INSERT INTO tickets ({', '.join(columns[1:])}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        *record[1:],
                    )
                continue
            if records:
                await conn.copy_records_to_table(table, records=records, columns=list(columns))
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        # Demo voice PINs for the residents the demo picker shows (scrypt runs in threads, off the loop).
        pinned = [r[0] for r in rows.tables["customers"][:DEMO_PIN_RESIDENTS]]
        hashes = await asyncio.gather(*(hash_pin_async(demo_pin(cid)) for cid in pinned))
        await conn.executemany(
            "UPDATE customers SET voice_pin_hash=$2 WHERE id=$1", list(zip(pinned, hashes, strict=True))
        )
        counts = await _counts(conn)
    log.info("seed.done", **counts)
    return counts

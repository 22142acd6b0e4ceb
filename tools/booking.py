"""Booking tools: find free technician/leasing slots, book, reschedule, cancel, list.

Every write acts on the session's verified customer only; the unique partial index on
live appointments per slot is the final word on races, so two callers can never hold the
same slot even if both saw it free.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from pydantic import Field

from callcenter.tooling.args import Args
from callcenter.tooling.toolkit import ToolContext, ToolError, tool

log = structlog.get_logger(__name__)

BUSINESS_TZ = ZoneInfo("America/New_York")
"""Where the buildings are: every label, date and time-of-day the resident sees."""

Kind = Literal["maintenance", "viewing"]
Category = Literal["plumbing", "electrical", "hvac", "appliance", "general"]
_CATEGORIES = ("plumbing", "electrical", "hvac", "appliance", "general")
Id = Annotated[int, Field(gt=0)]

KIND_HELP = "'maintenance' for a repair visit by a technician, 'viewing' for an apartment tour."


def slot_label(starts_at: datetime) -> str:
    """How a resident hears a slot: 'Tue Dec 1, 3:00 PM' in the business timezone."""
    local = starts_at.astimezone(BUSINESS_TZ)
    hour = local.hour % 12 or 12
    return f"{local:%a %b} {local.day}, {hour}:{local:%M} {local:%p}"


def skills_for(kind: str, category: str | None) -> list[str]:
    """Technician skills that can serve a request: a specialist or a general handyman."""
    if kind == "viewing":
        return ["leasing"]
    if category is None:
        return ["plumbing", "electrical", "hvac", "appliance", "general"]
    if category == "general":
        return ["general"]
    return [category, "general"]


def _slot_out(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "slot_id": row["id"],
        "starts_at": row["starts_at"].isoformat(),
        "ends_at": row["ends_at"].isoformat(),
        "technician": row["technician"],
        "label": slot_label(row["starts_at"]),
    }


class FindSlotsArgs(Args):
    kind: Kind = Field(default="maintenance", description=KIND_HELP)
    category: Category | None = Field(
        default=None,
        description="What needs fixing (maintenance only); leave null to see every technician.",
    )
    date_from: date | None = Field(default=None, description="First day to search (local date), inclusive.")
    date_to: date | None = Field(default=None, description="Last day to search (local date), inclusive.")
    earliest: time | None = Field(
        default=None, description="Slots must start at or after this local time of day, e.g. 13:00."
    )
    latest: time | None = Field(
        default=None, description="Slots must end by this local time of day, e.g. 12:00 for 'before noon'."
    )
    limit: int = Field(default=5, ge=1, le=10, description="How many slots to return.")
    latest_first: bool = Field(
        default=False, description="Return the latest slots of the range first (e.g. 'the end of the month')."
    )
    schedule: bool = Field(
        default=False,
        description="Also return when visits of this kind run (days, first and last start, last bookable day); "
        "always returned when no slot is free.",
    )


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _clock_label(at: time) -> str:
    return f"{at.hour % 12 or 12}:{at:%M} {'PM' if at.hour >= 12 else 'AM'}"


async def _schedule(ctx: ToolContext, kind: str, skills: list[str]) -> dict[str, Any] | None:
    """When visits of this kind run, read from the slots themselves: a resident told "nothing is free
    on Saturday" deserves the reason (visits are on weekdays), and the slots are the truth of it."""
    row = await ctx.conn.fetchrow(
        """
        SELECT min((s.starts_at AT TIME ZONE $4)::time) AS first_start,
               max((s.starts_at AT TIME ZONE $4)::time) AS last_start,
               max((s.ends_at AT TIME ZONE $4)::time) AS last_end,
               max((s.starts_at AT TIME ZONE $4)::date) AS last_date,
               array_agg(DISTINCT (extract(isodow FROM s.starts_at AT TIME ZONE $4))::int - 1) AS weekdays
        FROM slots s JOIN technicians t ON t.id = s.technician_id
        WHERE s.kind = $1 AND t.skill = ANY($2::text[]) AND s.starts_at > $3
        """,
        kind,
        skills,
        ctx.now,
        BUSINESS_TZ.key,
    )
    if row is None or row["first_start"] is None:
        return None
    weekdays = sorted(int(d) for d in row["weekdays"])
    last_date: date = row["last_date"]
    return {
        "weekdays": weekdays,
        "days": [_DAY_NAMES[d] for d in weekdays],
        "first_start": _clock_label(row["first_start"]),
        "last_start": _clock_label(row["last_start"]),
        "last_end": _clock_label(row["last_end"]),
        "first_start_time": row["first_start"].isoformat(timespec="minutes"),
        "last_start_time": row["last_start"].isoformat(timespec="minutes"),
        "last_date": last_date.isoformat(),
        "last_day": f"{last_date:%a %b} {last_date.day}",
    }


@tool(vertical="booking")
async def find_slots(ctx: ToolContext, args: FindSlotsArgs) -> dict[str, Any]:
    """Find free appointment slots (soonest first) for a maintenance visit or an apartment viewing.

    Only slots nobody has booked and that are still in the future are returned. Times are local
    to the buildings (America/New_York). Offer the resident the returned labels and book by slot_id.
    """
    if args.date_from and args.date_to and args.date_to < args.date_from:
        raise ToolError("date_to is before date_from; swap them or widen the range.", code="bad_range")
    if args.earliest and args.latest and args.latest <= args.earliest:
        raise ToolError("latest must be after earliest.", code="bad_range")
    rows = await ctx.conn.fetch(
        """
        SELECT * FROM (
            -- one offer per start time: a resident picks a time, not a technician
            SELECT DISTINCT ON (s.starts_at) s.id, s.starts_at, s.ends_at, t.name AS technician
            FROM slots s JOIN technicians t ON t.id = s.technician_id
            WHERE s.kind = $1 AND t.skill = ANY($2::text[]) AND s.starts_at > $3
              AND ($4::date IS NULL OR (s.starts_at AT TIME ZONE $8)::date >= $4)
              AND ($5::date IS NULL OR (s.starts_at AT TIME ZONE $8)::date <= $5)
              AND ($6::time IS NULL OR (s.starts_at AT TIME ZONE $8)::time >= $6)
              AND ($7::time IS NULL OR (s.ends_at AT TIME ZONE $8)::time <= $7)
              AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status = 'booked')
            ORDER BY s.starts_at, s.id
        ) free
        ORDER BY CASE WHEN $10 THEN starts_at END DESC, starts_at
        LIMIT $9
        """,
        args.kind,
        skills_for(args.kind, args.category),
        ctx.now,
        args.date_from,
        args.date_to,
        args.earliest.replace(tzinfo=None) if args.earliest else None,
        args.latest.replace(tzinfo=None) if args.latest else None,
        BUSINESS_TZ.key,
        args.limit,
        args.latest_first,
    )
    out: dict[str, Any] = {"slots": [_slot_out(r) for r in rows]}
    if args.schedule or not rows:
        schedule = await _schedule(ctx, args.kind, skills_for(args.kind, args.category))
        if schedule is not None:
            out["schedule"] = schedule
    return out


async def _usable_slot(ctx: ToolContext, slot_id: int, kind: str, category: str | None) -> asyncpg.Record:
    """The slot row if this request may take it, else a ToolError saying why not."""
    slot = await ctx.conn.fetchrow(
        """
        SELECT s.id, s.kind, s.starts_at, s.ends_at, t.name AS technician, t.skill,
               EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status = 'booked') AS taken
        FROM slots s JOIN technicians t ON t.id = s.technician_id
        WHERE s.id = $1
        """,
        slot_id,
    )
    if slot is None:
        raise ToolError(f"Slot {slot_id} does not exist; call find_slots for current options.", code="not_found")
    if slot["kind"] != kind:
        raise ToolError(
            f"Slot {slot_id} is a {slot['kind']} slot, not {kind}; call find_slots with kind='{kind}'.",
            code="wrong_kind",
        )
    if slot["starts_at"] <= ctx.now:
        raise ToolError(f"Slot {slot_id} ({slot_label(slot['starts_at'])}) is in the past.", code="past")
    if slot["skill"] not in skills_for(kind, category):
        raise ToolError(
            f"Slot {slot_id} is with a {slot['skill']} technician, who can't handle {category} work; "
            "call find_slots with the right category.",
            code="wrong_skill",
        )
    if slot["taken"]:
        raise ToolError(
            f"Slot {slot_id} ({slot_label(slot['starts_at'])}) was just taken; call find_slots again.",
            code="slot_taken",
        )
    return slot


def _appointment_out(appointment_id: int, slot: asyncpg.Record, category: str) -> dict[str, Any]:
    return {
        "appointment_id": appointment_id,
        "slot_id": slot["id"],
        "starts_at": slot["starts_at"].isoformat(),
        "label": slot_label(slot["starts_at"]),
        "technician": slot["technician"],
        "status": "booked",
        "category": category,
    }


def _appointment_category(kind: str, category: str | None, skill: str) -> str:
    if kind == "viewing":
        return "viewing"
    return category or skill


class BookAppointmentArgs(Args):
    slot_id: Id = Field(description="slot_id from find_slots.")
    kind: Kind = Field(default="maintenance", description=KIND_HELP)
    category: Category | None = Field(default=None, description="What needs fixing (maintenance); null for a viewing.")
    description: str = Field(
        default="", max_length=500, description="The problem in the resident's words, for the technician."
    )


@tool(writes=True, vertical="booking", claims=("booked",))
async def book_appointment(ctx: ToolContext, args: BookAppointmentArgs) -> dict[str, Any]:
    """Book a free slot (from find_slots) for the signed-in resident.

    Fails if the slot was taken meanwhile, is in the past, or is the wrong kind; then offer
    fresh slots from find_slots.
    """
    customer_id = ctx.require_customer()
    slot = await _usable_slot(ctx, args.slot_id, args.kind, args.category)
    category = _appointment_category(args.kind, args.category, slot["skill"])
    try:
        async with ctx.conn.transaction():
            appointment_id = await ctx.conn.fetchval(
                """
                INSERT INTO appointments
                    (customer_id, slot_id, kind, category, description, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id
                """,
                customer_id,
                slot["id"],
                args.kind,
                category,
                args.description,
                ctx.now,
            )
    except asyncpg.UniqueViolationError:
        raise ToolError(
            f"Slot {args.slot_id} ({slot_label(slot['starts_at'])}) was just taken; call find_slots again.",
            code="slot_taken",
        ) from None
    log.info("tool.appointment.booked", appointment_id=appointment_id, slot_id=slot["id"])
    return _appointment_out(appointment_id, slot, category)


async def _own_live_appointment(ctx: ToolContext, appointment_id: int) -> asyncpg.Record:
    """The customer's own booked, future appointment; anyone else's looks like 'not found'."""
    customer_id = ctx.require_customer()
    row = await ctx.conn.fetchrow(
        """
        SELECT a.id, a.kind, a.category, a.status, a.slot_id, s.starts_at
        FROM appointments a JOIN slots s ON s.id = a.slot_id
        WHERE a.id = $1 AND a.customer_id = $2
        FOR UPDATE OF a
        """,
        appointment_id,
        customer_id,
    )
    if row is None:
        raise ToolError(
            f"No appointment {appointment_id} found on your account; call list_my_appointments.",
            code="not_found",
        )
    if row["status"] != "booked":
        raise ToolError(f"Appointment {appointment_id} is already {row['status']}.", code="not_live")
    if row["starts_at"] <= ctx.now:
        raise ToolError(
            f"Appointment {appointment_id} ({slot_label(row['starts_at'])}) has already started or passed.",
            code="past",
        )
    return row


CONFIRMED_HELP = (
    "The appointment number the resident said yes to, as your confirmation question named it; "
    "must equal appointment_id (a yes to one visit never changes another)."
)


def _require_confirmed(appointment_id: int, confirmed_appointment_id: int) -> None:
    """A change only to the visit the resident confirmed: "cancel appointment 1" (not theirs) said
    after "Shall I cancel #7?" once cancelled #7 (red team R5); a mismatch is refused, unchanged."""
    if appointment_id != confirmed_appointment_id:
        raise ToolError(
            f"Appointment {appointment_id} is not the one the resident confirmed ({confirmed_appointment_id}); "
            "ask them to confirm the exact appointment first.",
            code="not_confirmed",
        )


class RescheduleArgs(Args):
    appointment_id: Id = Field(description="appointment_id from list_my_appointments.")
    confirmed_appointment_id: Id = Field(description=CONFIRMED_HELP)
    new_slot_id: Id = Field(description="slot_id of the new time, from find_slots.")


@tool(writes=True, vertical="booking", claims=("booked", "rescheduled"))
async def reschedule_appointment(ctx: ToolContext, args: RescheduleArgs) -> dict[str, Any]:
    """Move one of the resident's upcoming appointments to another free slot of the same kind
    (after they said yes to moving exactly that appointment)."""
    _require_confirmed(args.appointment_id, args.confirmed_appointment_id)
    current = await _own_live_appointment(ctx, args.appointment_id)
    if current["slot_id"] == args.new_slot_id:
        raise ToolError("That is already the appointment's time slot.", code="same_slot")
    category = current["category"] if current["kind"] == "maintenance" else None
    skill_filter = category if category in _CATEGORIES else None
    slot = await _usable_slot(ctx, args.new_slot_id, current["kind"], skill_filter)
    try:
        async with ctx.conn.transaction():
            await ctx.conn.execute(
                "UPDATE appointments SET slot_id = $1, updated_at = $2 WHERE id = $3",
                slot["id"],
                ctx.now,
                current["id"],
            )
    except asyncpg.UniqueViolationError:
        raise ToolError(
            f"Slot {args.new_slot_id} ({slot_label(slot['starts_at'])}) was just taken; call find_slots again.",
            code="slot_taken",
        ) from None
    log.info("tool.appointment.rescheduled", appointment_id=current["id"], slot_id=slot["id"])
    out = _appointment_out(current["id"], slot, current["category"])
    out["previous_label"] = slot_label(current["starts_at"])
    return out


class CancelArgs(Args):
    appointment_id: Id = Field(description="appointment_id from list_my_appointments.")
    confirmed_appointment_id: Id = Field(description=CONFIRMED_HELP)


@tool(writes=True, vertical="booking", claims=("cancelled",))
async def cancel_appointment(ctx: ToolContext, args: CancelArgs) -> dict[str, Any]:
    """Cancel one of the resident's upcoming appointments (confirm with them first)."""
    _require_confirmed(args.appointment_id, args.confirmed_appointment_id)
    current = await _own_live_appointment(ctx, args.appointment_id)
    await ctx.conn.execute(
        "UPDATE appointments SET status = 'cancelled', updated_at = $1 WHERE id = $2", ctx.now, current["id"]
    )
    log.info("tool.appointment.cancelled", appointment_id=current["id"])
    return {"appointment_id": current["id"], "status": "cancelled", "label": slot_label(current["starts_at"])}


NOTE_PREFIX = "Note from the resident: "
MAX_DESCRIPTION = 2_000  # a visit's description with its notes; a longer one is refused, unchanged


class AppointmentNoteArgs(Args):
    appointment_id: Id = Field(description="appointment_id from list_my_appointments.")
    note: str = Field(min_length=1, max_length=300, description="The resident's words: key, code, pet, call ahead.")


@tool(writes=True, vertical="booking", claims=("noted",))
async def add_appointment_note(ctx: ToolContext, args: AppointmentNoteArgs) -> dict[str, Any]:
    """Add an access note (how to get in, pets, call ahead) to one of the resident's upcoming appointments."""
    current = await _own_live_appointment(ctx, args.appointment_id)
    note = " ".join(args.note.split())
    if not note:
        raise ToolError("The note is empty.", code="empty_note")
    description: str = await ctx.conn.fetchval("SELECT description FROM appointments WHERE id = $1", current["id"])
    added = f"{NOTE_PREFIX}{note}"
    updated = f"{description}\n{added}" if description.strip() else added
    if len(updated) > MAX_DESCRIPTION:
        raise ToolError(f"Appointment {current['id']} already has as many notes as it can hold.", code="notes_full")
    await ctx.conn.execute(
        "UPDATE appointments SET description = $1, updated_at = $2 WHERE id = $3", updated, ctx.now, current["id"]
    )
    log.info("tool.appointment.noted", appointment_id=current["id"])
    return {
        "appointment_id": current["id"],
        "kind": current["kind"],
        "category": current["category"],
        "label": slot_label(current["starts_at"]),
        "note": note,
    }


class ListAppointmentsArgs(Args):
    include_past: bool = Field(default=False, description="Also list past, completed and cancelled appointments.")


def _appointment_facts(result: dict[str, Any]) -> tuple[str, ...]:
    """A listed visit's status ("booked", "cancelled") read back is a fact, not an action."""
    return tuple(str(a.get("status")) for a in result.get("appointments", ()) if a.get("status"))


@tool(vertical="booking", facts=_appointment_facts)
async def list_my_appointments(ctx: ToolContext, args: ListAppointmentsArgs) -> dict[str, Any]:
    """List the signed-in resident's appointments: upcoming booked ones, or all with include_past."""
    customer_id = ctx.require_customer()
    rows = await ctx.conn.fetch(
        """
        SELECT a.id, a.kind, a.category, a.status, a.description, s.starts_at, t.name AS technician
        FROM appointments a JOIN slots s ON s.id = a.slot_id JOIN technicians t ON t.id = s.technician_id
        WHERE a.customer_id = $1 AND ($2 OR (a.status = 'booked' AND s.starts_at > $3))
        ORDER BY s.starts_at, a.id
        LIMIT 50
        """,
        customer_id,
        args.include_past,
        ctx.now,
    )
    return {
        "appointments": [
            {
                "appointment_id": r["id"],
                "kind": r["kind"],
                "category": r["category"],
                "label": slot_label(r["starts_at"]),
                "starts_at": r["starts_at"].isoformat(),
                "technician": r["technician"],
                "status": r["status"],
                "description": r["description"],
            }
            for r in rows
        ]
    }


BOOKING_TOOLS = (
    find_slots,
    book_appointment,
    reschedule_appointment,
    cancel_appointment,
    list_my_appointments,
    add_appointment_note,
)

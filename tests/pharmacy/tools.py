"""The pharmacy's two tools: refill a prescription (a write) and read the opening hours.

`refill_prescription` declares the claim its success supports ("refilled"); the engine's
verifier accepts that word in a reply only after this tool succeeded in the same turn.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field

from callcenter.tooling.args import Args
from callcenter.tooling.toolkit import ToolContext, ToolError, tool

OPENING_HOURS = {"weekdays": "8:00 AM to 8:00 PM", "saturday": "9:00 AM to 1:00 PM", "sunday": "closed"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS pharmacy_refills (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL,
    rx_number int NOT NULL,
    ready_on date NOT NULL
)"""
"""The pharmacy's own table (what its migration would create)."""


class RefillArgs(Args):
    rx_number: int = Field(ge=1000, le=9_999_999, description="The prescription number on the label.")


class NoArgs(Args):
    pass


@tool(writes=True, vertical="refills", claims=("refilled",))
async def refill_prescription(ctx: ToolContext, args: RefillArgs) -> dict[str, Any]:
    """Refill the signed-in customer's prescription; it is ready for pickup the next day."""
    customer = ctx.require_customer()
    if args.rx_number % 2:
        raise ToolError(f"Prescription {args.rx_number} has no refills left; the doctor must renew it.")
    ready = (ctx.now + timedelta(days=1)).date()
    refill_id = await ctx.conn.fetchval(
        "INSERT INTO pharmacy_refills (customer_id, rx_number, ready_on) VALUES ($1, $2, $3) RETURNING id",
        customer,
        args.rx_number,
        ready,
    )
    return {"refill_id": refill_id, "rx_number": args.rx_number, "ready_on": ready.isoformat(), "status": "refilled"}


@tool(vertical="questions")
async def opening_hours(ctx: ToolContext, args: NoArgs) -> dict[str, Any]:
    """The pharmacy's opening hours."""
    return {"hours": OPENING_HOURS}

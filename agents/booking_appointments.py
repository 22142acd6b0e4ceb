"""The resident's upcoming appointments as the booking flow reads them and reads them back.

Kept apart from agents/booking.py (the state machine) so that module stays readable: which
booked visits a request can mean (by kind, by trade), and the one line each is shown as.
"""

from __future__ import annotations

from typing import Any

from callcenter_agents.booking_requests import visit_noun
from callcenter_agents.tool_turn import ToolTurn


def with_tech(res: dict[str, Any]) -> str:
    """' with <technician>' when the visit has one assigned, else nothing."""
    return f" with {res['technician']}" if res.get("technician") else ""


def appointment_line(a: dict[str, Any]) -> str:
    """One appointment read back: what, when, with whom, and its number."""
    noun = visit_noun(a.get("kind", "maintenance"), a.get("category"))
    return f"{noun[0].upper()}{noun[1:]} on {a['label']}{with_tech(a)} (#{a['appointment_id']})"


async def upcoming(t: ToolTurn, ref: str | None = None, trade: str | None = None) -> list[dict[str, Any]]:
    """The resident's booked visits; those of the kind (`ref`) or trade named, when there are any."""
    appts = (await t.call("list_my_appointments", {})).get("appointments", [])
    live = [a for a in appts if a.get("status", "booked") == "booked"]
    if ref:
        live = [a for a in live if a.get("kind") == ref] or live
    if trade:  # "move my plumbing thing": the plumbing visit, when there is one
        live = [a for a in live if a.get("kind") == "maintenance" and a.get("category") == trade] or live
    return live

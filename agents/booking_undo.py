"""Taking back a cancellation: "wait, don't cancel it", "undo that", "i changed my mind, keep it".

A resident who cancels a visit and a minute later wants it back means the same visit: the same
time with the same technician, booked again after a yes when that slot is still free, else the
openings of that day. The cancelled visit is the one the booking flow just cancelled (its closing
note, `cancelled`) or, when a turn came between, the resident's latest cancelled visit that is
still ahead (read with `list_my_appointments`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from callcenter_agents.extract.polite import fix_typos
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.booking import BUSINESS_TZ

_UNDO = re.compile(
    r"\b(undo|un-?cancel\w*|put (it|that|them) back|bring (it|that) back|take (it|that) back|restore|reinstate"
    r"|re-?book (it|that)|book (it|that) (again|back)|keep (it|that|the (appointment|visit|booking|viewing))"
    r"|(don'?t|do not|didn'?t mean to|did not mean to|shouldn'?t have) cancel\w*|(meant|want(ed)?|need) to keep"
    r"|changed my mind|never ?mind (the|that) cancel\w*)\b"
)
_ABOUT_A_VISIT = re.compile(r"\b(cancel\w*|appointment|appt|visit|booking|viewing)\b")
_WORDS = ("cancel", "cancelled", "uncancel", "appointment", "restore", "booking", "changed", "reinstate")


def undoes_cancel(text: str) -> bool:
    """Whether a message, said right after a cancellation, takes it back ("undo that", "keep it")."""
    return bool(_UNDO.search(fix_typos(text, _WORDS)))


def takes_back_cancel(text: str) -> bool:
    """A cancellation taken back in words that name it ("don't cancel my appointment", "can you
    restore the visit i cancelled"): the booking agent's, whatever the classifier guessed."""
    t = fix_typos(text, _WORDS)
    return bool(_UNDO.search(t) and _ABOUT_A_VISIT.search(t))


def cancelled_note(appt: dict[str, Any]) -> dict[str, Any]:
    """The closing note of a cancellation: the visit an undo on the next turn books again."""
    return {"cancelled": {k: appt.get(k) for k in ("appointment_id", "kind", "category", "label", "starts_at")}}


async def cancelled_visit(t: ToolTurn, wanted: int | None) -> dict[str, Any] | None:
    """The cancelled visit to take back: `wanted` when it is cancelled and still ahead, else the
    latest such visit of the resident's, else None."""
    appts = (await t.call("list_my_appointments", {"include_past": True})).get("appointments", [])
    now = t.turn.now
    ahead = [
        a
        for a in appts
        if a.get("status") == "cancelled" and a.get("starts_at") and datetime.fromisoformat(a["starts_at"]) > now
    ]
    named = [a for a in ahead if wanted is not None and int(a["appointment_id"]) == int(wanted)]
    latest = named or sorted(ahead, key=lambda a: int(a["appointment_id"]))
    return latest[-1] if latest else None


async def same_slot(t: ToolTurn, appt: dict[str, Any]) -> dict[str, Any] | None:
    """The cancelled visit's own slot, when it is still free."""
    start = datetime.fromisoformat(str(appt["starts_at"])).astimezone(BUSINESS_TZ)
    args: dict[str, Any] = {"kind": appt.get("kind") or "maintenance", "limit": 10}
    args.update(date_from=start.date().isoformat(), date_to=start.date().isoformat())
    if args["kind"] == "maintenance" and appt.get("category"):
        args["category"] = appt["category"]
    slots = (await t.call("find_slots", args)).get("slots", [])
    same = [s for s in slots if s.get("starts_at") and datetime.fromisoformat(s["starts_at"]) == start]
    return same[0] if same else None

"""The resident's booked visits in the booking flow: read back, picked, cancelled, moved.

Split from agents/booking.py (the state machine of a new booking) so each reads in one sitting.
`ExistingAppointments` is the part of `BookingFlow` that starts from a visit already booked: which
one a request means (by number, kind or trade), the cancel question, and the start of a move (the
search for the new time is the booking's own `_search`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from callcenter_agents.booking_appointments import appointment_line, upcoming, with_tech
from callcenter_agents.booking_changes import moves_a_booking
from callcenter_agents.booking_moves import move_window
from callcenter_agents.booking_requests import (
    CANCEL_WORDS,
    appointment_number,
    detect_intent,
    loose_numbers,
    named_number,
    named_trade,
    specialist_trade,
    visit_noun,
    window_to_state,
    with_article,
)
from callcenter_agents.booking_undo import cancelled_note, cancelled_visit, same_slot
from callcenter_agents.extract import detect_appointment_ref, is_affirmative, is_cancel, is_negative, pick_choice
from callcenter_agents.replies import MAX_MISSES, asks_something_else, choice_prompt, numbered
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.booking import BUSINESS_TZ

from callcenter.specialists.flow import FlowReply


def names_another_visit(text: str, state: dict[str, Any]) -> bool:
    """Whether a message said to an open question about one visit (or a list of them) points at a
    different one: "cancel appointment 1" to "Shall I cancel your visit on Friday (#7)?", "cancel
    the viewing" while a plumbing visit's cancel waits. Such a message is never a yes: the request
    it makes is read afresh, and a number not among the resident's is refused (red team R5)."""
    stage = state.get("stage")
    if stage == "pick_appt":
        number = appointment_number(text)
        ids = {int(a["appointment_id"]) for a in state.get("appointments", [])}
        return number is not None and number not in ids
    appt = state.get("appointment")
    if not isinstance(appt, dict) or stage not in ("confirm_cancel", "confirm", "offer"):
        return False
    own = int(appt["appointment_id"])
    number = named_number(text) if stage == "confirm_cancel" else appointment_number(text)
    if number is not None:
        return number != own
    if stage != "confirm_cancel":
        return False
    if any(n != own for n in loose_numbers(text)):  # "yes, 13": a yes to #7 names no other visit
        return True
    ref, trade = detect_appointment_ref(text), named_trade(text)
    if ref is not None and ref != appt.get("kind"):
        return True
    return trade is not None and (appt.get("kind") != "maintenance" or appt.get("category") != trade)


def _day(appt: dict[str, Any]) -> str | None:
    raw = appt.get("starts_at")
    return datetime.fromisoformat(str(raw)).astimezone(BUSINESS_TZ).date().isoformat() if raw else None


class ExistingAppointments:
    """Listing, choosing, cancelling and starting to move the resident's booked visits."""

    async def _search(self, t: ToolTurn, state: dict[str, Any], lead: str = "") -> FlowReply:
        raise NotImplementedError  # the booking flow's search for openings (agents/booking.py)

    async def _start(self, t: ToolTurn, text: str) -> FlowReply:
        raise NotImplementedError  # the booking flow's reading of a new request (agents/booking.py)

    async def _reresolve(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        """A message naming another visit than the one asked about: that request, read afresh (the
        pending question is dropped, so nothing is cancelled or moved on its strength)."""
        if detect_intent(text) in ("cancel", "reschedule"):
            return await self._start(t, text)
        fresh: dict[str, Any] = {
            "intent": state.get("intent") if state.get("intent") in ("cancel", "reschedule") else "cancel",
            "number": named_number(text) or next(iter(loose_numbers(text)), None),
            "ref": detect_appointment_ref(text),
            "trade": named_trade(text),
            "window": None,
            "move": None,
        }
        return await self._choose_appointment(t, fresh)

    async def _their_visit(self, t: ToolTurn, text: str) -> FlowReply | None:
        """ "my ac guy is coming monday right? what time again": the visit booked, read back (never new
        openings, whose slot could clash with it); None when no booked visit fits the question."""
        trade = specialist_trade(text) or named_trade(text)
        appts = [a for a in await upcoming(t) if not trade or a.get("category") == trade]
        if not appts:
            return None
        if len(appts) > 1:
            return await self._list(t)
        a = appts[0]
        noun = visit_noun(a.get("kind", "maintenance"), a.get("category"))
        note = {"booked": {k: a.get(k) for k in ("appointment_id", "kind", "category", "label")}}
        said = f"Your {noun} is on {a['label']}{with_tech(a)} (appointment #{a['appointment_id']})."
        return t.reply(f"{said} Would you like to keep it or change the time?", note, done=True)

    async def _list(self, t: ToolTurn) -> FlowReply:
        appts = await upcoming(t)
        if not appts:
            return t.reply("You have no upcoming appointments. Would you like to book one?", done=True)
        lines = [appointment_line(a) for a in appts]
        # One appointment read back is the one "can you move it to thursday?" means next turn: the
        # same closing note a booking leaves (booking_changes.py).
        note = (
            {"booked": {k: appts[0].get(k) for k in ("appointment_id", "kind", "category", "label")}}
            if len(appts) == 1
            else None
        )
        return t.reply("Your upcoming appointments:\n" + numbered(lines), note, done=True)

    async def _choose_appointment(self, t: ToolTurn, state: dict[str, Any]) -> FlowReply:
        number = state.pop("number", None)
        verb = "cancel" if state["intent"] == "cancel" else "reschedule"
        lead = ""
        if number is not None:
            # Only the resident's own appointments are ever looked at, so a number that is not
            # among them gets the same answer whether or not it exists for someone else.
            appts = await upcoming(t)
            named = [a for a in appts if int(a["appointment_id"]) == int(number)]
            if named:
                return await self._with_appointment(t, state, named[0])
            lead = f"I can't find appointment #{number} among the upcoming appointments on your account. "
            if not appts:
                return t.reply(f"{lead}Would you like to book one?", done=True)
        else:
            appts = await upcoming(t, state.get("ref"), state.get("trade"))
            on = state.pop("on", None)  # "the one on friday": that day's, when there is one
            appts = [a for a in appts if _day(a) == on] or appts
            if not appts:
                return t.reply(
                    f"I don't see any upcoming appointments to {verb}. Would you like to book one?", done=True
                )
            trade, ref = state.get("trade"), state.get("ref")
            if trade and not any(a.get("category") == trade for a in appts):  # never the wrong one silently
                lead = (
                    f"I don't see {with_article(visit_noun('maintenance', trade))} among your upcoming appointments. "
                )
            elif ref and not any(a.get("kind") == ref for a in appts):  # "cancel the viewing", none booked
                lead = f"I don't see {with_article(visit_noun(ref, None))} among your upcoming appointments. "
        if len(appts) == 1:
            if lead:
                lead += "You have one upcoming appointment: "
                lead += f"{appointment_line(appts[0])}. "
            return await self._with_appointment(t, state, appts[0], lead=lead)
        state.update(
            stage="pick_appt",
            appointments=[{k: a.get(k) for k in ("appointment_id", "kind", "category", "label")} for a in appts],
        )
        head = f"{lead}Your upcoming appointments are:" if lead else f"Which appointment would you like to {verb}?"
        tail = f"Which one would you like to {verb}? " if lead else ""
        return t.reply(
            f"{head}\n" + numbered([appointment_line(a) for a in appts]) + f"\n{tail}{choice_prompt(len(appts))}", state
        )

    async def _picked_appointment(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        appts: list[dict[str, Any]] = state.get("appointments", [])
        number = appointment_number(text)  # "appointment #7" is that visit, not the list's 7th line
        by_number = [i for i, a in enumerate(appts) if number is not None and int(a["appointment_id"]) == number]
        idx = by_number[0] if by_number else pick_choice(text, len(appts), [a["label"] for a in appts])
        if idx is None:
            ref = detect_appointment_ref(text)
            matches = [i for i, a in enumerate(appts) if ref and a.get("kind") == ref]
            idx = matches[0] if len(matches) == 1 else None
        if idx is None and asks_something_else(text):  # "do i have anything booked?": answered, not re-asked
            return await self._start(t, text)
        if idx is None:
            state["misses"] = int(state.get("misses", 0)) + 1
            if state["misses"] >= MAX_MISSES:
                return t.reply("No problem, I haven't changed anything. What would you like to do?", done=True)
            return t.reply(f"Sorry, which one? {choice_prompt(len(appts))}", state)
        return await self._with_appointment(t, state, appts[idx])

    async def _with_appointment(
        self, t: ToolTurn, state: dict[str, Any], appt: dict[str, Any], lead: str = ""
    ) -> FlowReply:
        appt = {k: appt.get(k) for k in ("appointment_id", "kind", "category", "label", "starts_at")}
        state["appointment"] = appt
        if state["intent"] == "reschedule" and state.get("move") and appt.get("starts_at"):
            # "push it back a week": read against the visit being moved, not today
            visit = datetime.fromisoformat(str(appt["starts_at"])).astimezone(BUSINESS_TZ)
            move = move_window(str(state["move"]), t.turn.now.astimezone(BUSINESS_TZ), visit)
            state["window"] = window_to_state(move.window) if move.window else state.get("window")
            state["direction"] = move.direction
        state.pop("appointments", None)
        noun = visit_noun(appt.get("kind") or "maintenance", appt.get("category"))
        if state["intent"] == "cancel":
            state["stage"] = "confirm_cancel"
            return t.reply(f"{lead}Shall I cancel your {noun} on {appt['label']}?", state)
        state.update(kind=appt.get("kind") or "maintenance", category=appt.get("category"))
        return await self._search(t, state, lead=f"{lead}Let's move your {noun} on {appt['label']}. ")

    async def _restore(self, t: ToolTurn, wanted: int | None) -> FlowReply:
        """ "wait, don't cancel it": the same visit booked again after a yes, or that day's openings."""
        appt = await cancelled_visit(t, wanted)
        if appt is None:
            return t.reply("I don't see a cancelled visit that's still ahead. Would you like to book one?", done=True)
        kind = appt.get("kind") or "maintenance"
        category = appt.get("category") if kind == "maintenance" else None
        noun = visit_noun(kind, category)
        state: dict[str, Any] = {
            "intent": "book",
            "kind": kind,
            "category": category,
            "description": f"Booked again after cancelling appointment #{appt['appointment_id']}",
        }
        slot = await same_slot(t, appt)
        if slot is not None:
            chosen = {k: slot.get(k) for k in ("slot_id", "label", "technician", "starts_at")}
            state.update(stage="confirm", options=[chosen], chosen=chosen)
            return t.reply(
                f"No problem. Your {noun} on {appt['label']} (#{appt['appointment_id']}) was cancelled, but that "
                f"time is still free. Shall I book {with_article(noun)} on {chosen['label']} again?",
                state,
            )
        day = datetime.fromisoformat(str(appt["starts_at"])).astimezone(BUSINESS_TZ).date().isoformat()
        state["window"] = {"date_from": day, "date_to": day, "earliest": None, "latest": None, "text": "that day"}
        lead = f"Sorry, {appt['label']} was taken after you cancelled. "
        return await self._search(t, state, lead=lead)

    async def _confirm_cancel(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        appt = state["appointment"]
        noun = visit_noun(appt.get("kind") or "maintenance", appt.get("category"))
        keep = is_negative(text) or re.search(r"\b(don'?t|do not|keep)\b", text, re.I)
        if moves_a_booking(text, t.turn.now) and (keep or not CANCEL_WORDS.search(text)):
            # "no wait dont cancel it, can i just move it an hour later?": nothing cancelled, the visit moved
            state.update(intent="reschedule", move=text)
            return await self._with_appointment(t, state, appt, lead="Okay, I won't cancel it. ")
        if not keep and (is_affirmative(text) or CANCEL_WORDS.search(text)):
            # the visit the question named is the one confirmed: the tool refuses any other
            confirmed = {"appointment_id": appt["appointment_id"], "confirmed_appointment_id": appt["appointment_id"]}
            res = await t.call("cancel_appointment", confirmed)
            return t.reply(
                f"Cancelled: your {noun} on {res.get('label') or appt['label']} "
                f"(appointment #{res['appointment_id']}).",
                cancelled_note(appt),
                done=True,
            )
        if keep or is_cancel(text):
            return t.reply(f"Okay, I've left your {noun} on {appt['label']} as it is.", done=True)
        return t.reply(f"Shall I cancel your {noun} on {appt['label']}? (yes or no)", state)

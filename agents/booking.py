"""Booking: maintenance visits and unit viewings — book, reschedule, cancel, list.

The flow is a small state machine whose whole memory lives in `turn.state`, so a
conversation survives restarts and replays. Every write is preceded by an explicit
yes/no confirmation naming the exact slot, and every time or appointment number it
mentions comes from a tool result of the same turn.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from callcenter_agents.booking_appointments import upcoming, with_tech
from callcenter_agents.booking_changes import booked_note, changes_booking, moves_a_booking
from callcenter_agents.booking_existing import ExistingAppointments, names_another_visit
from callcenter_agents.booking_followups import (
    asks_hours,
    bare_hour,
    counts_from_a_day,
    find_openings,
    hours_sentence,
    is_vague_answer,
    reference_day,
    relative_window,
)
from callcenter_agents.booking_moves import from_and_to, is_relative_move
from callcenter_agents.booking_notes import (
    VisitNotes,
    asks_about_a_visit,
    asks_for_note,
    asks_what_it_is_about,
    gives_access_note,
    routes_access_note,
)
from callcenter_agents.booking_prompt import BOOKING_EXAMPLES, BOOKING_INSTRUCTIONS
from callcenter_agents.booking_requests import (
    NAMES_THE_VISIT,
    appointment_number,
    asks_about_their_visit,
    asks_booked_time,
    carry_window,
    describe_issue,
    detect_intent,
    fits_window,
    named_number,
    named_trade,
    same_weekday,
    specialist_trade,
    visit_noun,
    window_from_state,
    window_to_state,
    with_article,
)
from callcenter_agents.booking_undo import takes_back_cancel, undoes_cancel
from callcenter_agents.extract import (
    DateWindow,
    detect_appointment_ref,
    detect_issue,
    is_affirmative,
    is_cancel,
    is_correction,
    is_negative,
    names_a_position,
    parse_when,
    pick_choice,
)
from callcenter_agents.extract.excluded_days import excluded_weekdays
from callcenter_agents.extract.polite import answer_text
from callcenter_agents.replies import (
    asks_something_else,
    choice_prompt,
    numbered,
    sign_in_prompt,
    tool_error_reply,
)
from callcenter_agents.route_meaning import asks_about_the_note
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.booking import BOOKING_TOOLS, BUSINESS_TZ

from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Tier


class BookingFlow(ExistingAppointments, VisitNotes):
    """Book, reschedule, cancel or list maintenance visits and viewings."""

    async def step(self, turn: FlowTurn) -> FlowReply:
        t = ToolTurn(turn)
        try:
            return await self._step(t, turn.text.strip(), dict(turn.state))
        except ToolError as err:
            if err.code == "unverified":
                return t.reply(sign_in_prompt(turn.context.channel), done=True)
            return t.reply(tool_error_reply(err, "Would you like to try something else?"), done=True)

    async def _step(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        finished = state.pop("finished", None)  # what this flow closed with last turn (callcenter.conversation)
        stage = state.get("stage")
        booked = finished.get("booked") if isinstance(finished, dict) else None
        if not stage and isinstance(booked, dict) and changes_booking(text, t.turn.now):
            # "actually make it friday" right after "You're booked": that booking moves, no new one.
            when = parse_when(text, t.turn.now.astimezone(BUSINESS_TZ))
            state = {"intent": "reschedule", "window": window_to_state(when) if when else None, "move": text[:300]}
            return await self._with_appointment(t, state, booked)
        if not stage and isinstance(booked, dict) and asks_booked_time(text):  # "what time was that again?"
            return await self._list(t)
        cancelled = finished.get("cancelled") if isinstance(finished, dict) else None
        if not stage and (takes_back_cancel(text) or (isinstance(cancelled, dict) and undoes_cancel(text))):
            # "wait no, i meant to keep it. can you put it back?": the visit just cancelled, again
            return await self._restore(t, cancelled.get("appointment_id") if isinstance(cancelled, dict) else None)
        if not stage and isinstance(cancelled, dict) and detect_intent(text) == "cancel" and not await upcoming(t):
            # "yes cancel it" once more: it is done, and an undo on the next turn still finds it
            noun = visit_noun(cancelled.get("kind") or "maintenance", cancelled.get("category"))
            done = f"That's done: your {noun} on {cancelled['label']} is cancelled (#{cancelled['appointment_id']})."
            return t.reply(done, {"cancelled": cancelled}, done=True)
        if stage == "pick_appt" and state.get("intent") == "note":  # which visit the access note is for
            return await self._picked_note(t, text, state)
        if stage == "confirm_note":  # "Shall I add 'Please call before arriving.'?": yes, no, or something else
            confirmed = await self._confirm_note(t, text, state)
            if confirmed is not None:
                return confirmed
            state, stage = {}, None
        just = booked if isinstance(booked, dict) else None
        about_it = just is not None and (asks_what_it_is_about(text) or asks_about_the_note(text))
        if not stage and (asks_about_a_visit(text) or about_it):
            return await self._about(t, just)  # "what was the appointment about again?"
        if not stage and self._gives_note(text, just is not None):  # "the spare key is with the concierge"
            return await self._note(t, text, just)
        if stage and names_another_visit(text, state):  # "cancel appointment 1" is no yes to cancelling #7
            return await self._reresolve(t, text, state)
        if stage == "confirm_cancel":
            return await self._confirm_cancel(t, text, state)
        # "ok so… never mind, keep it": the "ok" is courtesy, not a yes to the move (answer_text)
        if stage and is_cancel(text) and not (stage == "confirm" and is_affirmative(answer_text(text))):
            # a move given up leaves the visit as it was: "is it still on friday right?" reads it back
            kept = state.get("appointment") if state.get("intent") == "reschedule" else None
            note = {"booked": kept} if isinstance(kept, dict) else None
            return t.reply("No problem, I haven't booked or changed anything.", note, done=True)
        if (
            stage in ("need_issue", "offer", "confirm")
            and state.get("intent") == "book"
            and await self._moves_theirs(t, text)
        ):
            # "move the upcoming one to next monday morning" while openings for a new visit are on the
            # table: the visit they have, moved (after a yes), never a second one beside it.
            return await self._start(t, text)
        if stage == "need_issue":
            return await self._got_issue(t, text, state)
        if stage == "pick_appt":
            return await self._picked_appointment(t, text, state)
        if stage == "offer":
            return await self._offer_answer(t, text, state)
        if stage == "confirm":
            return await self._confirm_answer(t, text, state)
        return await self._start(t, text)

    @staticmethod
    async def _moves_theirs(t: ToolTurn, text: str) -> bool:
        """Whether a message said during a new booking asks to move a visit already booked ("move the
        upcoming one", "reschedule my next appointment"), and the resident has one. "make it next week
        instead" names no visit of theirs: it changes the openings asked for, as before."""
        return detect_intent(text) == "reschedule" and bool(await upcoming(t))

    @staticmethod
    def _gives_note(text: str, after_a_visit: bool) -> bool:
        """An access note, not a new repair, a move or a cancellation that mentions the key."""
        if detect_intent(text) in ("cancel", "reschedule", "list"):
            return False
        if detect_issue(text) is not None and not asks_for_note(text):  # "my sink leaks, use the spare key"
            return False
        return routes_access_note(text) or (after_a_visit and gives_access_note(text))

    # -- first turn -------------------------------------------------------------------

    async def _start(self, t: ToolTurn, text: str) -> FlowReply:
        intent = detect_intent(text)
        when = parse_when(text, t.turn.now.astimezone(BUSINESS_TZ))
        window = window_to_state(when) if when else None
        if intent == "list":
            return await self._list(t)
        if intent == "book" and asks_about_their_visit(text):  # "my ac guy is coming monday right? what time"
            theirs = await self._their_visit(t, text)
            if theirs is not None:
                return theirs
        if intent == "book" and moves_a_booking(text, t.turn.now.astimezone(BUSINESS_TZ)) and await upcoming(t):
            intent = "reschedule"  # "make it thursday instead": the visit they have, never a second one
        if intent in ("cancel", "reschedule"):
            anchor = None
            if when is not None and when.date_from is not None and NAMES_THE_VISIT.search(text):
                # "the visit on the 14th, can we reschedule": that day is the visit being moved, not
                # the time wanted; it stays only as the day "that week" refers to.
                window, anchor = None, when.date_from.isoformat()
            pair = from_and_to(text, t.turn.now.astimezone(BUSINESS_TZ)) if intent == "reschedule" else None
            if pair is not None:  # "friday to monday": the visit on friday, moved to monday
                window, anchor = window_to_state(pair[1]), None
            state: dict[str, Any] = {
                "on": pair[0].date_from.isoformat() if pair and pair[0].date_from else None,
                "intent": intent,
                "window": window,
                "anchor": anchor,
                "move": pair[1].text if pair else text[:300] if anchor is None or is_relative_move(text) else None,
                "ref": detect_appointment_ref(text),
                "trade": named_trade(text),
                "number": named_number(text) if intent == "cancel" else appointment_number(text),  # "cancel 1"
            }
            return await self._choose_appointment(t, state)
        if intent == "viewing":
            state = {
                "intent": "book",
                "kind": "viewing",
                "category": None,
                "description": text[:500] or "Unit viewing",
                "window": window,
            }
            return await self._search(t, state)
        issue = detect_issue(text)
        trade = specialist_trade(text)
        state = {"intent": "book", "kind": "maintenance", "window": window}
        if issue is None:
            # A trade named without the job ("can I book a plumber?", "an electrician for the end of
            # the month") is kept, with the day asked for, while the question what needs fixing is
            # asked once; the answer describes the work order, it does not change the trade.
            state.update(stage="need_issue", said=text[:500], category=trade)
            noun = visit_noun("maintenance", trade)
            return t.reply(f"I can book {with_article(noun)} for you. What needs fixing?", state)
        state["category"] = trade or issue[0]
        state["description"] = describe_issue(issue, text)
        return await self._search(t, state)

    async def _got_issue(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        # "What needs fixing?" is asked once: whatever the answer, the visit is searched for, as
        # a general maintenance visit described in the resident's own words when no trade shows.
        if moves_a_booking(text, t.turn.now.astimezone(BUSINESS_TZ)) and await upcoming(t):
            # "actually can you make it thursday afternoon instead" is no repair: the visit booked, moved.
            return await self._start(t, text)
        when = self._later_when(t, text, state)
        if when is not None:
            state["window"] = window_to_state(when)
        said = str(state.pop("said", "") or "")
        issue = detect_issue(text) or (detect_issue(said) if said else None)
        words = " ".join(p for p in (said, text) if p)
        trade = specialist_trade(said) or specialist_trade(text)
        category = trade or (issue[0] if issue is not None else "general")
        state["category"], state["description"] = category, describe_issue(issue, words)
        return await self._search(t, state)

    @staticmethod
    def _later_when(t: ToolTurn, text: str, state: dict[str, Any]) -> DateWindow | None:
        """The window a later message names, read against the one asked before: "that week" is
        the week talked about, and a change of only the time or only the day keeps the other."""
        before = window_from_state(state.get("window"))
        anchor = before.date_from if before is not None else None
        if state.get("options") and counts_from_a_day(text):
            anchor = reference_day(state)  # "what about the day after": after the day just offered
        if anchor is None and state.get("anchor"):
            anchor = date.fromisoformat(str(state["anchor"]))
        when = parse_when(text, t.turn.now.astimezone(BUSINESS_TZ), anchor)
        return carry_window(when, before, text) if when is not None else None

    # -- searching and offering -------------------------------------------------------

    async def _search(self, t: ToolTurn, state: dict[str, Any], lead: str = "") -> FlowReply:
        kind = state.get("kind", "maintenance")
        category = state.get("category") if kind == "maintenance" else None
        noun = visit_noun(kind, category)
        today = t.turn.now.astimezone(BUSINESS_TZ).date()
        ruled_out = excluded_weekdays(t.turn.text)  # "not monday tho": kept for the rest of the flow
        if ruled_out:
            state["not_days"] = sorted(set(state.get("not_days") or []) | set(ruled_out))
        slots, note, reason = await find_openings(t, state, kind, category, today)
        state.pop("exclude", None)
        if not slots:
            return t.reply(
                f"{lead}{reason + ' ' if reason else ''}I'm sorry, there are no openings for {with_article(noun)} "
                "in the next couple of weeks. I can pass this to the maintenance team so they call you to arrange "
                "a time.",
                done=True,
            )
        options = [
            {
                "slot_id": s["slot_id"],
                "label": s["label"],
                "technician": s.get("technician"),
                "starts_at": s.get("starts_at"),
            }
            for s in slots
        ]
        window = state.get("window") or {}
        if len(options) == 1:
            # One opening: the question that names it is the confirmation, so a single yes books
            # it (asking "does that work?" and then "shall I book it?" is one question too many).
            state.update(stage="confirm", options=options, chosen=options[0])
            if reason:
                head = f"{lead}{reason.rstrip(':')}."
            elif note:
                head = f"{lead}{note} There's one opening."
            elif window:
                head = f"{lead}There's one opening {window.get('text') or 'then'}."
            else:
                head = f"{lead}There's one opening soon."
            return t.reply(f"{head} {self._confirm_question(state)} Or tell me another day or time.", state)
        state.update(stage="offer", options=options)
        if reason:
            text = f"{lead}{reason}\n"
        elif note:
            text = f"{lead}{note} Here's what's free for {with_article(noun)}:\n"
        elif window:
            text = f"{lead}Here's what's free {window.get('text') or 'then'} for {with_article(noun)}:\n"
        else:
            text = f"{lead}Here are the soonest openings for {with_article(noun)}:\n"
        text += numbered([o["label"] for o in options])
        text += f"\n{choice_prompt(len(options))} Or tell me another day or time."
        return t.reply(text, state)

    async def _offer_answer(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        options: list[dict[str, Any]] = state.get("options", [])
        idx = pick_choice(text, len(options), [o["label"] for o in options])
        if idx is None and (hour := bare_hour(text, len(options))) is not None:  # "the 10": the 10:00 one
            idx = pick_choice(f"at {hour}", len(options), [o["label"] for o in options])
        # "1st" / "el primero" to a numbered list is option 1, not the first of the month
        when = None if names_a_position(text, len(options)) else self._later_when(t, text, state)
        if idx is not None and when is not None and same_weekday(when, options[idx]):
            when = None  # "the wednesday one" to next week's openings: that one, not this wednesday
        if when is not None and (idx is None or not fits_window(when, options[idx])):
            if is_negative(text):  # "none of those work, do you have evenings?": not those again
                # ("nah tmrw morning i said": those that fit the morning are no refusal, they stay)
                state["exclude"] = [o for o in options if not fits_window(when, o)]
            state["window"] = window_to_state(when)
            return await self._search(t, state)
        if idx is None and len(options) == 1 and is_affirmative(text) and not is_negative(text):
            idx = 0
        if idx is not None:
            state.update(stage="confirm", chosen=options[idx])
            return t.reply(self._confirm_question(state), state)
        followed = await self._follow_up(t, text, state)
        if followed is not None:
            return followed
        if is_negative(text):
            state["stage"] = "offer"
            return t.reply(
                'No problem. Which day or time would suit you better (for example "Thursday morning")?', state
            )
        if asks_something_else(text) and detect_intent(text) in ("cancel", "reschedule", "list"):
            return await self._start(t, text)  # "actually cancel my appointment": that, not "which one?" again
        if is_vague_answer(text):  # "it's hard to explain": the visit is for finding out
            lead = "No problem, the technician will take a look and work out what's wrong."
            return t.reply(f"{lead} {choice_prompt(len(options))} Or tell me another day or time.", state)
        return t.reply(
            f"Sorry, I didn't catch which one. {choice_prompt(len(options))} Or tell me another day or time.", state
        )

    async def _follow_up(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply | None:
        """A question about the slots just offered that names no slot nor a full window: "anything
        later that day?", "11" (to options 1-3), "till what time?" (booking_followups.py)."""
        options: list[dict[str, Any]] = state.get("options", [])
        relative = relative_window(text, state)
        if relative is not None:
            state.update(window=relative, exclude=options)
            return await self._search(t, state)
        hour = bare_hour(text, len(options))
        day = reference_day(state)
        if hour is not None:
            when = parse_when(f"at {hour}", t.turn.now.astimezone(BUSINESS_TZ))
            if when is not None:
                at = window_to_state(when)
                if day is not None:
                    at.update(
                        date_from=day.isoformat(), date_to=day.isoformat(), text=f"{day:%a %b} {day.day} at {hour}"
                    )
                state["window"] = at
                return await self._search(t, state)
        if asks_hours(text):
            kind = state.get("kind", "maintenance")
            category = state.get("category") if kind == "maintenance" else None
            args: dict[str, Any] = {"kind": kind, "limit": 1, "schedule": True}
            if category:
                args["category"] = category
            schedule = (await t.call("find_slots", args)).get("schedule")
            if not isinstance(schedule, dict):
                return None
            head = hours_sentence(schedule, visit_noun(kind, category))
            listing = numbered([o["label"] for o in options])
            ask = f"{choice_prompt(len(options))} Or tell me another day or time." if options else ""
            offered = f" The openings I offered:\n{listing}\n{ask}" if options else " Which day would suit you?"
            return t.reply(f"{head}{offered}", {**state, "stage": "offer"} if options else state)
        return None

    def _confirm_question(self, state: dict[str, Any]) -> str:
        chosen = state["chosen"]
        if state.get("intent") == "reschedule":
            appt = state["appointment"]
            noun = visit_noun(appt.get("kind", "maintenance"), appt.get("category"))
            return f"Shall I move your {noun} from {appt['label']} to {chosen['label']}?"
        noun = visit_noun(state.get("kind", "maintenance"), state.get("category"))
        return f"Shall I book {with_article(noun)} on {chosen['label']}?"

    async def _confirm_answer(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        options: list[dict[str, Any]] = state.get("options", [])
        chosen = state["chosen"]
        # "ok so can it be tuesday instead, thanks": the "ok" is courtesy, not a yes (answer_text)
        yes = is_affirmative(answer_text(text))
        idx = pick_choice(text, len(options), [o["label"] for o in options])
        if idx is not None and options[idx]["slot_id"] != chosen["slot_id"] and not yes:
            state["chosen"] = options[idx]
            if not names_a_position(text, len(options)):
                # "can we do tuesday instead?" named an opening by its day: that one is now the offer,
                # so "fine the first one" next means it, not the first of the older list
                state["options"] = [options[idx]]
            return t.reply(self._confirm_question(state), state)
        when = None if names_a_position(text, len(options)) else self._later_when(t, text, state)
        if len(options) == 1 and idx == 0 and not is_negative(text) and (when is None or fits_window(when, chosen)):
            # "that one" to the question that named the only opening is a yes to it.
            return await self._commit(t, state)
        if when is not None and not yes and (is_correction(text) or not fits_window(when, chosen)):
            state["window"] = window_to_state(when)
            return await self._search(t, state)
        if yes and not is_negative(text):
            return await self._commit(t, state)
        if idx is None and when is None and not is_negative(text):
            followed = await self._follow_up(t, text, state)
            if followed is not None:
                return followed
        if is_negative(text):
            others = [o for o in options if o["slot_id"] != chosen["slot_id"]]
            if others:
                state.update(stage="offer", options=others)
                return t.reply(
                    "No problem. The other options are:\n"
                    + numbered([o["label"] for o in others])
                    + f"\n{choice_prompt(len(others))} Or tell me another day or time.",
                    state,
                )
            state.update(stage="offer", exclude=[chosen])
            return await self._search(t, state, lead="No problem. ")
        return t.reply(self._confirm_question(state) + " (yes or no)", state)

    async def _commit(self, t: ToolTurn, state: dict[str, Any]) -> FlowReply:
        chosen = state["chosen"]
        try:
            if state.get("intent") == "reschedule":
                appt = state["appointment"]
                res = await t.call(
                    "reschedule_appointment",
                    {
                        "appointment_id": appt["appointment_id"],
                        "confirmed_appointment_id": appt["appointment_id"],  # the visit the question named
                        "new_slot_id": chosen["slot_id"],
                    },
                )
                noun = visit_noun(appt.get("kind", "maintenance"), res.get("category") or appt.get("category"))
                prev = res.get("previous_label") or appt["label"]
                return t.reply(
                    f"Done: your {noun} is moved from {prev} to {res['label']}"
                    f"{with_tech(res)}. Appointment number #{res['appointment_id']}.",
                    booked_note(res, appt.get("kind") or "maintenance", appt.get("category")),
                    done=True,
                )
            kind = state.get("kind", "maintenance")
            args: dict[str, Any] = {
                "slot_id": chosen["slot_id"],
                "kind": kind,
                "description": str(state.get("description") or "")[:500],
            }
            if kind == "maintenance" and state.get("category"):
                args["category"] = state["category"]
            res = await t.call("book_appointment", args)
        except ToolError as err:
            if err.code == "unverified":
                raise
            state.update(exclude=[chosen])
            return await self._search(t, state, lead=f"Sorry, {chosen['label']} was just taken. ")
        noun = visit_noun(state.get("kind", "maintenance"), res.get("category") or state.get("category"))
        return t.reply(
            f"You're booked: {with_article(noun)} on {res['label']}{with_tech(res)}. "
            f"Your appointment number is #{res['appointment_id']}.",
            booked_note(res, state.get("kind", "maintenance"), state.get("category")),
            done=True,
        )


AGENT = AgentSpec(
    name="booking",
    vertical="booking",
    acts_on_account=True,
    description="Books, reschedules, cancels and lists maintenance visits and unit viewings.",
    instructions=BOOKING_INSTRUCTIONS,
    tools=tuple(BOOKING_TOOLS),
    default_tier=Tier.CHEAP,
    handoff_targets=("escalation", "billing", "general"),
    examples=BOOKING_EXAMPLES,
    flow=BookingFlow,
)

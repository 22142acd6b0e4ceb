"""Access notes on a visit: "the tech can use the spare key with the concierge", "my dog is home,
please knock", "code for the gate is 4821", "can you add a note that they should call me 30 min before".

Residents tell us how to get in and what to expect as they would tell a person (trial5 #15, #22,
#34, #36); before, such a message got the key-fob price or "outside what I can help with", and the
technician never heard of the key or the dog. The note is written by `add_appointment_note` onto the
resident's own upcoming visit only (the tool refuses anyone else's as not found) and read back with
the visit it went on. A question about access ("do i need to be home?") gets the handbook's answer
(permission to enter, pets secured) and whatever the message told us is noted as well.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.booking_appointments import appointment_line, upcoming
from callcenter_agents.booking_requests import appointment_number, named_trade
from callcenter_agents.extract import detect_appointment_ref, is_affirmative, is_cancel, is_negative, pick_choice
from callcenter_agents.extract.polite import answer_text, fix_typos
from callcenter_agents.replies import MAX_MISSES, choice_prompt, numbered
from callcenter_agents.tool_turn import ToolTurn
from callcenter_tools.knowledge import search

from callcenter.specialists.flow import FlowReply

_NOTE_WORDS = ("spare", "concierge", "knock", "friendly", "code", "gate", "note", "technician", "minutes", "before")
_WHO = r"(the |my |your |our )?(tech|techs|technician|plumber|electrician|handyman|maintenance( guy| person| team)?|guy|worker|agent|leasing agent|they|them|he|she)"  # noqa: E501
# A request to note something: "add a note that…", "let the tech know…", "please note…".
_ASKS_NOTE = re.compile(
    r"\b((add|put|leave|include|attach|write|make)\b.{0,25}\bnotes?\b|"
    r"notes? (for|to) (the )?(tech\w*|visit|appointment)|"
    rf"(let|tell|inform|remind|warn) {_WHO} know|please note|fyi)\b"
)
# What a technician needs to get in or to reach the resident, said plainly enough to be a note anywhere.
_STRONG = re.compile(
    r"\b(spare keys? (is |are )?(with|at|under|in|from|by)\b|(use|take|grab|pick up|get) (the|my|our) spare keys?|"
    r"keys? (is |are )?(with|at|under|in|from) the |lock ?box|"
    r"(gate|door|entry|building|buzzer|alarm|access|garage|lobby|front door|intercom) (code|pin)|"
    r"code (for|to|of) the (gate|door|building|front door|buzzer|garage|lobby)|"
    r"let (him|her|them|themselves|himself|herself|yourselves?) in|"
    rf"{_WHO} (can|may|should|could) (use|take|get|pick up|grab|come in|let|enter|go in)|"
    rf"(can|may|could) {_WHO} (use|take|get|pick up|grab|let (themselves|himself|herself) in)|"
    r"(call|text|phone|ring) me (\d+ ?(min|mins|minutes)|before|first|ahead|beforehand|on the way)|"
    r"please knock|knock (first|loudly|hard|before)|just knock)\b"
)
# The same said in passing ("i won't be home", "i have a dog"): a note right after a visit is booked
# or read back, or when the message is about the visit.
_WEAK = re.compile(
    r"\b((won'?t|wont|will not|not going to|can'?t|cannot) be (home|there|in|around)|"
    r"(i'?m|i am|i'?ll be|i will be|ill be) (not home|not there|at work|away|out all day|out of town|working)|"
    r"(i'?ll|i will|ill) be home|(nobody|no one|no-one)('?s| will be| is) (home|there)|knock|"
    r"ring the (door ?bell|bell|buzzer)|buzz (me|up)|(call|text) (first|ahead|before)|"
    r"(dog|cat|pet|puppy|kitten|dogs|cats|pets)('?s| is| are| will be) (home|inside|in the|loose|friendly|shy)|"
    r"(i have|there'?s|i'?ve got|we have) (a |two |\d )?(friendly |small |big |shy )?(dog|cat|pet|puppy|kitten)s?\b|"
    r"friendly (dog|cat)|(her|his|their) name is|(visitor|guest)'?s? name)\b"
)
_ABOUT_A_VISIT = re.compile(
    r"\b(tech|techs|technician|plumber|electrician|handyman|maintenance|appointment|appt|visit|viewing|tour|"
    r"when (they|he|she) comes?|repair)\b"
)
# A question about access, answered from the handbook: "do i need to be home?", "how will they get in?"
_ASKS_ACCESS = re.compile(
    r"\b((do|will|would|should|must) (i|we) (need|have) to be (home|there|in)|(need|have) to be home|"
    r"access situation|how (will|do|does|would|can) (they|the tech\w*|he|she|someone) (get|come) in|"
    r"(what|anything) (should|does|do) (she|he|they|i) (need to )?bring|(does|do) (she|he|they|i) (need|have) to bring|"
    r"bring anything)\b"
)
# "will they call first?": asked, not told; a call-ahead note is offered and written after a yes
_ASKS_CALL = re.compile(
    r"\b((will|do|does|would|can|could) (they|the tech\w*|he|she|someone|the plumber|the guy) "
    r"(call|text|phone|ring)( me)? (first|ahead|before|beforehand)|(call|text) (me )?(first|ahead|before)\s*\?)"
)
CALL_AHEAD = "Please call before arriving."
# "what was the appointment about again", "what's it for": the visit's description and notes, read back
_ABOUT = re.compile(
    r"\b(what('?s| is| was|s) (it|that|the (appointment|appt|visit|viewing|booking)|"
    r"my (appointment|appt|visit|booking))"
    r"( \w+)? (about|for)|what (is|was) (it|that) (booked )?for|what did i book (it )?for)\b"
)
_HASH_NUMBER = re.compile(r"#\s*(\d{1,9})\b")
_SENTENCE = re.compile(r"(?<=[.!?;\n])\s*")
_PART = re.compile(r"\s*,\s*")
# A part that asks rather than tells: "what is the gate code?", "is there pet rent?" (not noted).
_QUESTION = re.compile(r"^(what|whats|what's|where|when|who|which|how|why|is there|are there|do you|does|did)\b")
_COURTESY = re.compile(
    r"^((wait|ok(ay)?|oh|also|and|so|hey|hi|um+|uh+|actually|one more thing|btw|fyi|sorry)[,.!:]?\s+)+", re.I
)
_THANKS = re.compile(r"[,\s]*\b(thanks|thank you|thx|ty|please|pls)[.!]*$", re.I)
# How the request to note is said: dropped from the note itself ("can you add a note that they should…").
_LEAD = re.compile(
    r"^((can|could|would|will) you (please |pls )?|please |pls )?"
    r"((add|put|leave|include|attach|write|make) (a |an |this )?(quick |little )?notes? "
    r"((on|to|for) (it|the \w+|my \w+) )?"
    r"(that |saying |to say |so )?:?\s*|(let|tell|inform|remind) (the |my )?\w+ know (that )?|please note (that )?)",
    re.I,
)


def _read(text: str) -> str:
    return fix_typos(text.lower(), _NOTE_WORDS)


def gives_access_note(text: str) -> bool:
    """Said right after a visit was booked or read back: something for the technician (a key, a
    code, a pet, call ahead), or a question how entry works or whether they call first."""
    read = _read(text)
    return bool(note_text(text) or _ASKS_ACCESS.search(read) or _ASKS_CALL.search(read))


def asks_for_note(text: str) -> bool:
    """A note asked for in so many words ("add a note that…", "let the tech know…"): a note even
    when it names a thing a repair would ("please add a note: buzzer code is 7730")."""
    return bool(_ASKS_NOTE.search(_read(text)))


def routes_access_note(text: str) -> bool:
    """Said at any time: a note asked for, an access fact plain enough to be one ("the spare key is
    with the concierge", "code for the gate is 4821"), or one said about the visit ("i won't be home
    when the tech comes", "do i need to be home for the appointment?")."""
    read = _read(text)
    if _ASKS_NOTE.search(read) or (_STRONG.search(read) and note_text(text)):
        return True
    return bool((_WEAK.search(read) or _ASKS_ACCESS.search(read)) and _ABOUT_A_VISIT.search(read))


def asks_what_it_is_about(text: str) -> bool:
    """ "what was the appointment about again?": what the visit is for, read back with its notes."""
    return bool(_ABOUT.search(_read(text)))


def asks_about_a_visit(text: str) -> bool:
    """The same, naming the visit, said at any time ("what was my appointment about")."""
    read = _read(text)
    return bool(_ABOUT.search(read) and _ABOUT_A_VISIT.search(read))


def _asks(part: str) -> bool:
    """A part of a message that asks rather than tells ("do i need to be home?", "will they call first?")."""
    read = _read(part)
    return bool(_ASKS_ACCESS.search(read) or _ASKS_CALL.search(read) or _QUESTION.search(_COURTESY.sub("", read)))


def note_text(text: str) -> str:
    """What goes on the visit: the message's sentences that tell the technician something, without
    the request and courtesy around them and without the questions (those are answered, not noted)."""
    kept = []
    for sentence in _SENTENCE.split(text.strip()):
        parts = [p for p in _PART.split(sentence.strip()) if p]
        asked = [p for p in parts if _asks(p)]
        told = ", ".join(p for p in parts if p not in asked)
        read = _read(told)
        if not told:
            continue
        strong = _ASKS_NOTE.search(read) or _STRONG.search(read)
        # "i have a dog, is there pet rent?": the dog is no note for a question about rent
        other_question = any(not (_ASKS_ACCESS.search(_read(p)) or _ASKS_CALL.search(_read(p))) for p in asked)
        if strong or (_WEAK.search(read) and not told.endswith("?") and not other_question):
            said = _THANKS.sub("", _COURTESY.sub("", told)).strip()
            kept.append(_LEAD.sub("", said).strip() or said)
    note = " ".join(kept).strip().rstrip(",")
    return note[:1].upper() + note[1:300] if note else ""


def access_answer(text: str, kind: str | None) -> str:
    """The handbook's sentences on what a visit needs from the resident: permission to enter and
    pets (repairs), photo ID (viewings); empty when the message asks nothing about it."""
    if not _ASKS_ACCESS.search(_read(text)):
        return ""
    query, cue = ("viewing tour bring", "bring") if kind == "viewing" else ("repair permission to enter home", "home")
    for article in search(query, limit=2):
        for sentence in re.split(r"(?<=[.!?])\s+", str(article["text"])):
            if cue in sentence.lower():
                return sentence.strip()
    return ""


def _described(appt: dict[str, Any]) -> str:
    """A visit's description and notes on one line, each ending as a sentence."""
    said = [line.strip() for line in str(appt.get("description") or "").splitlines() if line.strip()]
    return " ".join(s if s[-1] in ".!?" else f"{s}." for s in said) or "no description"


class VisitNotes:
    """The part of `BookingFlow` that writes an access note onto the resident's own visit."""

    async def _note(self, t: ToolTurn, text: str, just: dict[str, Any] | None) -> FlowReply:
        """Which visit: the one named by number, else the one just booked or read back, else the only
        upcoming one; with several and none named, the resident picks (the note waits in the state)."""
        appts = await upcoming(t, detect_appointment_ref(text), named_trade(text))
        hashed = _HASH_NUMBER.search(text)
        number = appointment_number(text) or (int(hashed[1]) if hashed else None)
        named = [a for a in appts if number is not None and int(a["appointment_id"]) == number]
        if number is not None and not named:
            all_own = await upcoming(t)
            named = [a for a in all_own if int(a["appointment_id"]) == number]
            if not named:
                return t.reply(
                    f"I can't find appointment #{number} among the upcoming appointments on your account, "
                    "so I haven't noted anything.",
                    done=True,
                )
        if not named and just is not None:
            named = [a for a in appts if int(a["appointment_id"]) == int(just.get("appointment_id") or 0)]
        if not named and len(appts) == 1:
            named = appts
        if named:
            return await self._write_note(t, text, named[0])
        if not appts:
            lead = access_answer(text, None)
            return t.reply(
                f"{lead + ' ' if lead else ''}You have no upcoming appointments to add that to. "
                "Would you like to book one?",
                done=True,
            )
        listed = [{k: a.get(k) for k in ("appointment_id", "kind", "category", "label")} for a in appts]
        state = {"intent": "note", "stage": "pick_appt", "appointments": listed, "said": text[:500]}
        return t.reply(
            "Which appointment is that for?\n" + numbered([appointment_line(a) for a in appts]) + "\n"
            f"{choice_prompt(len(appts))}",
            state,
        )

    async def _about(self, t: ToolTurn, just: dict[str, Any] | None) -> FlowReply:
        """What the visit just talked about (else each upcoming one) is for: its description and notes."""
        appts = await upcoming(t)
        wanted = int(just.get("appointment_id") or 0) if just is not None else 0
        named = [a for a in appts if int(a["appointment_id"]) == wanted]
        shown = named or appts
        if not shown:
            return t.reply("You have no upcoming appointments. Would you like to book one?", done=True)
        lines = [f"{appointment_line(a)}: {_described(a)}" for a in shown]
        note = {"booked": {k: shown[0].get(k) for k in ("appointment_id", "kind", "category", "label")}}
        return t.reply("\n".join(lines), note if len(shown) == 1 else None, done=True)

    async def _write_note(self, t: ToolTurn, text: str, appt: dict[str, Any]) -> FlowReply:
        answer = access_answer(text, appt.get("kind"))
        note = note_text(text)
        line = appointment_line(appt)
        if not note and _ASKS_CALL.search(_read(text)):  # "will they call first?": offered, written after a yes
            state = {"intent": "note", "stage": "confirm_note", "appointment": appt, "note": CALL_AHEAD}
            return t.reply(
                f'I can ask them to. Shall I add "{CALL_AHEAD}" to your {line[0].lower()}{line[1:]}?',
                state,
            )
        if not note:  # a question only: answered, and what to tell us asked for
            return t.reply(
                f"{answer} If you tell me how they can get in (a spare key, a code, a pet at home), "
                f"I'll add it to your {line[0].lower()}{line[1:]}.".strip(),
                {"booked": {k: appt.get(k) for k in ("appointment_id", "kind", "category", "label")}},
                done=True,
            )
        res = await t.call("add_appointment_note", {"appointment_id": int(appt["appointment_id"]), "note": note})
        head = f"{answer} " if answer else ""
        return t.reply(
            f'{head}Noted on your {line[0].lower()}{line[1:]}: "{res["note"]}"',
            {"booked": {k: appt.get(k) for k in ("appointment_id", "kind", "category", "label")}},
            done=True,
        )

    async def _picked_note(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply:
        """The visit picked from the list for the note waiting in the state (by line or by number)."""
        appts: list[dict[str, Any]] = state.get("appointments", [])
        number = appointment_number(text)
        by_number = [a for a in appts if number is not None and int(a["appointment_id"]) == number]
        idx = pick_choice(text, len(appts), [a["label"] for a in appts]) if number is None else None
        chosen = by_number[0] if by_number else appts[idx] if idx is not None else None
        if chosen is None:
            state["misses"] = int(state.get("misses", 0)) + 1
            if state["misses"] >= MAX_MISSES or number is not None:
                return t.reply("No problem, I haven't noted anything. What would you like to do?", done=True)
            return t.reply(f"Sorry, which one? {choice_prompt(len(appts))}", state)
        live = [a for a in await upcoming(t) if int(a["appointment_id"]) == int(chosen["appointment_id"])]
        if not live:
            return t.reply("That appointment is no longer upcoming, so I haven't noted anything.", done=True)
        return await self._write_note(t, str(state.get("said") or ""), live[0])

    async def _confirm_note(self, t: ToolTurn, text: str, state: dict[str, Any]) -> FlowReply | None:
        """A yes writes the offered note; a no writes nothing; anything else is a new request (None)."""
        said = answer_text(text)
        if is_affirmative(said) and not is_negative(said):
            return await self._write_note(t, str(state["note"]), state["appointment"])
        if is_negative(said) or is_cancel(said):
            return t.reply("No problem, I haven't noted anything.", done=True)
        return None

"""A turn after an emergency handoff: answer the follow-up that was asked, not the script again.

The first report got the safety steps in full (`escalation.emergency_reply`). A resident who then
asks "what now?", "is anyone coming?", "what's my ticket number?" or "can I go back in?" already
has them on screen; reading the whole script back answers none of those questions and buries
the one that was asked. So a follow-up is sorted into what it asks (`follow_up_kind`) and gets
that answer, with the one step that matters now, its ticket's status and the emergency line in
one or two short sentences each. A new or worse report still goes back to the emergency team on
the same ticket (the handoff tool appends to the open one).
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.detector_chirp import battery_visit
from callcenter_agents.emergencies import detect_emergency, urgent_handoff
from callcenter_agents.emergency_questions import safety_answers
from callcenter_tools.escalation import EMERGENCY_LINE

from callcenter.routing.emergency import low_battery_chirp
from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.tooling.toolkit import ToolError

# The step that matters most now, per kind, in one sentence (the full steps were said at the report).
BRIEF = {
    "gas": "If you aren't out yet, leave your home now without touching switches or appliances, and once "
    "you're outside call 911 and the gas company's emergency number",
    "carbon_monoxide": "Get everyone, pets too, out into fresh air and call 911 once you're outside",
    "fire": "Get out by the stairs, not the elevator, and call 911 once you're outside",
    "electrical": "Keep away from it and don't use water near it; switch off that circuit's breaker only if "
    "you can do it safely",
    "flood": "If it's safe, shut off your unit's water valve (often under the sink or by the water heater) and "
    "keep away from outlets near the water",
    "no_heat": "Stay in one room with the doors and windows closed, wear warm layers, and don't heat with the "
    "oven or a gas stove",
    "security": "Stay somewhere safe and call 911 if you're in danger",
    "elevator": "Press the elevator's alarm button and call 911 if anyone is hurt or unwell",
}
DEFAULT_BRIEF = "If anyone is in danger, call 911 now"
# Kinds a detector reports: its low-battery chirp, said after the report, is no emergency.
_DETECTOR_KINDS = frozenset(("carbon_monoxide", "fire", "co_alarm", "co_detector"))
# Kinds where the home is left until someone says it is safe: "should I leave?" is a yes.
_LEAVE = frozenset(("gas", "carbon_monoxide", "fire"))

# The same danger reported again, or help not there yet: the open ticket hears about it again.
_AGAIN = re.compile(
    r"\b(worse|still|spread\w*|rising|stronger|bigger|again|more (water|smoke)|no ?one (has )?(come|came|here)"
    r"|nobody (has )?(come|came|here)|getting (bad|worse|higher)|not stopping|won'?t stop)\b",
    re.I,
)
# "ok im outside now", "we're all out", "made it out": the resident did what the safety steps said.
_OUT_NOW = re.compile(
    r"\b((i'?m|im|i am|we'?re|we are|everyone'?s|everyone is|we'?re all|all of us are)\s+(now\s+)?"
    r"(out(side)?|safe|out of the (building|apartment|unit|house))|(got|made it|went|are|am) out(side)?|"
    r"left the (building|apartment|unit|house))\b",
    re.I,
)
_THANKS_ONLY = re.compile(r"^\W*(ok(ay)?\W+)?(thanks|thank you|thx|ty)\b[\w\s!.,]{0,30}$", re.I)
_TICKET = re.compile(r"\b(ticket|reference|ref|case|confirmation)\s*(number|no|#|id)?\b|\bnumber\b", re.I)
_BACK_IN = re.compile(
    r"\b(go|get|come|move|head)\s+back\s+(in|inside|home)\b|\b(safe|ok|okay|alright)\s+to\s+(go|get|come)\s+"
    r"(back|in|inside|home)\b|\breturn\s+(home|inside)\b|\bback\s+inside\b",
    re.I,
)
_LEAVE_Q = re.compile(r"\b(should|do|must|have to|need to)\s+(i|we)\s+(leave|go out|get out|evacuate)\b", re.I)
_STATUS = re.compile(
    r"\b(any ?one|any ?body|some ?one|some ?body|help|a person|technician|tech|plumber|team|they|you)\s+"
    r"(is |are )?(coming|on (the|their|its) way|here|sending|send|arriv\w*|show(ing)? up|get(ting)? here)\b|"
    r"\b(how long|when will|when is|when are|eta|what time|how soon|how much longer)\b|"
    r"\b(are|is|did) (you|they|someone|anyone) (send|sending|sent|com\w*|on the way)\b|"
    r"\b(status|update|news|heard anything|any word)\b",
    re.I,
)
_WHAT_NOW = re.compile(
    r"\b(what (now|next|else|do i do|should i do|do we do|should we do|can i do|am i supposed to do)|now what|"
    r"what do (i|we) do( now)?|what should (i|we) do|then what|and now|next steps?|what happens (now|next))\b",
    re.I,
)
# "get me a manager now", "i want to talk to a real person" (trial5 #23): said, and passed on with the report.
_PERSON = re.compile(
    r"\b(manager|supervisor|(real|actual|live) (person|human)|talk to (a |an |the |someone|somebody)|"
    r"speak (to|with) (a |an |the |someone|somebody)|human)\b",
    re.I,
)
# Ordered: the first that matches is what the follow-up asks.
_ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("person", _PERSON),
    ("out", _OUT_NOW),
    ("thanks", _THANKS_ONLY),
    ("back_in", _BACK_IN),
    ("leave", _LEAVE_Q),
    ("ticket", _TICKET),
    ("status", _STATUS),
)


def follow_up_kind(text: str) -> str:
    """What a follow-up asks: report | out | thanks | ticket | back_in | leave | status | steps."""
    if detect_emergency(text) or _AGAIN.search(text):
        return "report"
    asks_next = bool(_WHAT_NOW.search(text))  # "what now?" wants the steps, not the ticket's number
    for asked, cue in _ASKS:
        if cue.search(text) and not (asks_next and asked in ("ticket", "status")):
            return asked
    return "steps"


# A second, ordinary request in a follow-up ("ok. also can you tell me when my water bill is due"): never
# silently dropped (trial5 #4, #29, #45), though the emergency comes first.
_ALSO = re.compile(
    r"(?:^|[,;.?!]\s*|\s)(?:and\s+)?(?:also|btw|by the way|oh and|another thing|and can you)\b[,:]?\s*", re.I
)
_ORDINARY = re.compile(
    r"\b(bill|balance|rent|pay\w*|charge\w*|fee|invoice|parking|appointment|book|schedule|"
    r"package|lease|permit|spot)\b",
    re.I,
)


_LEAD_IN = re.compile(r"^\W*(?:(?:ok(?:ay)?|but|and|so|well|um+|hey)\b[\s,.!]*)+", re.I)


def _other_request(text: str, asked: str = "") -> str:
    """The ordinary request a follow-up adds after "also", "btw"..., or that is the whole follow-up when it
    asks nothing about the emergency ("ok but did the parking payment go through?"); "" when none."""
    m = _ALSO.search(text)
    rest = text[m.end() :].strip(" ?.!") if m else ""
    if not rest and asked == "steps":
        rest = _LEAD_IN.sub("", text).strip(" ?.!")
    return rest[:120] if rest and _ORDINARY.search(rest) and not detect_emergency(rest) else ""


def answered_elsewhere(question: str) -> bool:
    """A question the emergency replies answer already: the report itself ("is that gas i smell?"), what to do
    now, who is coming, the ticket, leaving or going back in, a person, or an ordinary request for later."""
    cues = (_WHAT_NOW, _PERSON, _OUT_NOW, _BACK_IN, _LEAVE_Q, _TICKET, _STATUS, _ORDINARY, _HELP)
    return bool(detect_emergency(question) or any(cue.search(question) for cue in cues))


_HELP = re.compile(
    r"\b(help|911|emergency|line|number|(call|ring|phone)\s+(911|the\s+(fire|gas|police|line|emergency)\w*|you|someone))\b",
    re.I,
)


def kind_of(mode: dict[str, Any]) -> str:
    """The kind of the emergency the session reported (gas, flood...), from its first report."""
    found = detect_emergency(str(mode.get("said", "")))
    if found:
        return found
    named = re.search(r"Emergency reported \((\w[\w ]*)\)", str(mode.get("reason", "")))
    return named.group(1).replace(" ", "_") if named else "other"


def _lead(asked: str, kind: str) -> str:
    """The answer to what was asked, before the ticket and the line."""
    brief = BRIEF.get(kind, DEFAULT_BRIEF)
    if asked == "out":
        lead = "Good, you're out. Stay outside and away from the building until it's safe to go back in"
        return lead + ("; if you haven't yet, call 911 and the gas company's emergency number" if kind == "gas" else "")
    if asked == "thanks":
        return "You're welcome. Stay safe"
    if asked == "back_in":
        return (
            "Please don't go back in until the fire department, the gas company or our emergency team tells you "
            "it's safe"
            if kind in _LEAVE
            else "Only once the emergency team has looked at it; until then keep away from the affected area"
        )
    if asked == "leave":
        if kind in _LEAVE:
            return "Yes. " + brief
        return "Leave if you feel unsafe or the water reaches outlets or appliances. " + brief
    if asked in ("status", "ticket"):
        return ""
    return brief


async def emergency_follow_up(turn: FlowTurn, text: str, mode: dict[str, Any]) -> FlowReply:
    """A turn after an emergency handoff: the answer to what was asked, the ticket's status, the line.

    A new or worsening report goes back to the emergency team on the same ticket; anything else is
    answered from `handoff_status` and never starts a new flow.
    """
    kind = detect_emergency(text) or kind_of(mode)
    if kind in _DETECTOR_KINDS and low_battery_chirp(text, about_detector=True):
        # "its just a chirp every minute or so, i think the battery is low": a battery to change, not a leak
        return await battery_visit(turn, text, after_emergency=True)
    asked = follow_up_kind(text)
    questions = safety_answers(text, kind, handled=answered_elsewhere)  # "can i use the stove?": answered
    answers = f"{questions.text()} " if questions.text() else ""
    if asked == "person":  # the emergency team is the person; the request for a manager goes on the report
        return FlowReply(
            text=f"I've passed on that you want a manager: it's on your emergency report, and a person from our "
            f"emergency team is joining this conversation. {BRIEF.get(kind, DEFAULT_BRIEF)}. Our 24/7 emergency line "
            f"is {EMERGENCY_LINE}.",
            done=True,
            human=urgent_handoff(turn, text, kind, "update (asked for a manager)"),
        )
    if asked == "report":
        return FlowReply(
            text=f"{answers}{BRIEF.get(kind, DEFAULT_BRIEF)}. I've added this to your emergency report and told our "
            "emergency "
            f"team again; a person is joining this conversation. If anyone is in danger, call 911; our 24/7 "
            f"emergency line is {EMERGENCY_LINE}.",
            done=True,
            human=urgent_handoff(turn, text, kind, "update"),
        )
    try:
        status = await turn.call_tool("handoff_status", {"queue": "emergency"})
    except ToolError:
        status = {}
    ticket = status.get("ticket_id") or mode.get("ticket_id")
    report = f"ticket #{ticket}" if ticket else "your report"
    if status.get("status_text"):
        report += f" ({status['status_text']})"
    if asked == "status":
        where = (
            f"Our emergency team has {report}; a person will join this conversation as soon as they can, though "
            "I can't say exactly when"
        )
    elif asked == "ticket":
        where = f"Your emergency report is {report}, and our emergency team has it"
    else:
        where = f"Our emergency team has {report}"
    lead = _lead(asked, kind)
    if asked in ("status", "ticket"):  # the answer first, then the one step that still matters
        brief = BRIEF.get(kind, DEFAULT_BRIEF)
        parts = [where, f"Meanwhile, {brief[0].lower()}{brief[1:]}"]
    else:
        parts = [p for p in (lead, where) if p]
    said = ". ".join(parts)
    danger = "" if "911" in said else " If anyone is in danger, call 911."
    other = _other_request(text, asked)
    later = (
        f' You also asked "{other}": I can help with that here once you\'re safe, just ask me again.' if other else ""
    )
    return FlowReply(
        text=f"{answers}{said}.{danger} Our 24/7 emergency line is {EMERGENCY_LINE}.{later}",
        done=True,
        # a question left for the person goes on the emergency report (the open ticket), as the reply says
        human=urgent_handoff(turn, text, kind, "update (a question)") if questions.for_a_person else None,
        tool_results=[status] if status else [],
    )

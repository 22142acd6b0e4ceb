"""Something reported before: its status looked up, or a danger that is over logged, never dispatched again.

"any update on the gas leak i reported" and "what's the status of my gas ticket" name a danger, but
they ask about an earlier report: opening a new emergency (and telling the resident to leave home)
answers none of it. They get the ticket's number, team and status from `ticket_status`, and the step
to take if it is happening again now. Only when no earlier report can be found is a named danger
treated as a new one. "gas leak got repaired last week, just wanted you to know" is a danger that is
over: it is logged for the maintenance team (a normal ticket), with what to do if it comes back.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.emergencies import detect_emergency, past_danger
from callcenter_agents.extract.polite import fix_typos
from callcenter_agents.replies import summarize_history
from callcenter_tools.escalation import EMERGENCY_LINE

from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Priority

_STATUS_Q = re.compile(
    r"\b(status|update|updates|updated|news|progress|heard (back|anything)|any word|follow(ing)?[\s-]?up|"
    r"what happened (to|with)|where (are|is) (we|things|it|that) (at|on|with)|latest on|"
    r"what'?s (happening|going on|up) with|"
    r"(did|has|have) (any ?one|any ?body|some ?one|some ?body|they|you|you guys|maintenance) (ever )?"
    r"(fix|look|check|come|came|get|got|do|done|handle|respond|call|contact|reach)\w*|"
    r"(is|was) (it|that|this) (being )?(fixed|handled|looked at|resolved|sorted))\b",
    re.I,
)
_REFERS = re.compile(
    r"\b(tickets?|complaint|report|case|reference|ref)\b|"
    r"\b(i|we) (already |just |recently )?(reported|called (in )?about|told you about|mentioned|logged|filed|"
    r"complained about|wrote about|messaged about)\b|\b(reported|filed|logged) (it|that|this|earlier|before|"
    r"yesterday|last)\b",
    re.I,
)
_STATUS_WORDS = (
    "status", "update", "updates", "news", "progress", "anyone", "anybody", "someone", "somebody", "happening",
    "ticket", "complaint", "report", "reported", "mentioned", "logged", "filed", "complained",
)  # fmt: skip
_LABEL = {
    "emergency": "emergency report",
    "noise": "noise complaint",
    "complaint": "complaint",
    "maintenance": "maintenance ticket",
    "billing": "billing ticket",
    "leasing": "leasing ticket",
}


def asks_ticket_status(text: str) -> bool:
    """A question about something reported before ("any update on my complaint?", "status of my gas ticket"),
    or a danger named as the one reported before ("did aynone look at the gas leak i reported?")."""
    text = fix_typos(text, _STATUS_WORDS)  # "whats the statjs of my tikcet"
    refers = bool(_REFERS.search(text))
    return bool(_STATUS_Q.search(text) and (refers or past_danger(text))) or (refers and past_danger(text) is not None)


# What to do if a danger that is over (or already reported) is back: said as a condition, never "leave now".
_IF_AGAIN = {
    "gas": "If you smell gas again, leave right away without touching switches or appliances, and call 911 and "
    "the gas company once you're outside",
    "carbon_monoxide": "If the CO alarm goes off again, get everyone out into fresh air and call 911",
    "fire": "If there's fire or smoke again, get out by the stairs and call 911",
    "flood": "If water comes in again, shut off your unit's water valve if it's safe and keep away from outlets",
    "elevator": "If anyone is stuck again, press the elevator's alarm button and call 911 if anyone is hurt",
}


def if_again(kind: str) -> str:
    """The step to take if the danger comes back, and the emergency line."""
    first = _IF_AGAIN.get(kind, "If it happens again and anyone is in danger, call 911")
    return f"{first}; our 24/7 emergency line is {EMERGENCY_LINE}."


def about_earlier_report(text: str) -> bool:
    """Asks about something reported before, or reports a danger that is over: the escalation agent's."""
    return asks_ticket_status(text) or past_danger(text) is not None


def _described(ticket: dict[str, Any]) -> str:
    label = _LABEL.get(str(ticket.get("category")), "ticket")
    return f"{label} #{ticket['ticket_id']} ({ticket['priority']} priority): {ticket['status_text']}"


async def status_reply(turn: FlowTurn, text: str) -> FlowReply | None:
    """The status of the earlier report `text` asks about; None when there is none to report."""
    try:
        res = await turn.call_tool("ticket_status", {"about": text[:200]})
    except ToolError:
        return None
    tickets = [t for t in res.get("tickets", []) if isinstance(t, dict)]
    if not tickets:
        return None
    first, *others = tickets
    if res.get("matched"):
        said = f"I found it: your {_described(first)}."
    else:
        said = f"I couldn't find one about exactly that; your latest is {_described(first)}."
    if first.get("queue") == "emergency" and first.get("status") != "closed":
        said += " Our emergency team has it, and a person will join as soon as they can."
    if others:
        said += " You also have " + "; ".join(_described(t) for t in others) + "."
    subject = str(first.get("subject", ""))
    kind = past_danger(text) or detect_emergency(subject) or past_danger(subject)
    if kind:
        said += f" {if_again(kind)}"
    return FlowReply(
        text=f"{said} Would you like me to connect you with a person about it?",
        state={
            "stage": "offer_human",
            "priority": Priority.HIGH.value if first.get("queue") == "emergency" else Priority.NORMAL.value,
            "ticket_id": first["ticket_id"],
            "reason": f"Resident asked for an update on ticket #{first['ticket_id']}",
        },
        tool_results=[res],
    )


def not_found_reply(text: str, signed_in: bool) -> FlowReply:
    """No earlier report to read back (a danger named here was already treated as a new one)."""
    where = "" if signed_in else " in this conversation (sign in and I can look through your earlier ones)"
    return FlowReply(
        text=f"I can't find an earlier ticket from you about that{where}. I can log it now for the management "
        "team, or connect you with a person. Which would you prefer?",
        state={"stage": "offer_human", "priority": Priority.NORMAL.value, "reason": text[:300]},
    )


async def log_past_danger(turn: FlowTurn, text: str, kind: str) -> FlowReply:
    """A danger reported as over: a normal maintenance ticket, thanks, and what to do if it comes back."""
    again = if_again(kind)
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    try:
        res = await turn.call_tool(
            "create_ticket",
            {
                "category": "maintenance",
                "priority": Priority.NORMAL.value,
                "subject": f"Reported as fixed ({kind.replace('_', ' ')}): {first}"[:120],
                "body": summarize_history(turn.history, text, limit=2000),
            },
        )
    except ToolError:
        return FlowReply(text=f"Thanks for letting us know, and I'm glad it was taken care of. {again}", done=True)
    logged = (
        f"it's already on ticket #{res.get('ticket_id')}, and I've added this to it"
        if res.get("already_open")
        else f"I've logged it for our maintenance team as ticket #{res.get('ticket_id')} (normal priority) so "
        "they can follow up"
    )
    return FlowReply(
        text=f"Thanks for letting us know, and I'm glad it was taken care of; {logged}. {again}",
        done=True,
        tool_results=[res],
    )

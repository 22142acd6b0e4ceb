"""Escalation: emergencies, complaints and requests for a person.

Emergencies are handed to the urgent human queue on the very first turn, with safety
instructions in the same reply: nothing is asked before help is on its way. Complaints
are logged as tickets first, so they exist even if the resident leaves before a person
joins. The flow never calls handoff_to_human itself; it asks the orchestrator to.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.conversation import is_legal_threat
from callcenter_agents.escalation_prompt import ESCALATION_EXAMPLES, ESCALATION_INSTRUCTIONS
from callcenter_agents.extract import is_affirmative, is_cancel, is_negative
from callcenter_agents.replies import summarize_history
from callcenter_tools.escalation import EMERGENCY_LINE, ESCALATION_TOOLS, handoff_eta

from callcenter.routing.emergency import detect_emergency as rule_emergency
from callcenter.specialists.agent_spec import AgentSpec
from callcenter.specialists.flow import FlowReply, FlowTurn, HumanHandoffRequest
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Priority, Tier

# Ordered: the first matching kind decides the safety advice.
_EMERGENCIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "gas",
        re.compile(
            r"\b(smell(s|ing)? (of )?gas|gas (smell|leak|odou?r)|smells? like (gas|rotten eggs?)|"
            r"leaking gas|gas is leaking|hissing (from|at) the (stove|gas))\b",
            re.I,
        ),
    ),
    ("carbon_monoxide", re.compile(r"\b(carbon monoxide|co (alarm|detector)|co2? alarm)\b", re.I)),
    (
        "fire",
        re.compile(
            r"\b(fire(?! (alarm test|extinguisher inspection|place))|flames?|on fire|"
            r"smoke (is )?(coming|everywhere|pouring|filling)|(smell(s|ing)? (of )?|see )"
            r"(smoke|burning)|burning smell|smoky|"
            r"(smoke|fire) (alarm|detector)s? (is |are )?(going off|blaring|sounding))\b",
            re.I,
        ),
    ),
    (
        "electrical",
        re.compile(
            r"\b(spark(s|ing|ed)?|outlet .{0,25}(smok|burn|melt)\w*|exposed (live )?wires?|"
            r"electrical fire|wires? (is |are )?(smoking|burning))\b",
            re.I,
        ),
    ),
    (
        "flood",
        re.compile(
            r"\b(flood(ed|ing)?|water (is )?(pouring|gushing|everywhere|spraying|coming through)|"
            r"burst pipe|pipe (has )?(burst|broke|exploded)|ceiling (is )?(leaking|caving|collapsing)|"
            r"sewage|toilet (is )?overflowing)\b",
            re.I,
        ),
    ),
    (
        "no_heat",
        re.compile(
            r"\b(no heat|heat (is )?(out|off|not working|broken)|heating (is )?(out|off|broken|"
            r"not working)|furnace (is )?(out|dead|broken))\b.*\b(freez\w*|below|frozen|"
            r"degrees|ice|icy|cold)\b|\b(freez\w*|frozen)\b.*\b(no heat|heat (is )?(out|off)|"
            r"heating (is )?(out|off|broken))\b",
            re.I,
        ),
    ),
    (
        "security",
        re.compile(
            r"\b(break-?in|broke into|breaking in|(trying to|tried to) (get|break) in(to)?|intruder|"
            r"stranger (is )?in (my|the)|burglar\w*|robbed|gun|weapon|assault\w*|"
            r"being attacked|threatening to (hurt|kill))\b",
            re.I,
        ),
    ),
    ("elevator", re.compile(r"\b(stuck in (the|an) (elevator|lift)|(elevator|lift) (is )?stuck with)\b", re.I)),
)

_SAFETY = {
    "gas": (
        "Please leave your home now. Don't touch light switches, appliances or anything that could "
        "spark, and don't use your phone until you're outside. Once you're out, call 911 and the gas "
        "company's emergency number"
    ),
    "carbon_monoxide": (
        "Please get everyone, including pets, out into fresh air now and leave the door open "
        "behind you. Once you're outside, call 911"
    ),
    "fire": (
        "If there's fire or smoke, leave the building now by the stairs, not the elevator, close doors "
        "behind you, and call 911 once you're out"
    ),
    "electrical": (
        "Stay away from it and don't touch it or use water near it. If you can do so safely, switch "
        "off that circuit's breaker at your panel. If there's smoke or fire, leave and call 911"
    ),
    "flood": (
        "If it's safe, turn off the water at your unit's shut-off valve (often under the sink or by "
        "the water heater) and keep away from outlets and electrical appliances near the water"
    ),
    "no_heat": (
        "Keep doors and windows closed and dress in warm layers; please don't use the oven or a gas "
        "stove to heat your home"
    ),
    "security": "If you're in danger, get somewhere safe and call 911 now",
    "elevator": (
        "If someone is stuck, press the elevator's alarm button and stay calm; if anyone is hurt or unwell, call 911"
    ),
}

_PERSON = re.compile(
    r"\b((talk|speak|chat) (to|with) (a |an |the |your |some )?(human|person|real person|someone|somebody|agent|"
    r"representative|rep|manager|supervisor|staff|people|office)|real (person|human)|human (being|agent)|"
    r"representative|operator|supervisor|(the |a |your )manager|escalate|call me back|callback|"
    r"(live|human|real|customer service|support) (agent|rep)|(connect|transfer|put) me (to|with|through to) "
    r"(a |an |the )?(agent|human|person|rep|someone))\b"
    # A bare "agent please", "human!", "rep": the whole message is the request.
    r"|^\W*(an? )?(agent|human|person|rep|operator|representative)( please| now| pls)?\W*$",
    re.I,
)
_LEGAL = re.compile(
    r"\b(lawyer|attorney|sue|suing|lawsuit|legal action|small claims|court|"
    r"housing authority|code enforcement|tenant rights|report you)\b",
    re.I,
)
_HARASS = re.compile(
    r"\b(harass\w*|stalk\w*|discriminat\w*|bull(y|ied|ying)|threaten\w*|"
    r"intimidat\w*|unsafe|afraid|racist|slur)\b",
    re.I,
)
_NOISE = re.compile(
    r"\b(noise|noisy|loud|party|parties|music|bass|bark\w*|stomping|yelling|screaming|"
    r"quiet hours)\b",
    re.I,
)
_SECURITY = re.compile(
    r"\b(security|suspicious|door (won't|doesn't|will not) lock|lock (is )?broken|"
    r"gate (is )?broken|package (was )?stolen|stolen|theft|broken into|vandali\w*|"
    r"trespass\w*)\b",
    re.I,
)
_COMPLAINT = re.compile(
    r"\b(complain\w*|unacceptable|terrible|awful|worst|ridiculous|frustrat\w*|angry|"
    r"upset|fed up|disappointed|still (not|hasn't|hasnt|isn't) (been )?(fixed|done|resolved)|"
    r"nobody (came|showed|called|fixed)|no one (came|showed|called|fixed)|rude)\b",
    re.I,
)
_TICKET_WORDS = re.compile(r"\b(log|ticket|file|report|record|write it)\b", re.I)

_QUEUE_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "billing",
        re.compile(
            r"\b(rent|balance|charge\w*|fee|fees|payment\w*|pay|invoice\w*|bill\w*|refund|"
            r"deposit)\b",
            re.I,
        ),
    ),
    (
        "maintenance",
        re.compile(
            r"\b(repair\w*|leak\w*|broken|technician|plumb\w*|maintenance|fix\w*|"
            r"appointment|heater|ac|toilet|sink)\b",
            re.I,
        ),
    ),
    (
        "leasing",
        re.compile(
            r"\b(lease|leasing|viewing|tour|renew\w*|move[- ]?(out|in)|apartment available|"
            r"application|transfer)\b",
            re.I,
        ),
    ),
)
_TEAM = {
    "billing": "billing",
    "maintenance": "maintenance",
    "leasing": "leasing",
    "general": "resident services",
    "emergency": "emergency",
}


def detect_emergency(text: str) -> str | None:
    """The kind of emergency the text describes (gas, fire, flood...), else None."""
    if re.search(r"\b(chirp\w*|low battery|battery|test(ing)?|drill)\b", text, re.I) and not re.search(
        r"\b(gas|flames?|on fire|flood\w*|spark\w*)\b", text, re.I
    ):
        return None
    for kind, pattern in _EMERGENCIES:
        if pattern.search(text):
            return kind
    # The router's break-in rules ("someone broke in to my apartment"), so the flow never
    # treats as a complaint what the router dispatched as an emergency.
    return "security" if rule_emergency(text, ("security",)) == "security" else None


def pick_queue(text: str, history: list[tuple[str, str]], details: dict[str, Any]) -> str:
    """The human team that fits what the conversation was about, newest words first."""
    hinted = str(details.get("queue") or "")
    if hinted in _TEAM and hinted != "emergency":
        return hinted
    for chunk in [text, *(msg for _, msg in reversed(history))]:
        for queue, cue in _QUEUE_CUES:
            if cue.search(chunk):
                return queue
    return "general"


def detect_intent(text: str) -> str:
    """emergency | legal | person | harassment | security | noise | complaint | unclear."""
    if detect_emergency(text) or re.search(r"\bemergency\b", text, re.I):
        return "emergency"
    if _LEGAL.search(text) or is_legal_threat(text):
        return "legal"
    if _HARASS.search(text):
        return "harassment"
    if _PERSON.search(text):
        return "person"
    if _SECURITY.search(text):
        return "security"
    if _NOISE.search(text):
        return "noise"
    if _COMPLAINT.search(text):
        return "complaint"
    return "unclear"


def emergency_reply(kind: str) -> str:
    advice = _SAFETY.get(kind, "If anyone is in danger, call 911 now")
    return (
        f"{advice}. Then call our 24/7 emergency line {EMERGENCY_LINE}. I've alerted our emergency team "
        f"and a person is joining this conversation right now."
    )


# The same danger reported again, or help not there yet: the open ticket hears about it again.
_AGAIN = re.compile(
    r"\b(worse|still|spread\w*|rising|stronger|bigger|again|more (water|smoke)|no ?one (has )?(come|came|here)"
    r"|nobody (has )?(come|came|here)|getting (bad|worse|higher)|not stopping|won'?t stop)\b",
    re.I,
)


def _kind_of(mode: dict[str, Any]) -> str:
    """The kind of the emergency the session reported (gas, flood...), from its first report."""
    found = detect_emergency(str(mode.get("said", "")))
    if found:
        return found
    named = re.search(r"Emergency reported \((\w[\w ]*)\)", str(mode.get("reason", "")))
    return named.group(1).replace(" ", "_") if named else "other"


# "ok im outside now", "we're all out", "made it out": the resident did what the safety steps said.
_OUT_NOW = re.compile(
    r"\b((i'?m|im|i am|we'?re|we are|everyone'?s|everyone is|we'?re all|all of us are)\s+(now\s+)?"
    r"(out(side)?|safe|out of the (building|apartment|unit|house))|(got|made it|went|are|am) out(side)?|"
    r"left the (building|apartment|unit|house))\b",
    re.I,
)
_THANKS_ONLY = re.compile(r"^\W*(ok(ay)?\W+)?(thanks|thank you|thx|ty)\b[\w\s!.,]{0,30}$", re.I)


async def emergency_follow_up(turn: FlowTurn, text: str, mode: dict[str, Any]) -> FlowReply:
    """A turn after an emergency handoff: the safety steps, where the handoff stands, the line.

    A new or worsening report goes back to the emergency team on the same ticket (the handoff
    tool appends to the open one); any other follow-up ("is anyone coming?", "what do I do?")
    gets the status from `handoff_status` and never a new flow.
    """
    kind = detect_emergency(text) or _kind_of(mode)
    advice = _SAFETY.get(kind, "If anyone is in danger, call 911 now")
    if not detect_emergency(text) and _OUT_NOW.search(text):  # "ok im outside now": heard, not told again
        advice = "Good, you're out. Stay outside and away from the building until it's safe to go back in"
        if kind == "gas":
            advice += "; if you haven't yet, call 911 and the gas company's emergency number"
    elif not detect_emergency(text) and _THANKS_ONLY.search(text):
        advice = "You're welcome. Stay safe"
    if detect_emergency(text) or _AGAIN.search(text):
        return FlowReply(
            text=f"{advice}. I've added this to your emergency report and told our emergency team again; a person "
            f"is joining this conversation. If anyone is in danger, call 911; our 24/7 emergency line is "
            f"{EMERGENCY_LINE}.",
            done=True,
            human=HumanHandoffRequest(
                queue="emergency",
                priority=Priority.URGENT,
                summary=summarize_history(turn.history, text),
                reason=f"Emergency update ({kind.replace('_', ' ')}): {text[:200]}",
            ),
        )
    try:
        status = await turn.call_tool("handoff_status", {"queue": "emergency"})
    except ToolError:
        status = {}
    ticket = status.get("ticket_id") or mode.get("ticket_id")
    where = f"Your emergency report is open as ticket #{ticket}" if ticket else "Your emergency report is open"
    if status.get("status_text"):
        where += f" ({status['status_text']})"
    return FlowReply(
        text=f"{advice}. {where}, and our emergency team has it: a person will join this conversation as soon as "
        f"they can. Don't wait for us if anyone is in danger: call 911. Our 24/7 emergency line is {EMERGENCY_LINE}.",
        done=True,
        tool_results=[status] if status else [],
    )


def _subject(text: str, prefix: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return f"{prefix}: {first}"[:120]


class EscalationFlow:
    """Hand emergencies to humans at once; log complaints; connect people who ask for one."""

    async def step(self, turn: FlowTurn) -> FlowReply:
        text = turn.text.strip()
        state = dict(turn.state)
        ongoing = turn.context.details.get("emergency_mode")
        if isinstance(ongoing, dict):
            return await emergency_follow_up(turn, text, ongoing)
        if state.get("stage") == "offer_human":
            answer = await self._offer_answer(turn, text, state)
            if answer is not None:
                return answer
        intent = detect_intent(text)
        flagged = str(turn.context.details.get("emergency") or "")
        if intent != "emergency" and flagged and turn.context.priority is Priority.URGENT:
            # The router's emergency rules fired on this turn: never second-guess them here.
            intent = "emergency"
        if intent == "emergency":
            kind = detect_emergency(text) or flagged or "other"
            return FlowReply(
                text=emergency_reply(kind),
                done=True,
                human=HumanHandoffRequest(
                    queue="emergency",
                    priority=Priority.URGENT,
                    summary=summarize_history(turn.history, text),
                    reason=f"Emergency reported ({kind.replace('_', ' ')}): {text[:200]}",
                ),
            )
        if intent == "person":
            queue = pick_queue(text, turn.history, turn.context.details)
            return self._to_human(turn, queue, Priority.NORMAL, "Resident asked to talk to a person")
        if intent == "legal":
            queue = pick_queue(text, turn.history, turn.context.details)
            return self._to_human(turn, queue, Priority.HIGH, "Resident mentioned legal action")
        if intent == "unclear":
            return FlowReply(
                text="I'm sorry you're dealing with this. I can log it as a complaint for the management team, "
                "or connect you with a person now. Which would you prefer?",
                state={
                    "stage": "offer_human",
                    "priority": Priority.NORMAL.value,
                    "category": "complaint",
                    "reason": text[:300],
                },
            )
        return await self._ticket(turn, text, intent)

    async def _ticket(self, turn: FlowTurn, text: str, intent: str) -> FlowReply:
        category = {"noise": "noise", "security": "other"}.get(intent, "complaint")
        priority = Priority.HIGH if intent in ("harassment", "security") else Priority.NORMAL
        label = {"noise": "Noise complaint", "security": "Security concern", "harassment": "Harassment report"}.get(
            intent, "Complaint"
        )
        try:
            res = await turn.call_tool(
                "create_ticket",
                {
                    "category": category,
                    "priority": priority.value,
                    "subject": _subject(text, label),
                    "body": summarize_history(turn.history, text, limit=2000),
                },
            )
        except ToolError:
            queue = pick_queue(text, turn.history, turn.context.details)
            return self._to_human(turn, queue, priority, f"{label}; the ticket could not be created")
        ticket = res.get("ticket_id")
        lead = "I'm sorry, that sounds really stressful. " if intent == "harassment" else "I'm sorry about this. "
        if intent == "harassment":
            lead += "If you ever feel in immediate danger, call 911. "
        return FlowReply(
            text=f"{lead}I've logged it as {label.lower()} ticket #{ticket} ({res.get('priority', priority.value)} "
            "priority). Would you like me to connect you with a person now as well?",
            state={"stage": "offer_human", "priority": priority.value, "ticket_id": ticket, "reason": label},
            tool_results=[res],
        )

    async def _offer_answer(self, turn: FlowTurn, text: str, state: dict[str, Any]) -> FlowReply | None:
        if detect_emergency(text):
            return None
        priority = Priority(state.get("priority", Priority.NORMAL.value))
        ticket = state.get("ticket_id")
        wants_ticket = ticket is None and _TICKET_WORDS.search(text) and not _PERSON.search(text)
        if wants_ticket:
            return await self._ticket(turn, str(state.get("reason") or text), "complaint")
        if (is_affirmative(text) and not is_negative(text)) or _PERSON.search(text):
            queue = pick_queue(text, turn.history, turn.context.details)
            return self._to_human(turn, queue, priority, str(state.get("reason") or "Resident asked for a person"))
        if is_negative(text) or is_cancel(text):
            tail = f" Your ticket #{ticket} stays open for the management team." if ticket else ""
            return FlowReply(text=f"Okay.{tail} Is there anything else I can help with?", done=True)
        return None

    def _to_human(self, turn: FlowTurn, queue: str, priority: Priority, reason: str) -> FlowReply:
        team = _TEAM.get(queue, "resident services")
        eta = handoff_eta(queue, priority.value)
        return FlowReply(
            text=f"I'm connecting you with a person on our {team} team; {eta}. They'll see this conversation, "
            "so you won't need to repeat yourself.",
            done=True,
            human=HumanHandoffRequest(
                queue=queue, priority=priority, summary=summarize_history(turn.history, turn.text), reason=reason[:300]
            ),
        )


AGENT = AgentSpec(
    name="escalation",
    vertical="escalation",
    description="Emergencies, complaints, safety concerns, legal threats and requests for a person.",
    instructions=ESCALATION_INSTRUCTIONS,
    tools=tuple(ESCALATION_TOOLS),
    default_tier=Tier.CHEAP,
    handoff_targets=("booking", "billing", "general"),
    examples=ESCALATION_EXAMPLES,
    flow=EscalationFlow,
)

"""Requests only the office can carry out, and complaints, put on a ticket the office reads.

An outsider's trial found them refused or lost: "can you reserve the freight elevator for dec 19"
and "can you find out who has my package" were called "outside what I can help with", "so can
you take it off" (a charge the resident disputes) got the subletting paragraph, "ok can you put in
my notice now" the eviction paragraph, "can you make an exception" a refusal, a neighbour's drums
every night till 1am the out-of-scope text and then "I want this logged" the repair prompt. The
help line cannot do these itself, but it can write them down for the people who can, and say so:
what was recorded (the ticket's number) and what happens next.

`desk_request` names the kind of request a message makes (`DeskRequest`: the ticket's category
and label, and the next step said to the resident); `asks_to_log` is "I want this logged" and
its like, whose subject is the resident's own earlier words (`earlier_request`). `ROUTE_RULES`
(agents/conversation.py) sends both to the escalation agent, whose flow files the ticket
(`file_desk_ticket`). A second report in the same conversation is added to the open ticket by
the ticket tool rather than filed twice. Pure detectors, English only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from callcenter_agents.extract.polite import fix_typos, polite_core
from callcenter_agents.replies import summarize_history
from callcenter_tools.escalation import EMERGENCY_LINE

from callcenter.routing.smoke import tobacco_smoke
from callcenter.specialists.flow import FlowReply, FlowTurn
from callcenter.tooling.toolkit import ToolError
from callcenter.types import Priority

# No hours or prices here: the reply verifier lets through only the times and amounts a tool returned.
_AFTER_HOURS: Final = "Messages left after hours are answered the next business day."


@dataclass(frozen=True, slots=True)
class DeskRequest:
    """What a message asks the office for: the ticket it becomes and what the resident is told."""

    kind: str
    category: str  # create_ticket's category
    label: str  # "Package hold request": the ticket's subject prefix and the reply's noun
    next_step: str  # what happens next, from the handbook
    priority: Priority = Priority.NORMAL
    offer_person: bool = False  # a complaint: a person is offered as well


_KINDS: Final = {
    "leak_above": DeskRequest(
        "leak_above",
        "maintenance",
        "Urgent repair (water from above)",
        "Maintenance treats it as urgent and checks your ceiling and the unit above. Meanwhile put a bucket or "
        "towels under it and keep away from any light or outlet near the water; if it turns into a steady flow, "
        f"spreads, or the ceiling sags, call our 24/7 emergency line {EMERGENCY_LINE} now.",
        priority=Priority.URGENT,
    ),
    "noise": DeskRequest(
        "noise",
        "noise",
        "Noise complaint",
        "The management team follows it up with the neighbour; repeated violations are handled under the lease. "
        "If it is going on right now after hours, you can also report it to the courtesy patrol.",
        offer_person=True,
    ),
    "smoke": DeskRequest(
        "smoke",
        "complaint",
        "Smoke complaint",
        "All our buildings are smoke-free: smoking and vaping of any kind (cannabis too) are not allowed in the units, "
        "on balconies or in indoor common areas, so the management team follows it up with the neighbour under the "
        "lease. If the smoke ever gets thick, you smell something burning or an alarm goes off, leave and call 911.",
        offer_person=True,
    ),
    "complaint": DeskRequest(
        "complaint",
        "complaint",
        "Complaint",
        "The management team reviews it and contacts you. " + _AFTER_HOURS,
        offer_person=True,
    ),
    "manager": DeskRequest(
        "manager", "request", "Message for the manager", "The manager gets it through the office. " + _AFTER_HOURS
    ),
    "package": DeskRequest(
        "package",
        "package",
        "Package request",
        "The office checks the package room and the front desk and contacts you. Packages not picked up within "
        "7 days may be returned to the sender, and oversized items are held at the office.",
    ),
    "parking": DeskRequest(
        "parking",
        "parking",
        "Parking permit request",
        "Permits are issued by the office, subject to availability, and must be displayed in the vehicle. "
        + _AFTER_HOURS,
    ),
    "cameras": DeskRequest(
        "cameras",
        "request",
        "Security camera footage request",
        "I can't view the cameras myself; the management team reviews the footage and contacts you. For damage "
        "or a theft, a police report helps too. " + _AFTER_HOURS,
    ),
    "reservation": DeskRequest(
        "reservation", "reservation", "Reservation request", "The office confirms the date with you. " + _AFTER_HOURS
    ),
    "notice": DeskRequest(
        "notice",
        "leasing",
        "Move-out notice",
        "Notice must also be given in writing at least 60 days before your move-out date, so please send the "
        "office your written notice as well; they confirm it and arrange the pre-move-out inspection.",
    ),
    "exception": DeskRequest(
        "exception",
        "request",
        "Request for an exception",
        "I can't grant exceptions myself; the office decides and contacts you. " + _AFTER_HOURS,
    ),
    "dispute": DeskRequest(
        "dispute",
        "billing",
        "Charge dispute",
        "The billing team reviews the charge and contacts you; until they decide, it stays on your account.",
    ),
}

_WORDS: Final = (
    *("manager", "management", "message", "package", "packages", "parcel", "delivery", "delivered"),
    *("parking", "permit", "reserve", "reservation", "elevator", "freight", "community", "notice"),
    *("exception", "dispute", "charge", "charged", "remove", "complaint", "complain", "neighbour", "neighbor"),
    *("drums", "music", "barking", "logged", "record", "report", "maintenance", "technician", "rude", "front"),
    *("cameras", "camera", "footage", "security", "check", "yesterday", "request", "owner", "trash", "hallway"),
    *("garbage", "ceiling", "dripping", "upstairs", "leaking", "cigarette", "cigarettes", "smoke", "smoking", "smell"),
)

_MANAGER = r"(the |your |a |my )?(property |building |site |office )?(manager|management|supervisor|landlord|office)"
_MANAGER_MESSAGE: Final = re.compile(
    r"\b((leave|pass|give|send|get|forward) (a |this |my |the )?(message|note|word|this|it|that)( on)? "
    rf"(to|for) {_MANAGER}|"
    rf"(tell|let|inform|ask|notify) {_MANAGER} (that|know|about|to )|"
    rf"(have|get|ask) {_MANAGER} (to )?(call|email|text|contact|reach|get back to) (me|us)|"
    rf"{_MANAGER} (to |should |can |could )?(call|email|contact|get back to) me|"
    rf"(message|note) for {_MANAGER})"
)
_PACKAGE: Final = r"(package|packages|parcel|parcels|delivery|deliveries|box|amazon order)"
_PACKAGE_REQUEST: Final = re.compile(
    rf"\b((hold|keep|store|save|put aside|set aside) (my |the |our |any |all )?(\w+ )?{_PACKAGE}|"
    rf"{_PACKAGE} (hold|on hold)|"
    r"(find|track|look for|locate|check|figure) (out )?(who|where|what happened to)( has| is)? "
    rf"(it|my {_PACKAGE}|the {_PACKAGE})|"
    rf"(find|track|locate|look for) (down )?(my|the) (\w+ )?{_PACKAGE}|"
    rf"(never|didn'?t|did not|haven'?t|have not|still haven'?t) (got|get|gotten|received|receive|picked up)"
    rf" (my |the |a |it|this )?(\w+ )?({_PACKAGE})?|"
    rf"(missing|lost|stolen|misplaced) {_PACKAGE}|{_PACKAGE} (is |was |went |has gone )?(missing|lost))"
)
_PACKAGE_TOPIC: Final = re.compile(rf"\b{_PACKAGE}\b")
_WANT: Final = (
    r"(can|could|may) (i|we|you) (get|have|request|apply for|sign me up for|put me down for|add)|"
    r"(i|we)( need| want| would like|'d like| wanna|'m requesting| am requesting)( to (get|request|apply for|have))?|"
    r"(request|apply for|sign (me|us) up for|put (me|us) (down|on the list) for)|how (do|can) i (get|request|apply for)"
)
_PARKING_REQUEST: Final = re.compile(
    rf"\b({_WANT}) (\w+ ){{0,3}}?(parking )?(permit|spot|space|spaces|spots|pass|sticker|tag)\b(?! (cost|price))"
)
_PARKING_TOPIC: Final = re.compile(r"\b(parking|permit|garage|car|cars|vehicle)\b")
_RESERVE: Final = re.compile(
    r"\b(reserve|book|schedule|block( off)?|hold|save)( me)? (the |a |our )?(freight |service |moving )?"
    r"(elevator|lift|community room|party room|loading (dock|zone)|moving (day|slot)|bulk (item |trash )?pickup)"
    r"|\b(elevator|lift|community room|party room|loading dock) (reservation|booking)"
    # "can you reserve it for dec 19" after asking about the freight elevator (trial5 #24): only "reserve",
    # never "book it for friday", which is a visit
    r"|\b(can|could|would) you (please )?reserve (it|that|one) for\b|\bplease reserve (it|that|one) for\b"
)
# "can you check the cameras for me", "pull the security footage from last night" (trial5 #39).
_CAMERAS: Final = re.compile(
    r"\b(check|look at|review|pull|get|see|watch|send me|save|keep)( me)? (the |your |any )?(security )?"
    r"(cameras?|camera footage|footage|video|cctv|recordings?)\b"
)
_NOTICE: Final = re.compile(
    r"\b((put|hand|turn|send|submit|file|give|lodge)( in| over)? (my|our|the|a) (\d+[- ]day |written |move[- ]?out )?"
    r"notice|(give|giving|gave) (you )?(my |our )?(\d+[- ]days?'? )?notice|"
    r"(i|we) (want|need|would like|'d like|wanna) to (give|submit|put in|hand in) (my |our )?notice|"
    r"notice to (vacate|move out))\b"
)
_EXCEPTION: Final = re.compile(
    r"\b((make|grant|give me|allow) an? (exception|exemption)|(bend|waive|break) the (rules?|policy|deadline)|"
    r"(an?|any) (exception|exemption) (for me|this time|here|in my case)|just this once|(let it|let me) slide)\b"
)
_DISPUTE: Final = re.compile(
    r"\b(dispute (it|this|that|the|my|a)\b|(take|get|have) (it|that|this|the charge|them) (off|removed)|"
    r"(remove|reverse|cancel|credit|drop|refund) (the |that |this |my )?(\w+ )?(charge|fee|fees)\b|"
    r"(shouldn'?t|should not) (be|have been) (charged|paying|billed)|"
    r"(charged|billing me|charging me) for (something|a \w+) (i|we) (don'?t|do not|no longer) (have|own|use))"
)
_NOT_DISPUTE: Final = re.compile(r"\b(late fee|waive|waiver)\b")
# "I want to dispute a charge on my account" names no charge: billing asks which one and lists them
# (evals/billing.yaml dispute-asks-which-charge), so the ticket says what is disputed.
_UNNAMED_DISPUTE: Final = re.compile(r"\bdispute (a|the|my|this|that|one|some) charges?\b")
_NAMED_CHARGE: Final = re.compile(
    r"\b(rent|parking|water|sewer|trash|pet|cleaning|key|amenity|storage|utilit\w*|electric\w*|gas|internet|"
    r"laundry|deposit|move[- ]?(in|out)|lockout|double|twice|january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b|\$|\d"
)
_LOG_IT: Final = re.compile(
    r"\b((want|need|would like|'d like) (this|it|that|my complaint|a complaint) (logged|recorded|on record|documented|"
    r"written down|filed|reported)|"
    r"(log|record|document|file|write down|report) (it|this|that|my complaint)\b|"
    r"(put|get) (it|this|that) (on (the )?record|in writing|logged|on file)|"
    r"(file|open|make|lodge|submit|log) (a|an|my) (formal |official |noise )?(complaint|report|ticket)|"
    r"(make|keep) a (note|record) of (it|this|that)|"
    r"(just )?(tell|let) (them|the team|whoever|management|someone) (know )?"
    r"(that |its |it'?s |it has |it'?s been |the )|"
    r"(add|put) (that|this) (to|on|in) (it|the ticket|my ticket|the report|my complaint))"
)
_STAFF: Final = (
    r"(maintenance (guy|man|person|worker|team|staff)|technician|tech|plumber|electrician|handyman|super|"
    r"superintendent|front desk|concierge|leasing (agent|office)|office (staff|lady|guy)|staff|doorman|security guard|"
    r"cleaner|cleaning crew|porter|manager|property manager)"
)
_STAFF_COMPLAINT: Final = re.compile(
    rf"\b((the|your|a|one of your|that) {_STAFF}\b( \w+){{0,6}}? "
    r"(rude|disrespectful|unprofessional|aggressive|mean|nasty|condescending|"
    r"yelled|yelling|swore|cursed|hung up|left a mess|made a mess|never showed|didn'?t show|no[- ]show)|"
    rf"complain\w* about (the|your|a|one of your|that) {_STAFF})\b"
)
_NEIGHBOUR: Final = (
    r"(neighb\w*|(the|a|some|this) (guy|girl|lady|man|woman|family|people|person|tenants?|kids?|resident|dogs?)s? "
    r"(upstairs|downstairs|next door|across the hall|in (unit |apt |apartment |#)?\d+\w?)|"
    r"upstairs|downstairs|next door|(unit|apt|apartment|#) ?\d+\w?)"
)
_NEIGHBOUR_COMPLAINT: Final = re.compile(
    rf"\b{_NEIGHBOUR}\b.{{0,60}}\b(park(s|ed|ing)? in my (spot|space)|smok(es|ing)|vap(es|ing)|"
    r"leav(e|es|ing) (their |his |her )?(trash|garbage|bags)|(trash|garbage) in the (hall|hallway)|"
    r"blocks? (my|the)|let (their|his|her) dog|"
    r"dog (poops?|pees?)|threw|throws|harass|won'?t stop|keeps? (\w+ing))\b"
)
_NOISE_SOURCE: Final = re.compile(
    r"\b(drums?|drumming|music|bass|guitar|piano|tv|party|parties|stomp\w*|bang\w*|yell\w*|shout\w*|scream\w*|"
    r"bark\w*|loud|noise|noisy|thump\w*|slam\w*|blasting|singing)\b"
)
_NOISE_PERSISTS: Final = re.compile(
    r"\b(every (night|day|morning|evening|weekend)|all night|each night|at night|late at night|till \d|until \d|"
    r"at \d+ ?(am|pm)|(\d+|one|two|three) ?am|midnight|for hours|nonstop|non-stop|constantly|again|keeps?|"
    r"won'?t stop|every single)\b"
)
_QUESTION_ONLY: Final = re.compile(r"\b(what are|what'?s|whats|when are|are there) (the )?quiet hours\b")


# Water coming from above: the ceiling, the unit upstairs. Only a drip reaches here (the router dispatches
# water pouring in, or a drip onto something electrical, as an emergency).
_LEAK_ABOVE: Final = re.compile(
    r"\b(drip\w*|leak\w*|water (stain|spot|mark)s?|wet spots?|seep\w*|water (is )?coming)\b.{0,60}\b(ceiling|from "
    r"(upstairs|above|the (unit|apartment|floor|place) (above|upstairs))|upstairs)\b|"
    r"\bceiling\b.{0,30}\b(drip\w*|leak\w*|wet|stain\w*)\b"
)


def desk_request(text: str) -> DeskRequest | None:
    """The office request or complaint `text` makes, or None (a question, a repair, anything else)."""
    t = fix_typos(text, _WORDS)
    if _LEAK_ABOVE.search(t):
        return _KINDS["leak_above"]
    if _STAFF_COMPLAINT.search(t):
        return _KINDS["complaint"]
    if _is_noise_complaint(t):
        return _KINDS["noise"]
    if _is_smoke_complaint(t):
        return _KINDS["smoke"]
    if _NEIGHBOUR_COMPLAINT.search(t):
        return _KINDS["complaint"]
    if _MANAGER_MESSAGE.search(t):
        return _KINDS["manager"]
    if _NOTICE.search(t) and not re.search(r"\b(violation|evict\w*|pay or quit|quit)\b", t):
        return _KINDS["notice"]
    if _RESERVE.search(t):
        return _KINDS["reservation"]
    if _CAMERAS.search(t):
        return _KINDS["cameras"]
    if _PACKAGE_REQUEST.search(t) and (_PACKAGE_TOPIC.search(t) or re.search(r"\bwho (has|took) it\b", t)):
        return _KINDS["package"]
    if _PARKING_REQUEST.search(t) and _PARKING_TOPIC.search(t):
        return _KINDS["parking"]
    if _EXCEPTION.search(t):
        return _KINDS["exception"]
    if _DISPUTE.search(t) and not _NOT_DISPUTE.search(t):
        if _UNNAMED_DISPUTE.search(t) and not _NAMED_CHARGE.search(t):
            return None
        return _KINDS["dispute"]
    return None


def _is_noise_complaint(t: str) -> bool:
    """A neighbour's noise that goes on ("a guy in 5B plays drums every night till 1am"); not a
    question about the quiet-hours rule."""
    if _QUESTION_ONLY.search(t) or re.search(r"\b(allowed|rules?|policy|can i|am i)\b", t):
        return False
    return bool(re.search(rf"\b{_NEIGHBOUR}\b", t) and _NOISE_SOURCE.search(t) and _NOISE_PERSISTS.search(t))


# Where a neighbour's smoke reaches the resident, or who smokes: "comes into my apartment", "in the hallway".
_SMOKE_REACHES: Final = re.compile(
    rf"\b({_NEIGHBOUR}|someone|somebody|people|smell\w*|com(e|es|ing)|get(s|ting)? in|drift\w*|seep\w*|in(to)? "
    r"(my|our|the) (apartment|unit|place|home|bedroom|room|hall\w*|stair\w*|elevator|lobby|vents?|balcony)|through"
    r"|hallway|stairs|stairwell|lobby|garage)\b"
)


def _is_smoke_complaint(t: str) -> bool:
    """Someone else's smoking that reaches the resident ("my neighbour's cigarette smoke comes into my apartment",
    "weed smell from downstairs", "someone smokes in the hallway"); not a question about the rule ("can i smoke
    on the balcony"), and never smoke with a sign of fire (routing/smoke.py: that is an emergency)."""
    if re.search(r"\b(allowed|rules?|policy|can (i|we)|am i|are we|may (i|we)|is it ok)\b", t):
        return False
    return tobacco_smoke(t) and bool(_SMOKE_REACHES.search(t))


def is_desk_request(text: str) -> bool:
    """A request or complaint the office must handle, to be written on a ticket (`ROUTE_RULES`)."""
    return desk_request(text) is not None


def asks_to_log(text: str) -> bool:
    """ "i want this logged", "log it please", "file a complaint", "put it on record"."""
    return bool(_LOG_IT.search(fix_typos(text, _WORDS)))


# A complaint without a kind of its own ("nothing ever happens", "the hallway is filthy"): logged as one.
_GRIEVANCE: Final = re.compile(
    r"\b(complain\w*|nothing (ever )?happens|nobody does anything|no one does anything|unacceptable|ridiculous|"
    r"fed up|sick of|tired of|every (night|day)|again)\b"
)


_MORE_OF_IT: Final = re.compile(
    r"\b(again|still|right now|as we speak|at it|won'?t stop|keeps? \w+ing|every (night|day))\b"
)


def adds_to_complaint(text: str) -> bool:
    """More of the complaint just logged ("he's playing the drums again right now", "still going")."""
    t = fix_typos(text, _WORDS)
    return bool(_MORE_OF_IT.search(t) or _NOISE_SOURCE.search(t) or _GRIEVANCE.search(t))


def earlier_request(history: Sequence[tuple[str, str]]) -> tuple[DeskRequest, str] | None:
    """The request or complaint the resident made earlier in the conversation, newest first, with
    their words: what "I want this logged" asks to log."""
    for role, said in reversed(history):
        if role != "user":
            continue
        found = desk_request(said)
        if found is not None:
            return found, said
        t = fix_typos(said, _WORDS)
        if _GRIEVANCE.search(t) or _NOISE_SOURCE.search(t):
            return _KINDS["noise" if _NOISE_SOURCE.search(t) else "complaint"], said
    return None


def _subject(label: str, text: str) -> str:
    """The label and the request without the courtesy around it: a repeat of the same complaint
    in other words is found by the words they share (create_ticket), never by "hi there"."""
    return f"{label}: {polite_core(fix_typos(text, _WORDS)) or text.strip()}"[:120]


# A request this short leans on what was said before ("so can you take it off", "ok put in my notice now").
_SHORT_REQUEST_WORDS = 16


def _topic(history: Sequence[tuple[str, str]], about: str) -> str:
    """What the ticket is about, in the resident's words: `about`, after the line that opened the
    subject when `about` is a short request leaning on it."""
    said = [msg.strip() for role, msg in history if role == "user" and msg.strip() and msg.strip() != about.strip()]
    if len(about.split()) > _SHORT_REQUEST_WORDS or not said:
        return about
    opened = re.split(r"(?<=[.!?])\s", polite_core(said[-2:][0]) or said[-2:][0], maxsplit=1)[0]
    return f"{opened} / {about}"


async def _record(turn: FlowTurn, request: DeskRequest, about: str) -> tuple[str, dict[str, Any]] | None:
    """The ticket for `request` in the resident's words `about`, and the sentence saying so."""
    about = _topic(turn.history, about)
    try:
        res = await turn.call_tool(
            "create_ticket",
            {
                "category": request.category,
                "priority": request.priority.value,
                "subject": _subject(request.label, about),
                "body": summarize_history(turn.history, turn.text, limit=2000),
            },
        )
    except ToolError:
        return None
    ticket = res.get("ticket_id")
    noun = request.label[0].lower() + request.label[1:]
    if res.get("already_open"):
        recorded = (
            f"This is already on ticket #{ticket} ({noun}), so I've added what you just said to it rather than "
            "filing it twice."
        )
    else:
        recorded = f"I've recorded your {noun} for the team as ticket #{ticket}: \u201c{_quote(about)}\u201d."
    return f"{recorded} {request.next_step}", res


async def file_desk_ticket(turn: FlowTurn, requests: Sequence[tuple[DeskRequest, str]]) -> FlowReply | None:
    """A ticket for each request (in the resident's words, with the conversation), and one reply
    saying what was recorded and what happens next; None when the ticket tool refused them all."""
    said: list[str] = []
    results: list[dict[str, Any]] = []
    complaint: tuple[DeskRequest, Any] | None = None
    for request, about in requests:
        done = await _record(turn, request, about)
        if done is None:
            continue
        said.append(done[0])
        results.append(done[1])
        if request.offer_person and complaint is None:
            complaint = request, done[1].get("ticket_id")
    if not said:
        return None
    text = " ".join(said)
    if complaint is not None:
        request, ticket = complaint
        return FlowReply(
            text=f"I'm sorry about this. {text} Would you like me to connect you with a person now as well?",
            state={
                "stage": "offer_human",
                "priority": request.priority.value,
                "ticket_id": ticket,
                "reason": request.label,
            },
            tool_results=results,
        )
    kinds = [r.kind for r, _ in requests]
    return FlowReply(
        text=f"{text} Anything else I can help with?", done=True, state={_FILED: kinds}, tool_results=results
    )


_FILED: Final = "desk_tickets"  # the closing state's list of the kinds just filed
_MORE_WATER: Final = re.compile(r"\b(drip\w*|leak\w*|water|ceiling|stain|wet|bucket|upstairs)\b")


def adds_to_filed(text: str, closing: dict[str, Any]) -> bool:
    """More about the request just filed ("the water is just a small drip, not a big deal"), to go on its
    ticket, not a new request."""
    kinds = closing.get(_FILED)
    if not isinstance(kinds, list) or not kinds:
        return False
    t = fix_typos(text, _WORDS)
    return desk_request(text) is None and bool(
        ("leak_above" in kinds and _MORE_WATER.search(t)) or _MORE_OF_IT.search(t) or asks_to_log(text)
    )


# Where one request ends and another starts in one message ("…from upstairs. anyway, can I get a second spot?").
_PARTS: Final = re.compile(
    r"(?<=[.!?])\s+|[,;:]?\s*\b(?:anyway|anyways|also|btw|by the way|oh and|another thing)\b[:,]?\s*|"
    r"\bthe real reason[^:,.]{0,30}[:,]\s*",
    re.I,
)
MAX_REQUESTS = 2  # a message asks one thing or two; more is a story, filed whole


def desk_requests(text: str) -> list[tuple[DeskRequest, str]]:
    """The office requests `text` makes, in the order said, each with the words that make it (one per
    kind, at most two); the whole text for a single one."""
    found: list[tuple[DeskRequest, str]] = []
    for part in _PARTS.split(text):
        request = desk_request(part) if part and part.strip() else None
        if request is not None and all(request.kind != r.kind for r, _ in found):
            found.append((request, part.strip()))
    whole = desk_request(text)
    if len(found) <= 1:
        return [(whole, text)] if whole is not None else found
    return found[:MAX_REQUESTS]


def _quote(text: str, limit: int = 140) -> str:
    """The resident's words, trimmed to a sentence or two for the read-back."""
    said = " ".join(text.split()).strip(" .")
    return said if len(said) <= limit else said[: limit - 1].rsplit(" ", 1)[0] + "…"


def next_step_for(label: str) -> str:
    """What happens next for a ticket of this label ("Noise complaint"), as the reply that filed it said."""
    return next((k.next_step for k in _KINDS.values() if k.label == label), "")

"""A resident's next message about the handbook answer just given, and what the front desk does with it.

Outsider trial (class E): after the guest policy, "and if he moves in for good what do we do" got the
move-out notice; after the sublet rules, "ok who do I talk to about that" and after the pet policy
"what about two cats instead" got the out-of-scope refusal; after parking's prices "sign me up" got
the complaint template. Each of these leans on the answer before it: it is read with that answer's
question and section, not routed on its own words. Three kinds:

- `leans_on_answer`: "and if…", "what about…", "how about…", "what if…", "…instead": the same topic,
  another case; answered from the same section unless the message names another one.
- `asks_who_handles`: "who do I talk to", "who should I contact", "how do I reach them": the office.
- `asks_to_sign_up`: "sign me up", "I'll take one", "can you set that up": a request the office
  carries out, sent to it as a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from callcenter_agents.extract import detect_issue, detect_trade
from callcenter_agents.extract.polite import fix_typos, polite_core
from callcenter_agents.route_meaning import fits_booking

_LEAN_WORDS = ("about", "instead", "what", "if")
_LEANS = re.compile(
    r"^((and|but|so|ok|okay|alright|hm+|um+|oh)[, ]+)*"
    r"((what|how) about|what if|and if|but if|if|and what|and how|and can|and do|and does|and is|and are|"
    r"and (would|will|should|could)|or|same (for|with)|does (that|it|this) (apply|count|go))\b"
    r"|\binstead\b"
)
_WHO = r"(who|whom|which (person|office|team|department))"
_WHO_HANDLES = re.compile(
    rf"\b{_WHO} (do|should|can|would|could|will) (i|we) (talk|speak|go|write|reach out|turn)( to| with)?\b|"
    rf"\b{_WHO} (do|should|can|would|could|will) (i|we) (need to |have to )?"
    r"(contact|call|ask|email|message|text|see|reach|tell|inform|notify|let know)\b|"
    # "who do I send the paperwork to": the documents the answer just asked for go to the office
    rf"\b{_WHO} (do|should|can|would|could|will) (i|we) (need to |have to )?"
    r"(send|give|submit|email|hand|bring|show|turn in)"
    r"( (the|my|our|this|that|those|these|it|them|all))?( (paperwork|papers?|documents?|docs|documentation|forms?|"
    r"proof|records?|letter|certificate|vaccination records?|request))?( (in|over))? to\b|"
    rf"\b{_WHO} (handles|deals with|approves|is in charge of|takes care of|is responsible for) (that|this|it|those)\b|"
    rf"\b{_WHO}('?s| is) in charge\b|"
    r"\bhow (do|can|should) (i|we) (contact|reach|call|email|get (in touch|hold of)) (them|the office|you|someone)\b|"
    r"\bwhere (do|should|can) (i|we) (go|ask|apply|turn)( for (that|this|it))?\W*$|"
    # "how do i sign up", "how do i get one": the office does it; its hours and how to reach it
    r"^((ok|okay|so|and|great|cool)[, ]+)*how (do|can|would) (i|we) (sign up|apply|get one|get it|request one|register)"
)
_WHO_WORDS = (
    *("contact", "talk", "speak", "reach", "handles", "charge", "about", "regarding", "apply", "register"),
    *("should", "tell", "notify", "send", "paperwork", "documents"),
)
_SIGN_UP = re.compile(
    r"^((ok|okay|great|cool|perfect|nice|awesome|alright|yes|yeah|yep|sure)[,!. ]+)*(then )?(please )?"
    r"((can|could|would|will) (you|u) (please |just )?)?("
    r"sign (me|us) up|put (me|us) down|count (me|us) in|register (me|us)|i('?ll| will) take (one|it|a \w+)|"
    r"(i|we)('?d| would) like (one|a \w+|to sign up|to get one|to apply)|(i|we) (want|need) (one|a \w+ too)|"
    r"(can|could) (you|i|we) (get|reserve|book|sign) (me |us )?(up|one|it|a (spot|space|place))|"
    r"(set|sort) (it|that|one|this) (up|out)( for (me|us))?|reserve (one|it|a (spot|space)) for (me|us)|"
    r"let'?s do (it|that)"
    r")( for (it|one|that|a \w+))?( please| pls| then| now| too| asap)?\W*$"
)
_SIGN_UP_WORDS = ("sign", "register", "reserve", "please")


def leans_on_answer(text: str) -> bool:
    """ "and if he moves in for good what do we do", "what about two cats instead": another case of the
    topic just answered, meaningless without it (a long message is a question of its own)."""
    core = polite_core(fix_typos(text, _LEAN_WORDS)) or fix_typos(text)
    return len(core.split()) <= 14 and bool(_LEANS.search(core))


# What may follow "who do I talk to": the answer just given, pointed at ("about that", "for this", "then").
_POINTS_BACK = re.compile(r"^\W*((about|for|regarding|with|on) (that|this|it|those|them)|then|now|please|pls|\W)*\W*$")


def asks_who_handles(text: str) -> bool:
    """ "ok who do I talk to about that", "who should i contact", "how do i reach them": the people who
    handle what was just explained ("who do i call if the office is closed" is a question of its own)."""
    said = polite_core(fix_typos(text, _WHO_WORDS)) or fix_typos(text, _WHO_WORDS)
    found = _WHO_HANDLES.search(said)
    return found is not None and bool(_POINTS_BACK.match(said[found.end() :]))


def asks_to_sign_up(text: str) -> bool:
    """ "sign me up", "ok ill take one", "can you set that up for me": the thing just described, requested."""
    core = polite_core(fix_typos(text, _SIGN_UP_WORDS)) or fix_typos(text, _SIGN_UP_WORDS).strip()
    return len(core.split()) <= 10 and bool(_SIGN_UP.search(core))


# "what about my balance", "what if my sink is leaking": another agent's request, whatever it leans on
_MONEY = re.compile(
    r"\b(my (balance|bill|invoice|account|payments?)|(do|did) i owe|pay (my|the|it|\$)|refund|charged)\b"
)


def follows_the_answer(text: str) -> bool:
    """Any of the three: a message that only means something after the answer before it (and that is not a
    repair, a booking or the resident's own money, which their agents handle)."""
    if asks_who_handles(text) or asks_to_sign_up(text):
        return True
    visit = _asks_for_visit(text) or (fits_booking(text) and not _HOW_LONG.search(fix_typos(text)))
    return leans_on_answer(text) and not (visit or _MONEY.search(fix_typos(text)))


# How long something lasts ("what if it turns into 2 months", "for a few weekends"): the guest or sublet
# rules' question, though a booking's words (a number, a week) are in it.
_HOW_LONG = re.compile(
    r"\b(\d+|a|one|two|three|four|five|six|few|couple( of)?|several|many)( more)? "
    r"(nights?|days?|weeks?|weekends?|months?|years?)\b"
)


# A repair, a trade or a visit named ("what if the sink leaks", "and can you book a plumber"); not any
# number or week ("what if it turns into 2 months", "for a few weekends" lean on the guest or sublet rules).
_VISIT = re.compile(
    r"\b(book\w*|schedul\w*|reschedul\w*|appointments?|appt|visits?|viewings?|tours?|showings?|cancel\w*|"
    r"technicians?|tech|plumb\w*|electric\w*|maintenance|handy ?man|repair\w*|fix\w*|broke\w*|leak\w*|clog\w*)\b"
)


def _asks_for_visit(text: str) -> bool:
    return bool(_VISIT.search(fix_typos(text)) or detect_issue(text) or detect_trade(text))


# The office's section of the handbook, and the words that pick its hours and ways to reach it.
OFFICE_ARTICLE = "office-hours-and-contact"
OFFICE_CUE = "office open monday friday saturday reach phone email"
# Which ticket category a request after a section's answer goes in (create_ticket's categories).
REQUEST_CATEGORY = {
    "parking": "parking",
    "community-room-co-working-lounge-and-bike-storage": "reservation",
    "rooftop-terrace": "reservation",
    "guest-policy": "leasing",
    "subletting-and-short-term-rentals": "leasing",
    "lease-renewal": "leasing",
    "move-out-and-security-deposit": "leasing",
    "lease-copies-and-documents": "leasing",
}


def request_ticket(article_id: str, title: str, asked: str, said: str) -> dict[str, Any]:
    """create_ticket's arguments for a request the office carries out, after the section `article_id`."""
    return {
        "category": REQUEST_CATEGORY.get(article_id, "request"),
        "priority": "normal",
        "subject": f"{title}: resident asks to sign up"[:120],
        "body": f'Asked: "{asked[:300]}". Then: "{said[:300]}".',
    }


def pick_article(alone: Sequence[dict[str, Any]], previous: str) -> str | None:
    """The section a leaning follow-up is about: the one just answered, unless the follow-up on its own
    names another section and shares nothing with the previous one ("what about the pool" after the gym).
    None: stay with the previous section."""
    if any(a.get("id") == previous and a.get("matched") for a in alone):
        return None
    best = alone[0] if alone else None
    if best is None or not best.get("named") or best.get("id") == previous:
        return None
    # A word of the other section's title ("the pool"), or half the question's words: named on its own.
    # One keyword among other words ("turn" of "turned in" for "what if it turns into 2 months") is not.
    named, title = [str(n) for n in best["named"]], str(best.get("title") or "").lower()
    if any(n in title for n in named) or 2 * len(named) >= int(best.get("asked") or 0):
        return str(best["id"])
    return None


_BUILDINGS = ("Maple Court", "Harbor View", "Cedar Lofts")


def for_their_building(quote: str, building: str | None, asked: str) -> str:
    """The clauses of a quote that are about the resident's own building, when a sentence sets several
    buildings side by side ("Maple Court and Harbor View … $60 per month; Cedar Lofts … $95 per month")
    and the question named none: the resident asked about theirs."""
    if not building or building not in _BUILDINGS or any(b.lower() in asked.lower() for b in _BUILDINGS):
        return quote
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", quote):
        clauses = [c.strip() for c in sentence.rstrip(".").split(";")]
        named = [c for c in clauses if any(b in c for b in _BUILDINGS)]
        if len(clauses) > 1 and len(named) > 1:
            mine = [c for c in clauses if building in c or not any(b in c for b in _BUILDINGS)]
            if mine:
                sentence = "; ".join(mine)
                sentence = sentence[0].upper() + sentence[1:] + "."
        out.append(sentence)
    return " ".join(out)


def unrepeated(quote: str, said_before: str) -> str:
    """The quote without sentences the last reply already gave, unless nothing else is left."""
    sentences = re.split(r"(?<=[.!?])\s+", quote.strip())
    fresh = [s for s in sentences if s and s not in said_before]
    return " ".join(fresh) if fresh else quote


# Under this share of the question's words, a section that only matched in its body (no word of its
# title or keywords) is a stray hit: "like" in the subletting rules for "whats the weather like tomorrow".
STRAY_SHARE = 0.5


def stray_hit(best: dict[str, Any]) -> bool:
    """Whether the best section of a search only matched a stray word of the question."""
    matched, asked = best.get("matched") or [], int(best.get("asked") or 0)
    # one body word of a two-word question ("the other thing": "other common areas") is no more a match
    share = len(matched) / asked if asked else 1.0
    return not best.get("named") and asked > 0 and (share < STRAY_SHARE or (len(matched) == 1 and share <= STRAY_SHARE))


_SECOND_QUESTION = re.compile(
    r"\?\s*(?:and|also|plus|&)?\s*(?=(is|are|do|does|can|could|what|when|where|how|who)\b)", re.I
)


def two_questions(text: str) -> tuple[str, str]:
    """ "is the gym open 24/7? and is there a pool": the first question and the second ("" when one)."""
    m = _SECOND_QUESTION.search(text)
    if m is None or m.start() < 6 or len(text[m.end() :].split()) < 2:
        return text, ""
    return text[: m.start() + 1].strip(), text[m.end() :].strip()


_ACK_LEAD = re.compile(
    r"^((ok(ay)?|k|alright|sure|yes|yeah|yep|fine|well|so|actually|um+|uh+|er+|hm+|lol|haha|oh|right|cool|great|anyway|"
    r"never ?mind|nvm|but|and)\b[,.!\s]*)+"
)
_OWN_QUESTION = re.compile(
    r"^(when|what|where|which|who|how|why|(is|are|does|do) (there|the|it|they|you|your)|tell me)\b"
)


def carries_own_question(text: str) -> bool:
    """ "ok actually, when is the office open on saturdays": a new question after the "ok", not a yes to
    "Would you like me to connect you with the office?" (outsider 2 #10). "yes can you connect me" is a yes."""
    said = fix_typos(text).strip()
    rest = _ACK_LEAD.sub("", polite_core(said) or said).strip(" ,.!")
    return len(rest.split()) >= 3 and bool(_OWN_QUESTION.match(rest))

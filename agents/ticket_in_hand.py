"""The complaint just logged, remembered: "can you do something about it?" is answered with that ticket.

Outsider trial (conv 13): right after "I've recorded your noise complaint … as ticket #6", the resident
asked "can you do something about it? I have work at 6" and was offered "I can log it as a complaint";
a second ticket for the same noise, or a resident who thinks nothing was logged. A push for action
("do something", "what are you going to do", "when will it stop", "so what now") while the ticket is
open gets the ticket's number, what happens next and the person still on offer.
"""

from __future__ import annotations

import re
from typing import Any

from callcenter_agents.desk_tickets import next_step_for
from callcenter_agents.extract.polite import fix_typos

from callcenter.specialists.flow import FlowReply

_PUSH_WORDS = ("something", "anything", "about", "going", "happens", "stop", "deal", "handle")
_PRESSES = re.compile(
    r"\b((can|could|will|would|are) (you|u|they|y'?all|someone|anyone|somebody|the (office|management|manager))"
    r"( guys)?( (please|just|actually))? (do|doing) (something|anything)|do something|"
    r"what (are|r|will|can) (you|u|they|y'?all)( (guys|going to|gonna))? (do|doing)|"
    r"what (happens|now|next)|so what now|now what|then what|"
    r"(when|how soon) (will|is|does) (it|this|that|the noise|someone|anyone|something)( \w+)? "
    r"(stop|end|be (fixed|handled|dealt with|sorted)|get (fixed|handled|dealt with|sorted)|happen|(do|deal|talk)\w*)|"
    r"(make|get) (it|them|him|her|this) (to )?stop|(deal|handle|sort out) (it|this|that|them)|"
    r"(is|are) (anyone|someone|somebody|you|they) (going to|gonna) (do|deal|handle|talk|say)\w*|"
    r"i (need|want) (this|it|the noise|them) to stop|please help)\b"
)


def presses_for_action(text: str) -> bool:
    """ "can you do something about it? I have work at 6", "what are you going to do", "so what now"."""
    return bool(_PRESSES.search(fix_typos(text, _PUSH_WORDS)))


def ticket_in_hand(state: dict[str, Any]) -> FlowReply:
    """The open offer's ticket, what happens next with it, and the offer of a person kept open."""
    label = str(state.get("reason") or "complaint")
    then = next_step_for(label)
    then = f" {then}" if then else " The management team will follow it up."
    return FlowReply(
        text=f"It's already logged as ticket #{state['ticket_id']} ({label.lower()}), so you don't need to report "
        f"it again.{then} Would you like me to connect you with a person now as well?",
        state=state,
    )


_TRIED_WORDS = ("already", "knocked", "talked", "doesnt", "care", "ignores", "listen")
_TRIED = re.compile(
    r"\b((i|we) (already |even |have |'ve |did )*(knock\w*|bang\w*|talk\w*|spoke|spoken|ask\w*|told|tell|"
    r"text\w*|messag\w*|left (a |him |her |them )?(note|message)|went over|go over)|"
    r"(he|she|they|the guy|the neighbou?rs?|nobody|no one)( just| still)? (doesn'?t|doesnt|don'?t|dont|won'?t|wont|"
    r"didn'?t|didnt|never) (care|listen|stop|answer|open|respond|turn it down)|"
    r"ignor(es|ed|ing) (me|us|it|my)|(doesn'?t|doesnt|don'?t|dont) give a)\b"
)


def tried_already(text: str) -> bool:
    """ "i already knocked, he doesnt care": what the resident did about the complaint just logged, which
    belongs on its ticket (outsider 2 #23), not a handbook question."""
    return bool(_TRIED.search(fix_typos(text, _TRIED_WORDS)))


def about_ticket_in_hand(text: str, state: dict[str, Any]) -> bool:
    """Whether a message right after a complaint was logged (the person still on offer) is about it:
    more of what happened, or a push for action."""
    if state.get("stage") != "offer_human" or state.get("ticket_id") is None:
        return False
    return tried_already(text) or presses_for_action(text)
